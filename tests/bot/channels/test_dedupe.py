"""The retried-delivery memory: once per id within the TTL, bounded in size."""

from __future__ import annotations

import pytest

from bot.channels.dedupe import RecentDeliveries


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_an_id_is_new_once_until_its_ttl_passes() -> None:
    clock = Clock()
    seen = RecentDeliveries(max_entries=10, ttl_seconds=60, clock=clock)
    assert seen.first_time("SM1")
    assert not seen.first_time("SM1")
    clock.now = 59
    assert not seen.first_time("SM1")
    clock.now = 61
    assert seen.first_time("SM1")


def test_memory_is_bounded_oldest_first() -> None:
    seen = RecentDeliveries(max_entries=3, ttl_seconds=3600, clock=Clock())
    for i in range(5):
        assert seen.first_time(f"u{i}")
    assert len(seen) == 3
    assert seen.first_time("u0")          # forgotten: the oldest went first
    assert not seen.first_time("u4")


def test_nonsense_limits_are_refused() -> None:
    with pytest.raises(ValueError):
        RecentDeliveries(max_entries=0)
    with pytest.raises(ValueError):
        RecentDeliveries(ttl_seconds=0)

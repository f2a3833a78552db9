"""The retried-delivery memory: once per id within the TTL, bounded in size."""

from __future__ import annotations

import pytest

from bot.channels.dedupe import RecentDeliveries, SharedDeliveries, deliveries


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


class FakeRedis:
    """``SET key value NX EX ttl`` in memory, failing while ``down``."""

    def __init__(self) -> None:
        self.keys: dict[str, int] = {}
        self.down = False

    def set(self, key: str, value: int, nx: bool, ex: int) -> bool | None:
        import redis

        if self.down:
            raise redis.exceptions.ConnectionError("refused")
        assert nx and ex >= 1
        if key in self.keys:
            return None
        self.keys[key] = ex
        return True


def shared() -> SharedDeliveries:
    made = SharedDeliveries("redis://127.0.0.1:1/2", ttl_seconds=600)
    made.redis = FakeRedis()
    return made


def test_replicas_sharing_redis_answer_a_retried_delivery_once() -> None:
    first, second = shared(), shared()
    second.redis = first.redis  # two replicas, one Redis
    assert first.first_time("twilio:SM1")
    assert not second.first_time("twilio:SM1")
    assert all("SM1" not in key for key in first.redis.keys)  # ids are kept hashed
    assert set(first.redis.keys.values()) == {600}


def test_without_redis_a_replica_remembers_on_its_own() -> None:
    seen = shared()
    seen.redis.down = True
    assert seen.first_time("telegram:7") and not seen.first_time("telegram:7")


def test_the_setting_decides_which_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    from bot import settings

    settings.get.cache_clear()
    assert type(deliveries()) is RecentDeliveries
    monkeypatch.setenv("PAIN_SERVER_REDIS_URL", "redis://127.0.0.1:1/2")
    settings.get.cache_clear()
    try:
        assert isinstance(deliveries(), SharedDeliveries)
    finally:
        monkeypatch.delenv("PAIN_SERVER_REDIS_URL")
        settings.get.cache_clear()

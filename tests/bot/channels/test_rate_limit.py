"""bot.channels.rate_limit: token buckets per sender and per address."""

from __future__ import annotations

import time

import pytest

from bot.channels.rate_limit import BoundedMemoryStorage, RateLimits, Rule


def limits(sender_burst: int = 3, address_burst: int = 5) -> RateLimits:
    # refills so slowly (one message an hour) that the test never sees a refill
    return RateLimits(Rule(1 / 60, sender_burst), Rule(1 / 60, address_burst))


def test_a_sender_gets_its_burst_then_is_refused_while_others_go_on() -> None:
    rl = limits()
    assert [rl.allows("127.0.0.1", "ann") for _ in range(4)] == [True, True, True, False]
    assert rl.allows("127.0.0.1", "bob")


def test_an_address_is_limited_across_senders_but_loopback_is_not() -> None:
    rl = limits(sender_burst=100)
    assert all(rl.allows("192.0.2.7", f"s{i}") for i in range(5))
    assert not rl.allows("192.0.2.7", "someone-new")
    assert rl.allows("192.0.2.8", "someone-new")
    assert all(rl.allows("127.0.0.1", f"t{i}") for i in range(50))
    assert all(rl.allows("::1", f"u{i}") for i in range(50))


def test_a_refused_address_does_not_spend_the_senders_tokens() -> None:
    rl = limits(sender_burst=1, address_burst=1)
    assert rl.allows("192.0.2.9", "ann")
    assert not rl.allows("192.0.2.9", "ann")
    assert rl.allows("198.51.100.1", "bob")


def test_the_bucket_refills_at_the_rate() -> None:
    rl = RateLimits(Rule(600, 1), Rule(600, 1))  # ten a second, one at a time
    assert rl.allows(None, "ann")
    assert not rl.allows(None, "ann")  # microseconds later: empty
    time.sleep(0.15)
    assert rl.allows(None, "ann")


def test_storage_keeps_at_most_max_keys_and_drops_the_least_recently_used() -> None:
    storage = BoundedMemoryStorage(max_keys=2)
    for key in ("a", "b"):
        storage.replenish(key, 1.0, 5)
    storage.replenish("a", 1.0, 5)  # "a" used again: "b" is now the oldest
    storage.replenish("c", 1.0, 5)
    assert set(storage._buckets) == {"a", "c"}


def test_rules_and_settings_are_checked_when_built() -> None:
    with pytest.raises(ValueError, match="per_minute > 0"):
        Rule(0, 5)
    with pytest.raises(ValueError, match="burst >= 1"):
        RateLimits.from_settings({"rate_limit_sender_burst": 0})
    rl = RateLimits.from_settings({})
    assert (rl.per_sender, rl.per_address) == (Rule(20, 10), Rule(120, 30))
    assert rl.retry_after() == 3

"""Per-sender and per-address rate limits on the messaging webhooks (token buckets).

Each sender id and each client address has a bucket of ``burst`` messages that refills
at ``per_minute`` messages a minute (``server.rate_limit_*`` in ``bot/settings.yml``);
a message that finds its bucket empty gets a 429 with the clinic's wording and a
``Retry-After`` header, before Rasa reads it. The address is the client's as Sanic
sees it (the forwarded one when a proxy is configured, else the peer's); loopback
peers (127.0.0.1, ::1: a local proxy, the kiosk's own machine, the tests) are limited
per sender only. Buckets live in this process's memory, at most ``MAX_KEYS`` of them:
the least recently used are dropped first (a dropped bucket comes back full).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from token_bucket import Limiter, MemoryStorage

from bot import settings

MAX_KEYS = 100_000
LOOPBACK = frozenset({"127.0.0.1", "::1"})


class BoundedMemoryStorage(MemoryStorage):
    """``token_bucket.MemoryStorage`` that keeps at most ``max_keys`` buckets (LRU)."""

    def __init__(self, max_keys: int = MAX_KEYS) -> None:
        super().__init__()
        self.max_keys = max_keys

    def replenish(self, key: str | bytes, rate: float, capacity: int) -> None:
        """Refill ``key``'s bucket, marking it most recently used."""
        bucket = self._buckets.pop(key, None)
        if bucket is not None:
            self._buckets[key] = bucket
        super().replenish(key, rate, capacity)
        while len(self._buckets) > self.max_keys:
            del self._buckets[next(iter(self._buckets))]


@dataclass(frozen=True)
class Rule:
    """A bucket of ``burst`` messages refilled at ``per_minute`` a minute."""

    per_minute: float
    burst: int

    def __post_init__(self) -> None:
        if self.per_minute <= 0 or self.burst < 1:
            raise ValueError(f"a rate limit needs per_minute > 0 and burst >= 1: {self}")


class RateLimits:
    """The two limits; ``allows()`` takes a token from each bucket that applies."""

    def __init__(self, per_sender: Rule, per_address: Rule, max_keys: int = MAX_KEYS) -> None:
        self.per_sender, self.per_address = per_sender, per_address
        self._senders = Limiter(per_sender.per_minute / 60, per_sender.burst,
                                BoundedMemoryStorage(max_keys))
        self._addresses = Limiter(per_address.per_minute / 60, per_address.burst,
                                  BoundedMemoryStorage(max_keys))

    @classmethod
    def from_settings(cls, server: dict[str, Any] | None = None) -> RateLimits:
        """The limits in the ``server`` settings (checked here)."""
        server = settings.section("server") if server is None else server
        return cls(Rule(float(server.get("rate_limit_sender_per_minute", 20)),
                        int(server.get("rate_limit_sender_burst", 10))),
                   Rule(float(server.get("rate_limit_address_per_minute", 120)),
                        int(server.get("rate_limit_address_burst", 30))))

    def allows(self, address: str | None, sender: str | None) -> bool:
        """Whether a message from ``address`` for ``sender`` may go on now."""
        if address and address not in LOOPBACK and not self._addresses.consume(
                f"a:{address}"):
            return False
        return not sender or self._senders.consume(f"s:{sender}")

    def retry_after(self) -> int:
        """Seconds after which a refused sender has at least one message again."""
        return max(1, round(60 / min(self.per_sender.per_minute, self.per_address.per_minute)))

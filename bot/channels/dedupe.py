"""Remember recently seen delivery ids so a platform's retried webhook is answered once.

Twilio identifies a message by ``MessageSid``, Telegram an update by ``update_id``; both
re-send the same id when they think a delivery failed. The memory is in-process, bounded
(oldest ids are forgotten first) and time-limited: enough for retries, which arrive
within seconds to hours, and it holds no message text or sender.

With several Rasa replicas (the scale-out profile) a retry can reach another replica, so
``deliveries()`` returns ``SharedDeliveries`` when ``server.redis_url`` is set: the ids
live in Redis (hashed, each with the same time limit), and each replica's memory is the
stand-in while Redis cannot be reached.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections import OrderedDict
from collections.abc import Callable

from bot import settings

logger = logging.getLogger(__name__)
KEY_PREFIX = "pain:delivery:"
REDIS_TIMEOUT_S = 0.5


class RecentDeliveries:
    """A bounded set of delivery ids, each forgotten ``ttl_seconds`` after it was seen."""

    def __init__(self, max_entries: int = 10_000, ttl_seconds: float = 86_400,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if max_entries < 1 or ttl_seconds <= 0:
            raise ValueError("max_entries must be >= 1 and ttl_seconds > 0")
        self.max_entries = max_entries
        self.ttl_seconds = ttl_seconds
        self._clock = clock
        self._seen: OrderedDict[str, float] = OrderedDict()

    def _expire(self, now: float) -> None:
        while self._seen:
            oldest, seen_at = next(iter(self._seen.items()))
            if now - seen_at < self.ttl_seconds and len(self._seen) <= self.max_entries:
                break
            del self._seen[oldest]

    def first_time(self, delivery_id: str) -> bool:
        """Record ``delivery_id``; True only the first time it is seen within the TTL."""
        now = self._clock()
        self._expire(now)
        if delivery_id in self._seen:
            return False
        self._seen[delivery_id] = now
        self._expire(now)
        return True

    def __len__(self) -> int:
        return len(self._seen)


class SharedDeliveries(RecentDeliveries):
    """Delivery ids in Redis (``SET NX EX``), shared by every replica; a replica's own
    memory decides while Redis is unreachable."""

    def __init__(self, url: str, max_entries: int = 10_000, ttl_seconds: float = 86_400,
                 clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(max_entries, ttl_seconds, clock)
        import redis  # Rasa's own dependency, in the Rasa process

        self.redis = redis.Redis.from_url(url, socket_timeout=REDIS_TIMEOUT_S,
                                          socket_connect_timeout=REDIS_TIMEOUT_S)
        self._error = redis.exceptions.RedisError

    def first_time(self, delivery_id: str) -> bool:
        """True only the first time any replica sees ``delivery_id`` within the TTL."""
        key = KEY_PREFIX + hashlib.sha256(delivery_id.encode("utf-8")).hexdigest()
        try:
            return bool(self.redis.set(key, 1, nx=True, ex=max(1, int(self.ttl_seconds))))
        except self._error as error:
            logger.warning("delivery ids: Redis unreachable (%s), using this replica's memory",
                           type(error).__name__)
            return super().first_time(delivery_id)


def deliveries(max_entries: int = 10_000, ttl_seconds: float = 86_400) -> RecentDeliveries:
    """The delivery memory the settings ask for: shared in Redis when
    ``server.redis_url`` is set, else this process's own."""
    url = str(settings.section("server").get("redis_url") or "")
    if url:
        return SharedDeliveries(url, max_entries, ttl_seconds)
    return RecentDeliveries(max_entries, ttl_seconds)

"""Remember recently seen delivery ids so a platform's retried webhook is answered once.

Twilio identifies a message by ``MessageSid``, Telegram an update by ``update_id``; both
re-send the same id when they think a delivery failed. The memory is in-process, bounded
(oldest ids are forgotten first) and time-limited: enough for retries, which arrive
within seconds to hours, and it holds no message text or sender. It is not shared
between processes and is empty after a restart; Rasa serves channels from one process.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable


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

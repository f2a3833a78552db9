"""Rasa's Redis lock store, which keeps serving when Redis is briefly away.

With several Rasa replicas, the per-conversation lock must live in Redis so that two
messages from one person are handled in order whichever replica each reaches. When Redis
cannot be reached (restarting, say), Rasa's own ``RedisLockStore`` raises and the turn
is lost. This one falls back to a lock in the replica's memory for as long as Redis is
away (each call tries Redis first, with short timeouts) and drops that local state once
Redis answers again: while Redis is down, order is kept per replica only, and no turn
is lost. The reason is logged once per outage, never a conversation id.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

from rasa.core.lock import TicketLock
from rasa.core.lock_store import InMemoryLockStore, RedisLockStore
from rasa.utils.endpoints import EndpointConfig
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)
T = TypeVar("T")
SOCKET_TIMEOUT_S = 1.0


class FallbackRedisLockStore(RedisLockStore):
    """``RedisLockStore`` with an in-memory stand-in while Redis is unreachable."""

    def __init__(self, endpoint_config: EndpointConfig | None = None, **kwargs: Any) -> None:
        config = dict(endpoint_config.kwargs) if endpoint_config is not None else {}
        config.update(kwargs)
        if endpoint_config is not None and endpoint_config.url:
            config.setdefault("host", endpoint_config.url)
        config.setdefault("socket_timeout", SOCKET_TIMEOUT_S)
        super().__init__(**config)
        self.red.connection_pool.connection_kwargs["socket_connect_timeout"] = \
            float(config["socket_timeout"])
        self.local = InMemoryLockStore()
        self.outage = False

    def _either(self, remote: Callable[[], T], local: Callable[[], T]) -> T:
        try:
            result = remote()
        except RedisError as error:
            if not self.outage:
                logger.warning("Redis lock store unreachable (%s): locking in memory "
                               "until it is back", type(error).__name__)
                self.outage = True
            return local()
        if self.outage:
            logger.warning("Redis lock store reachable again")
            self.outage = False
            self.local = InMemoryLockStore()
        return result

    def get_lock(self, conversation_id: str) -> TicketLock | None:
        return self._either(lambda: super(FallbackRedisLockStore, self).get_lock(conversation_id),
                            lambda: self.local.get_lock(conversation_id))

    def delete_lock(self, conversation_id: str) -> None:
        self._either(lambda: super(FallbackRedisLockStore, self).delete_lock(conversation_id),
                     lambda: self.local.delete_lock(conversation_id))

    def save_lock(self, lock: TicketLock) -> None:
        self._either(lambda: super(FallbackRedisLockStore, self).save_lock(lock),
                     lambda: self.local.save_lock(lock))

"""Rasa's Redis lock store, which keeps serving when Redis is briefly away.

With several Rasa replicas, the per-conversation lock must live in Redis so that two
messages from one person are handled in order whichever replica each reaches. When Redis
cannot be reached (restarting, say), Rasa's own ``RedisLockStore`` raises and the turn
is lost. This one falls back to a lock in the replica's memory for as long as Redis is
away (each call tries Redis first, with short timeouts) and drops that local state once
Redis answers again: while Redis is down, order is kept per replica only, and no turn
is lost. The reason is logged once per outage, never a conversation id.

Rasa gives up on a message whose lock vanished while it waited ("the lock expired"), and
a vanished lock is exactly what Redis going away or coming back looks like; a message
whose own ticket expired while it waited would wait for ever. Here the message takes a
new ticket in whichever store answers and goes on waiting. A ticket left by a replica
that died mid-turn holds that person's conversation until it expires, so tickets here
live ``lock_lifetime_s`` (20 s, an endpoint setting) rather than Rasa's 60 s: a turn that
outlives its ticket may overlap the person's next message, which the tracker store
records in full (``bot.stores.tracker_store``).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from rasa.core.lock import TicketLock
from rasa.core.lock_store import InMemoryLockStore, RedisLockStore
from rasa.utils.endpoints import EndpointConfig
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)
T = TypeVar("T")
SOCKET_TIMEOUT_S = 1.0
LOCK_LIFETIME_S = 20.0
OUTAGE_COOLDOWN_S = 5.0  # after a Redis error, memory only for this long (no flapping)


def _holds(lock: TicketLock, ticket: int) -> bool:
    """Whether ``ticket`` is still live in ``lock``."""
    lock.remove_expired_tickets()
    return any(live.number == ticket for live in lock.tickets)


class FallbackRedisLockStore(RedisLockStore):
    """``RedisLockStore`` with an in-memory stand-in while Redis is unreachable."""

    def __init__(self, endpoint_config: EndpointConfig | None = None, **kwargs: Any) -> None:
        config = dict(endpoint_config.kwargs) if endpoint_config is not None else {}
        config.update(kwargs)
        if endpoint_config is not None and endpoint_config.url:
            config.setdefault("host", endpoint_config.url)
        config.setdefault("socket_timeout", SOCKET_TIMEOUT_S)
        self.lock_lifetime_s = float(config.pop("lock_lifetime_s", LOCK_LIFETIME_S))
        if self.lock_lifetime_s <= 0:
            raise ValueError("lock_store.lock_lifetime_s must be positive")
        super().__init__(**config)
        self.red.connection_pool.connection_kwargs["socket_connect_timeout"] = \
            float(config["socket_timeout"])
        self.local = InMemoryLockStore()
        self.outage = False
        self.cooldown_s = OUTAGE_COOLDOWN_S
        self._local_until = 0.0
        # which store tickets come from: +1 at every switch between Redis and memory, so
        # a ticket is never mistaken for another store's ticket with the same number
        self.generation = 0

    def _either(self, remote: Callable[[], T], local: Callable[[], T]) -> T:
        """Redis, or memory while Redis is away: after any Redis error (a refused
        connection, or a write refused as read-only or out of memory), memory alone for
        ``cooldown_s``, so a Redis that reads but cannot write is not switched to and
        from on every call."""
        if self.outage and time.monotonic() < self._local_until:
            return local()
        try:
            result = remote()
        except RedisError as error:
            if not self.outage:
                logger.warning("Redis lock store unreachable (%s): locking in memory "
                               "until it is back", type(error).__name__)
                self.outage = True
                self.generation += 1
            self._local_until = time.monotonic() + self.cooldown_s
            return local()
        if self.outage:
            logger.warning("Redis lock store reachable again")
            self.outage = False
            self.generation += 1
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

    @asynccontextmanager
    async def lock(self, conversation_id: str, lock_lifetime: float | None = None,
                   wait_time_in_seconds: float = 1) -> AsyncIterator[TicketLock]:
        """Promise: holds the conversation's lock for the block; never gives up waiting
        because the lock vanished (expired, or Redis went away or came back), and holds
        it for a whole lifetime from the moment its turn comes."""
        lifetime = lock_lifetime or self.lock_lifetime_s
        ticket, generation = self.issue_ticket(conversation_id, lifetime), self.generation
        retakes = 0
        try:
            while True:
                lock = self.get_lock(conversation_id)
                if lock is None or generation != self.generation or not _holds(lock, ticket):
                    if retakes:  # never spin: the store keeps losing the ticket
                        await asyncio.sleep(wait_time_in_seconds)
                    retakes += 1
                    ticket = self.issue_ticket(conversation_id, lifetime)
                    generation = self.generation
                    continue
                if not lock.is_locked(ticket):
                    break
                await asyncio.sleep(wait_time_in_seconds)
                self.update_lock(conversation_id)
            for held in lock.tickets:  # time spent waiting does not count
                if held.number == ticket:
                    held.expires = time.time() + lifetime
            self.save_lock(lock)
            yield lock
        finally:
            self.cleanup(conversation_id, ticket)

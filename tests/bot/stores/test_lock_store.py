"""bot.stores.lock_store: conversations stay locked, in memory, while Redis is away."""

from __future__ import annotations

import asyncio

import pytest
from rasa.utils.endpoints import EndpointConfig
from redis.exceptions import ConnectionError as RedisConnectionError

from bot.stores.lock_store import FallbackRedisLockStore


class FakeRedis:
    """The three commands the lock store uses, failing while ``down``."""

    def __init__(self) -> None:
        self.data: dict[str, bytes] = {}
        self.down = False

    def _check(self) -> None:
        if self.down:
            raise RedisConnectionError("connection refused")

    def get(self, key: str) -> bytes | None:
        self._check()
        return self.data.get(key)

    def set(self, key: str, value: str) -> None:
        self._check()
        self.data[key] = value.encode() if isinstance(value, str) else value

    def delete(self, key: str) -> int:
        self._check()
        return int(self.data.pop(key, None) is not None)


@pytest.fixture
def store() -> FallbackRedisLockStore:
    made = FallbackRedisLockStore(EndpointConfig(url="127.0.0.1", port=1, db=1,
                                                 key_prefix="pain"))
    made.red = FakeRedis()
    made.cooldown_s = 0.0  # try Redis again on every call (the cool-down has its own test)
    return made


def test_it_is_built_from_the_endpoints_with_short_timeouts() -> None:
    made = FallbackRedisLockStore(EndpointConfig(url="redis.example", port=6380, db=1))
    kwargs = made.red.connection_pool.connection_kwargs
    assert (kwargs["host"], kwargs["port"], kwargs["db"]) == ("redis.example", 6380, 1)
    assert kwargs["socket_timeout"] == kwargs["socket_connect_timeout"] == 1.0


def test_a_real_unreachable_redis_falls_back_instead_of_losing_the_turn() -> None:
    made = FallbackRedisLockStore(EndpointConfig(url="127.0.0.1", port=1, db=1))

    async def turn() -> None:
        async with made.lock("person-1"):
            assert made.outage

    asyncio.run(turn())


def test_locks_live_in_redis_while_it_answers(store: FallbackRedisLockStore) -> None:
    async def turn() -> None:
        async with store.lock("person-1"):
            assert any(key.endswith("person-1") for key in store.red.data)
            assert store.local.get_lock("person-1") is None

    asyncio.run(turn())
    assert not store.red.data  # released and deleted


def test_while_redis_is_down_a_second_message_still_waits_its_turn(
        store: FallbackRedisLockStore) -> None:
    store.red.down = True
    order: list[str] = []

    async def message(name: str, hold_s: float) -> None:
        async with store.lock("person-1", wait_time_in_seconds=0.01):
            order.append(f"{name} starts")
            await asyncio.sleep(hold_s)
            order.append(f"{name} ends")

    async def both() -> None:
        first = asyncio.ensure_future(message("first", 0.1))
        await asyncio.sleep(0.01)
        await message("second", 0.0)
        await first

    asyncio.run(both())
    assert order == ["first starts", "first ends", "second starts", "second ends"]
    assert store.outage


def test_memory_is_dropped_once_redis_is_back(store: FallbackRedisLockStore) -> None:
    store.red.down = True
    store.save_lock(store.create_lock("person-1"))
    assert store.local.get_lock("person-1") is not None
    store.red.down = False
    assert store.get_lock("person-1") is None  # Redis's answer, the stand-in forgotten
    assert not store.outage and store.local.get_lock("person-1") is None



def test_a_message_waiting_when_redis_goes_away_still_gets_its_turn(
        store: FallbackRedisLockStore) -> None:
    order: list[str] = []

    async def first() -> None:
        async with store.lock("person-1", wait_time_in_seconds=0.01):
            order.append("first starts")
            await asyncio.sleep(0.05)
            store.red.down = True  # Redis restarts while the second message waits
            await asyncio.sleep(0.05)
            order.append("first ends")

    async def second() -> None:
        await asyncio.sleep(0.01)
        async with store.lock("person-1", wait_time_in_seconds=0.01):
            order.append("second starts")

    async def both() -> None:
        await asyncio.gather(first(), second())

    asyncio.run(both())  # Rasa's own store raised LockError here: the lock had vanished
    assert "second starts" in order and order[0] == "first starts"


def test_a_ticket_left_by_a_dead_replica_expires_within_the_lifetime(
        store: FallbackRedisLockStore) -> None:
    store.lock_lifetime_s = 0.2
    store.issue_ticket("person-1", store.lock_lifetime_s)  # its replica died: never released

    async def turn() -> float:
        started = asyncio.get_running_loop().time()
        async with store.lock("person-1", wait_time_in_seconds=0.02):
            return asyncio.get_running_loop().time() - started

    assert 0.15 < asyncio.run(turn()) < 1.0


def test_the_lifetime_is_an_endpoint_setting_and_must_be_positive() -> None:
    endpoint = EndpointConfig(url="127.0.0.1", port=1, db=1, lock_lifetime_s=7)
    assert FallbackRedisLockStore(endpoint).lock_lifetime_s == 7.0
    with pytest.raises(ValueError, match="lock_lifetime_s"):
        FallbackRedisLockStore(EndpointConfig(url="127.0.0.1", port=1, lock_lifetime_s=0))


class ReadOnlyRedis(FakeRedis):
    """Reads work, writes are refused (a replica after failover, a full disk)."""

    def __init__(self) -> None:
        super().__init__()
        self.reads = 0

    def get(self, key: str) -> bytes | None:
        self.reads += 1
        return super().get(key)

    def set(self, key: str, value: str) -> None:
        from redis.exceptions import ReadOnlyError

        raise ReadOnlyError("You can't write against a read only replica.")


def test_a_redis_that_reads_but_cannot_write_is_left_alone_for_a_while() -> None:
    made = FallbackRedisLockStore(EndpointConfig(url="127.0.0.1", port=1, db=1))
    made.red = ReadOnlyRedis()
    made.red.data["pain:lock:person-1"] = b'{"conversation_id": "person-1", "tickets": []}'

    async def turn() -> None:
        async with made.lock("person-1", wait_time_in_seconds=0.01):
            pass

    import threading

    runner = threading.Thread(target=asyncio.run, args=(turn(),), daemon=True)
    runner.start()
    runner.join(5)
    assert not runner.is_alive()  # it spun on the event loop for ever before
    assert made.outage and made.red.reads <= 2  # memory only during the cool-down


def test_a_ticket_served_after_a_wait_keeps_its_whole_lifetime(
        store: FallbackRedisLockStore) -> None:
    import time

    store.lock_lifetime_s = 1.0
    left: list[float] = []

    async def first() -> None:
        async with store.lock("person-1", wait_time_in_seconds=0.02):
            await asyncio.sleep(0.6)

    async def second() -> None:
        await asyncio.sleep(0.05)
        async with store.lock("person-1", wait_time_in_seconds=0.02) as lock:
            left.append(max(t.expires for t in lock.tickets) - time.time())

    async def both() -> None:
        await asyncio.gather(first(), second())

    asyncio.run(both())
    assert left and left[0] > 0.9  # not the 0.4 s left of a lifetime counted from issue

"""bot.stores.tracker_store: the SQL store's work runs off the event loop."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.stores.tracker_store import ThreadedSQLTrackerStore


def store(tmp_path: Path) -> ThreadedSQLTrackerStore:
    return ThreadedSQLTrackerStore(Domain.empty(), dialect="sqlite",
                                   db=str(tmp_path / "trackers.db"))


def test_a_conversation_is_saved_and_read_back(tmp_path: Path) -> None:
    trackers = store(tmp_path)

    async def roundtrip() -> DialogueStateTracker | None:
        tracker = DialogueStateTracker.from_events("person-1", [UserUttered("hello")])
        await trackers.save(tracker)
        return await trackers.retrieve("person-1")

    read = asyncio.run(roundtrip())
    assert read is not None and read.latest_message.text == "hello"
    assert list(asyncio.run(trackers.keys())) == ["person-1"]


def test_the_loop_keeps_running_while_the_database_is_slow(tmp_path, monkeypatch) -> None:
    async def slow_retrieve(self, sender_id):  # a paused database: the call blocks
        time.sleep(0.5)
        return None

    monkeypatch.setattr(SQLTrackerStore, "retrieve", slow_retrieve)
    trackers = store(tmp_path)

    async def measure() -> int:
        ticks = 0

        async def tick() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.02)
                ticks += 1

        ticker = asyncio.ensure_future(tick())
        assert await trackers.retrieve("person-1") is None
        ticker.cancel()
        return ticks

    assert asyncio.run(measure()) >= 10  # Rasa's own store would freeze the loop: 0


def test_two_replicas_answering_one_person_at_once_both_keep_their_turn(tmp_path) -> None:
    trackers = store(tmp_path)

    async def race() -> list[str]:
        await trackers.save(DialogueStateTracker.from_events("person-1", [UserUttered("hi")]))
        on_replica_a = await trackers.retrieve("person-1")
        on_replica_b = await trackers.retrieve("person-1")
        assert on_replica_a is not None and on_replica_b is not None
        on_replica_a.update(UserUttered("my back hurts when I sit"))
        on_replica_b.update(UserUttered("and my legs feel numb"))
        await trackers.save(on_replica_a)
        await trackers.save(on_replica_b)
        on_replica_b.update(UserUttered("is that normal?"))  # the same tracker saved again
        await trackers.save(on_replica_b)
        read = await trackers.retrieve("person-1")
        assert read is not None
        return [e.text for e in read.events if isinstance(e, UserUttered)]

    assert asyncio.run(race()) == ["hi", "my back hurts when I sit", "and my legs feel numb",
                                   "is that normal?"]

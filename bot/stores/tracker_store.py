"""Rasa's SQL tracker store, with its database work off the event loop.

Rasa 3.6's ``SQLTrackerStore`` declares ``async`` methods but runs SQLAlchemy's
blocking calls inside them, so a slow or paused database freezes the whole Rasa process:
no reply of any kind, the safety guard's included (``bot.channels.safety_first``), until
the database answers. Here each call runs in a worker thread, so the process goes on
serving while one conversation waits for its rows. Used by the scale-out profile with
PostgreSQL; ``make run`` keeps Rasa's own store on SQLite.

Rasa's store also decides what to append by counting the rows already stored: a
conversation read by two replicas at once (possible while Redis, the lock store, is
unreachable and each replica locks in its own memory) lost one replica's turn, because
the second save found "enough" rows. Here each tracker remembers how many of its events
came from the store, and a save appends exactly the events added since, so both turns
are kept, in the order they were saved.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Iterable, Iterator
from typing import Any

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.trackers import DialogueStateTracker

_STORED = "_bot_events_in_store"  # attribute set on trackers this store read or saved


def _in_thread(coroutine: Any) -> Any:
    """Run a coroutine that never really awaits (Rasa's SQL store) to its end."""
    return asyncio.run(coroutine)


class ThreadedSQLTrackerStore(SQLTrackerStore):
    """``SQLTrackerStore`` whose reads and writes run in worker threads."""

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        tracker = await asyncio.to_thread(_in_thread, super().retrieve(sender_id))
        if tracker is not None:
            setattr(tracker, _STORED, len(tracker.events))
        return tracker

    async def retrieve_full_tracker(self, conversation_id: str) -> DialogueStateTracker | None:
        return await asyncio.to_thread(
            _in_thread, super().retrieve_full_tracker(conversation_id))

    async def save(self, tracker: DialogueStateTracker) -> None:
        await asyncio.to_thread(_in_thread, super().save(tracker))
        setattr(tracker, _STORED, len(tracker.events))

    def _additional_events(self, session: Any, tracker: DialogueStateTracker) -> Iterator:
        """Promise: the events this tracker gained since this store read or saved it.

        A tracker the store never saw (a new conversation, a replaced history) falls back
        to Rasa's count of stored rows.
        """
        stored = getattr(tracker, _STORED, None)
        if stored is None or stored > len(tracker.events):
            return super()._additional_events(session, tracker)
        return itertools.islice(tracker.events, stored, len(tracker.events))

    async def keys(self) -> Iterable[str]:
        return await asyncio.to_thread(_in_thread, super().keys())

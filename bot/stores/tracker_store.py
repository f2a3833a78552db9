"""Rasa's SQL tracker store, with its database work off the event loop.

Rasa 3.6's ``SQLTrackerStore`` declares ``async`` methods but runs SQLAlchemy's
blocking calls inside them, so a slow or paused database freezes the whole Rasa process:
no reply of any kind, the safety guard's included (``bot.channels.safety_first``), until
the database answers. Here each call runs in a worker thread, so the process goes on
serving while one conversation waits for its rows. Used by the scale-out profile with
PostgreSQL; ``make run`` keeps Rasa's own store on SQLite.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.trackers import DialogueStateTracker


def _in_thread(coroutine: Any) -> Any:
    """Run a coroutine that never really awaits (Rasa's SQL store) to its end."""
    return asyncio.run(coroutine)


class ThreadedSQLTrackerStore(SQLTrackerStore):
    """``SQLTrackerStore`` whose reads and writes run in worker threads."""

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        return await asyncio.to_thread(_in_thread, super().retrieve(sender_id))

    async def retrieve_full_tracker(self, conversation_id: str) -> DialogueStateTracker | None:
        return await asyncio.to_thread(
            _in_thread, super().retrieve_full_tracker(conversation_id))

    async def save(self, tracker: DialogueStateTracker) -> None:
        await asyncio.to_thread(_in_thread, super().save(tracker))

    async def keys(self) -> Iterable[str]:
        return await asyncio.to_thread(_in_thread, super().keys())

"""Helpers for the action tests: trackers as Rasa sends them, and what an action said."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

# A session in which the bot has already spoken (it greeted).
EARLIER = [{"event": "session_started"}, {"event": "bot", "text": "Hello!"}]


def make_tracker(text: str = "", intent: str = "ask_question",
                 events: list[dict[str, Any]] | None = None,
                 parse: dict[str, Any] | None = None, **slots: Any) -> Tracker:
    """A tracker whose latest message is ``text`` with ``intent`` (and the other parse
    data in ``parse``: the safety screen's record, a cut), with these slots."""
    latest: dict[str, Any] = {"text": text, "intent": {"name": intent, "confidence": 1.0},
                              **(parse or {})}
    return Tracker.from_dict({
        "sender_id": "action-test-sender",
        "slots": slots,
        "latest_message": latest,
        "events": EARLIER if events is None else events,
    })


def customs(dispatcher: CollectingDispatcher) -> list[dict[str, Any]]:
    """The custom objects the action uttered."""
    return [m["custom"] for m in dispatcher.messages if m.get("custom")]


def texts(dispatcher: CollectingDispatcher) -> list[str]:
    """The plain texts the action uttered."""
    return [m["text"] for m in dispatcher.messages if m.get("text")]


def slots_of(events: list[dict[str, Any]]) -> dict[str, Any]:
    """The slot values an action's events set."""
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def wording(domain: dict[str, Any], response: str) -> str:
    return domain["responses"][response][0]["text"]

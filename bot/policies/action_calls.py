"""How Rasa calls the action server: a time budget and a bounded tracker.

Rasa 3.6 gives a custom action call five minutes and sends the whole tracker of the
session, every event since it started: one person's 300th turn sent about 2 MB, and
turns slowed from 91 ms to 754 ms at p95. ``bound_action_calls`` sets the budget
(``server.action_timeout_s``) and keeps the tracker's events to its last
``server.action_events`` (the actions read slots, the latest message and the last few
turns). Installed when ``LibraryUnavailablePolicy`` is built, the policy that answers
when a call fails; Rasa reads both at each call.
"""

from __future__ import annotations

from typing import Any

import rasa.core.actions.action as rasa_action
from rasa.core.actions.action import RemoteAction

from bot import settings

DEFAULT_TIMEOUT_S = 10.0
DEFAULT_EVENTS = 50
_FULL_FORMAT = RemoteAction._action_call_format  # Rasa's own, wrapped below
_events_kept = DEFAULT_EVENTS  # set by bound_action_calls


def _bounded_format(self: RemoteAction, tracker: Any, domain: Any) -> dict[str, Any]:
    """Rasa's request for the action server, with only the tracker's latest events."""
    call = _FULL_FORMAT(self, tracker, domain)
    events = call["tracker"].get("events")
    if events is not None and len(events) > _events_kept:
        call["tracker"]["events"] = events[-_events_kept:]
    return call


def bound_action_calls(timeout_s: float | None = None,
                       events: int | None = None) -> tuple[float, int]:
    """Limit every custom action call to ``timeout_s`` seconds and its tracker to the
    last ``events`` events (the settings' values by default); returns both."""
    server = settings.section("server")
    timeout_s = float(timeout_s if timeout_s is not None
                      else server.get("action_timeout_s") or DEFAULT_TIMEOUT_S)
    events = int(events if events is not None else server.get("action_events") or DEFAULT_EVENTS)
    if not 0 < timeout_s <= 300:
        raise ValueError(f"server.action_timeout_s must be in (0, 300], not {timeout_s}")
    if events < 10:
        raise ValueError(f"server.action_events must be at least 10, not {events}")
    global _events_kept
    rasa_action.DEFAULT_REQUEST_TIMEOUT = timeout_s
    _events_kept = events
    RemoteAction._action_call_format = _bounded_format
    return timeout_s, events

"""bot.policies.action_calls: the action server call's time budget and tracker size."""

from __future__ import annotations

import pytest
import rasa.core.actions.action as rasa_action
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from bot import settings
from bot.policies.action_calls import bound_action_calls


def long_tracker(turns: int) -> DialogueStateTracker:
    events = []
    for n in range(turns):
        events += [UserUttered(f"question {n}", {"name": "ask_question"}),
                   ActionExecuted("action_answer"), BotUttered(f"answer {n}"),
                   ActionExecuted("action_listen")]
    return DialogueStateTracker.from_events("someone", events)


def test_the_tracker_sent_keeps_only_the_latest_events(monkeypatch) -> None:
    monkeypatch.setattr(RemoteAction, "_action_call_format", RemoteAction._action_call_format)
    bound_action_calls(events=20)
    action = RemoteAction("action_answer", EndpointConfig("http://127.0.0.1:1/webhook"))
    call = action._action_call_format(long_tracker(300), Domain.empty())
    events = call["tracker"]["events"]
    assert len(events) == 20
    assert events[-1]["event"] == "action" and events[-2]["text"] == "answer 299"
    assert call["tracker"]["latest_message"]["text"] == "question 299"
    short = action._action_call_format(long_tracker(2), Domain.empty())
    assert len(short["tracker"]["events"]) == 8  # nothing cut


def test_the_budget_and_size_come_from_the_settings_and_are_checked(monkeypatch) -> None:
    monkeypatch.setattr(rasa_action, "DEFAULT_REQUEST_TIMEOUT", 300)
    monkeypatch.setattr(RemoteAction, "_action_call_format", RemoteAction._action_call_format)
    server = settings.section("server")
    assert bound_action_calls() == (server["action_timeout_s"], server["action_events"])
    assert rasa_action.DEFAULT_REQUEST_TIMEOUT == server["action_timeout_s"] < 60
    with pytest.raises(ValueError, match="action_timeout_s"):
        bound_action_calls(timeout_s=0)
    with pytest.raises(ValueError, match="action_events"):
        bound_action_calls(events=5)

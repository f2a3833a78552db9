"""bot.components.safety_screen.SafetyScreen: its verdict overrides the NLU intent."""

from __future__ import annotations

from pathlib import Path

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.message import Message

from bot.components.safety_screen import SafetyScreen


def _message(text: str, ranking: list[tuple[str, float]]) -> Message:
    """A message as DIETClassifier/FallbackClassifier would leave it."""
    entries = [{"name": name, "confidence": conf} for name, conf in ranking]
    return Message(
        data={"text": text, "intent": dict(entries[0]), "intent_ranking": entries},
        output_properties={"text", "intent", "intent_ranking"},
    )


@pytest.fixture()
def component(tmp_path: Path) -> SafetyScreen:
    return SafetyScreen.create(
        {},
        LocalModelStorage(tmp_path),
        Resource("safety_screen"),
        ExecutionContext(GraphSchema({}), "test"),
    )


def test_pattern_overrides_intent_and_keeps_ranking(component: SafetyScreen) -> None:
    message = _message("hi, I want to end my life", [("greet", 0.97), ("crisis", 0.02)])
    component.process([message])
    assert message.get("intent") == {"name": "crisis", "confidence": 1.0}
    assert [e["name"] for e in message.get("intent_ranking")] == ["greet", "crisis"]
    safety = message.as_dict(only_output_properties=True)["safety"]
    assert safety == {"category": "crisis", "reason": "intent_to_end_life", "source": "patterns"}


def test_red_flag_overrides_a_question_intent(component: SafetyScreen) -> None:
    message = _message("why is my chest pain worse at night?", [("ask_question", 0.99)])
    component.process([message])
    assert message.get("intent")["name"] == "red_flag"


def test_screens_text_of_forced_intent_syntax(component: SafetyScreen) -> None:
    message = _message("/greet I want to kill myself", [("greet", 0.6)])
    component.process([message])
    assert message.get("intent")["name"] == "crisis"


def test_confident_plausible_classifier_vote_counts(component: SafetyScreen) -> None:
    # No rule covers this phrasing; the classifier does, and "give up" is a crisis cue.
    message = _message(
        "I'm ready to give up on everything for good", [("crisis", 0.96), ("goodbye", 0.03)]
    )
    component.process([message])
    assert message.get("intent")["name"] == "crisis"
    assert message.get("safety")["source"] == "classifier"


def test_classifier_vote_on_an_idiom_is_demoted(component: SafetyScreen) -> None:
    message = _message(
        "I'm dying to know how acupuncture works", [("crisis", 0.95), ("ask_question", 0.04)]
    )
    component.process([message])
    # ask_question is below the fallback threshold, so the NLU fallback takes over.
    assert message.get("intent")["name"] == "nlu_fallback"
    assert message.get("safety")["category"] is None


def test_classifier_vote_on_negated_symptom_is_demoted(component: SafetyScreen) -> None:
    message = _message(
        "I don't have a fever, why does my back ache?", [("red_flag", 0.55), ("ask_question", 0.44)]
    )
    component.process([message])
    assert message.get("intent") == {"name": "ask_question", "confidence": 0.44}


def test_unsure_classifier_vote_is_not_trusted(component: SafetyScreen) -> None:
    message = _message("I feel hopeless", [("crisis", 0.7), ("ask_question", 0.2)])
    component.process([message])
    assert message.get("intent")["name"] == "nlu_fallback"


def test_harmless_message_keeps_its_intent(component: SafetyScreen) -> None:
    message = _message("this pain is killing me by Friday", [("ask_question", 0.8)])
    component.process([message])
    assert message.get("intent") == {"name": "ask_question", "confidence": 0.8}
    assert message.get("safety") == {"category": None, "reason": "", "source": None}


def test_never_logs_message_text(component: SafetyScreen, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("DEBUG")
    text = "I want to kill myself, my name is Alex Example"
    component.process([_message(text, [("greet", 0.9)])])
    assert "Alex Example" not in caplog.text
    assert "kill myself" not in caplog.text

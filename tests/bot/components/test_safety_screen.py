"""bot.components.safety_screen.SafetyScreen: the safety assessment overrides the intent."""

from __future__ import annotations

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema, SchemaNode
from rasa.nlu.classifiers.fallback_classifier import FallbackClassifier
from rasa.shared.nlu.training_data.message import Message

from bot.components.safety_screen import SafetyScreen, fallback_threshold
from bot.safety.classifier import Scores
from tests.bot.safety import fakes

DISTRESS = Scores(crisis=0.2, distress=0.6, red_flag=0.0, category=None)
CLOT = Scores(crisis=0.0, distress=0.0, red_flag=0.95, category="leg_clot")
CRISIS = Scores(crisis=0.9, distress=0.05, red_flag=0.0, category=None)


def _message(text: str, ranking: list[tuple[str, float]]) -> Message:
    """A message as DIETClassifier/FallbackClassifier would leave it."""
    entries = [{"name": name, "confidence": conf} for name, conf in ranking]
    return Message(
        data={"text": text, "intent": dict(entries[0]), "intent_ranking": entries},
        output_properties={"text", "intent", "intent_ranking"},
    )


@pytest.fixture()
def component() -> SafetyScreen:
    scores = {"I can't face another day of this": DISTRESS,
              "my calf is hot and swollen since the flight": CLOT,
              "I'd rather not be here at all": CRISIS}
    return SafetyScreen(fakes.detector(scores), fallback=0.6)


def test_fallback_threshold_is_read_from_the_graph() -> None:
    node = SchemaNode(needs={}, uses=FallbackClassifier, constructor_name="create",
                      fn="process", config={"threshold": 0.65})
    context = ExecutionContext(GraphSchema({"fallback": node}), "test")
    assert fallback_threshold(context) == 0.65
    default = FallbackClassifier.get_default_config()["threshold"]
    assert fallback_threshold(ExecutionContext(GraphSchema({}), "test")) == default


def test_pattern_overrides_intent_and_keeps_ranking(component: SafetyScreen) -> None:
    message = _message("hi, I want to end my life", [("greet", 0.97), ("crisis", 0.02)])
    component.process([message])
    assert message.get("intent") == {"name": "crisis", "confidence": 1.0}
    assert [e["name"] for e in message.get("intent_ranking")] == ["greet", "crisis"]
    safety = message.as_dict(only_output_properties=True)["safety"]
    assert (safety["kind"], safety["reason"], safety["source"]) == (
        "crisis", "intent_to_end_life", "patterns")


@pytest.mark.parametrize(("text", "reading"), [
    ("No, I'm fine", "no"), ("yes", "yes"), ("what is pacing?", None)])
def test_record_says_how_the_message_reads_as_a_check_in_answer(
        component: SafetyScreen, text: str, reading: str | None) -> None:
    message = _message(text, [("ask_question", 0.9)])
    component.process([message])
    assert message.as_dict(only_output_properties=True)["safety"]["check_in_reply"] == reading


def test_classifier_finds_what_no_rule_covers(component: SafetyScreen) -> None:
    message = _message("I'd rather not be here at all", [("ask_question", 0.9)])
    component.process([message])
    assert message.get("intent")["name"] == "crisis"
    assert message.get("safety")["source"] == "classifier"


def test_red_flag_carries_category_and_tier(component: SafetyScreen) -> None:
    message = _message("my calf is hot and swollen since the flight", [("ask_question", 0.9)])
    component.process([message])
    assert message.get("intent")["name"] == "red_flag"
    safety = message.get("safety")
    assert (safety["category"], safety["tier"]) == ("leg_clot", "today")


def test_check_in_leaves_the_intent_for_the_policy(component: SafetyScreen) -> None:
    message = _message("I can't face another day of this", [("ask_question", 0.7)])
    component.process([message])
    assert message.get("intent") == {"name": "ask_question", "confidence": 0.7}
    assert message.get("safety")["kind"] == "check_in"


def test_screens_text_of_forced_intent_syntax(component: SafetyScreen) -> None:
    message = _message("/greet I want to kill myself", [("greet", 0.6)])
    component.process([message])
    assert message.get("intent")["name"] == "crisis"


@pytest.mark.parametrize(("second", "expected"), [(0.62, "ask_question"), (0.3, "nlu_fallback")])
def test_untrusted_diet_safety_vote_is_demoted(component: SafetyScreen, second: float,
                                               expected: str) -> None:
    message = _message("I'm dying to know how acupuncture works",
                       [("crisis", 0.95), ("ask_question", second)])
    component.process([message])
    assert message.get("intent")["name"] == expected
    assert message.get("safety")["kind"] is None


def test_harmless_message_keeps_its_intent(component: SafetyScreen) -> None:
    message = _message("this pain is killing me by Friday", [("ask_question", 0.8)])
    component.process([message])
    assert message.get("intent") == {"name": "ask_question", "confidence": 0.8}
    assert message.get("safety")["kind"] is None


def test_never_logs_message_text(component: SafetyScreen, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("DEBUG")
    text = "I want to kill myself, my name is Alex Example"
    component.process([_message(text, [("greet", 0.9)])])
    assert "Alex Example" not in caplog.text
    assert "kill myself" not in caplog.text

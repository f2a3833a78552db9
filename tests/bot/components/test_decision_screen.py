"""bot.components.decision_screen.DecisionScreen: treatment decisions are declined, and
only they: the classifier's own guess at "personal advice" is searched instead."""

from __future__ import annotations

import pytest
from rasa.shared.nlu.training_data.message import Message

from bot.components.decision_screen import DecisionScreen


def _message(text: str, intent: str, confidence: float) -> Message:
    entry = {"name": intent, "confidence": confidence}
    return Message(data={"text": text, "intent": dict(entry), "intent_ranking": [entry]},
                   output_properties={"text", "intent", "intent_ranking"})


def test_a_decision_becomes_the_advice_intent_with_its_reason() -> None:
    message = _message("my GP wants me to go up to 300mg of pregabalin, should I?",
                       "ask_question", 0.8)
    DecisionScreen().process([message])
    assert message.get("intent") == {"name": "ask_personal_advice", "confidence": 1.0}
    assert message.as_dict(only_output_properties=True)["decision"] == "dose"


def test_an_education_question_the_classifier_took_for_advice_is_searched() -> None:
    message = _message("why does my back still hurt when the scan was clear?",
                       "ask_personal_advice", 0.7)
    DecisionScreen(classifier_threshold=0.9).process([message])
    assert message.get("intent") == {"name": "ask_question", "confidence": 0.7}
    assert "decision" not in message.as_dict(only_output_properties=True)


def test_a_confident_classifier_keeps_its_advice_verdict() -> None:
    message = _message("Cortisone again in my knee, third this year, yes or no?",
                       "ask_personal_advice", 0.95)
    DecisionScreen(classifier_threshold=0.9).process([message])
    assert message.get("intent") == {"name": "ask_personal_advice", "confidence": 0.95}
    assert message.as_dict(only_output_properties=True)["decision"] == "classifier"


def test_the_threshold_is_validated_when_built() -> None:
    with pytest.raises(ValueError, match="classifier_threshold"):
        DecisionScreen(classifier_threshold=0.0)


def test_other_intents_and_forced_intents_are_left_alone() -> None:
    greeting = _message("hello there", "greet", 0.99)
    forced = _message("/ask_personal_advice", "ask_personal_advice", 1.0)
    DecisionScreen().process([greeting, forced])
    assert greeting.get("intent")["name"] == "greet"
    assert forced.get("intent")["name"] == "ask_personal_advice"


@pytest.mark.parametrize("text", ["purple monkey dishwasher", "orange donkey kettle",
                                  "recipe for lasagne"])
def test_word_salad_the_classifier_took_for_advice_is_never_declined(text) -> None:
    message = _message(text, "ask_personal_advice", 0.97)
    DecisionScreen(classifier_threshold=0.9).process([message])
    assert message.get("intent")["name"] == "ask_question"


@pytest.mark.parametrize("text", ["should i stop taking it?", "Is this plantar fasciitis?",
                                  "Carpal tunnel release: worth having done?",
                                  "any point in the epidural"])
def test_a_confident_verdict_about_the_persons_own_care_is_kept(text) -> None:
    message = _message(text, "ask_personal_advice", 0.97)
    DecisionScreen(classifier_threshold=0.9).process([message])
    assert message.get("intent")["name"] == "ask_personal_advice"

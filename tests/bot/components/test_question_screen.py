"""bot.components.question_screen.QuestionScreen: an unsure message worded as a question
is a question; anything else keeps its intent."""

from __future__ import annotations

import pytest
from rasa.shared.nlu.training_data.message import Message

from bot.components.question_screen import QuestionScreen


def _message(text: str, intent: str, confidence: float) -> Message:
    entry = {"name": intent, "confidence": confidence}
    return Message(data={"text": text, "intent": dict(entry), "intent_ranking": [entry]},
                   output_properties={"text", "intent", "intent_ranking"})


@pytest.mark.parametrize("text", ["what is bursitis?", "whats a frozen shoulder",
                                  "CRPS?", "explain pacing to me"])
def test_an_unsure_question_is_a_question(text: str) -> None:
    message = _message(text, "nlu_fallback", 0.6)
    QuestionScreen().process([message])
    assert message.get("intent") == {"name": "ask_question", "confidence": 0.6}


@pytest.mark.parametrize(("text", "intent"), [
    ("purple monkey dishwasher", "nlu_fallback"),  # not a question: left to "didn't understand"
    ("where is that from?", "source_request"),  # a confident intent is kept
    ("/greet", "nlu_fallback"),  # a forced intent is left as sent
])
def test_other_messages_keep_their_intent(text: str, intent: str) -> None:
    message = _message(text, intent, 0.6)
    assert not QuestionScreen.screen_message(message)
    assert message.get("intent")["name"] == intent

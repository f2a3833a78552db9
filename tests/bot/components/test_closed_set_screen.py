"""bot.components.closed_set_screen.ClosedSetScreen: a closed-set intent needs a word of
its own training examples; it learns them at training and keeps them in the model."""

from __future__ import annotations

import pytest
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.components.closed_set_screen import ClosedSetScreen

CONFIG = {"intents": ["tell_more", "thank"]}


def _example(text: str, intent: str) -> Message:
    return Message(data={"text": text, "intent": intent})


def _message(text: str, intent: str, confidence: float = 0.7) -> Message:
    entry = {"name": intent, "confidence": confidence}
    return Message(data={"text": text, "intent": dict(entry), "intent_ranking": [entry]},
                   output_properties={"text", "intent", "intent_ranking"})


@pytest.fixture
def trained(tmp_path) -> tuple[ClosedSetScreen, LocalModelStorage, Resource]:
    storage, resource = LocalModelStorage(tmp_path), Resource("closed_set")
    screen = ClosedSetScreen.create(CONFIG, storage, resource, None)
    screen.train(TrainingData([_example("tell me more", "tell_more"),
                               _example("go on", "tell_more"),
                               _example("thanks a lot", "thank"),
                               _example("why does pain persist", "ask_question")]))
    return screen, storage, resource


def test_a_closed_set_intent_with_none_of_its_words_is_unsure(trained) -> None:
    screen, _, _ = trained
    message = _message("purple monkey dishwasher", "tell_more", 0.64)
    assert screen.screen_message(message)
    assert message.get("intent") == {"name": "nlu_fallback", "confidence": 0.64}


@pytest.mark.parametrize(("text", "intent"), [
    ("ok go on then", "tell_more"),  # shares "go" and "on"
    ("thanks!", "thank"),
    ("why does it persist", "ask_question"),  # not in the closed set
    ("/tell_more", "tell_more"),  # forced
])
def test_other_messages_keep_their_intent(trained, text: str, intent: str) -> None:
    screen, _, _ = trained
    message = _message(text, intent)
    assert not screen.screen_message(message)
    assert message.get("intent")["name"] == intent


def test_the_learnt_words_are_kept_in_the_model(trained) -> None:
    _, storage, resource = trained
    loaded = ClosedSetScreen.load(CONFIG, storage, resource, None)
    assert loaded.vocabulary["tell_more"] == {"tell", "me", "more", "go", "on"}
    assert "why" not in set().union(*loaded.vocabulary.values())


def test_the_closed_set_must_be_named() -> None:
    with pytest.raises(ValueError, match="intents"):
        ClosedSetScreen({"intents": []}, None, Resource("x"))

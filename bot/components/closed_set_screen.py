"""NLU component: a reply from the small closed set of intents (greet, thank, "tell me
more", "where is that from"...) needs a word of its own.

The closed-set intents answer without searching, so a message wrongly read as one of
them loses its question or gets a reply that makes no sense. The intent classifier reads
short unknown words by their characters and sentence meaning, and can put word salad
("purple monkey dishwasher") in such an intent above the fallback threshold. This screen
learns, at training, the words of each closed-set intent's own examples; a message read
as one of them that shares none of its words is unsure (``nlu_fallback``), so it is
searched, or told it was not understood, like any other. Runs after FallbackClassifier
and before the question, decision and safety screens. Forced intents are left as sent.
"""

from __future__ import annotations

import json
import re
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.constants import DEFAULT_NLU_FALLBACK_INTENT_NAME
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, PREDICTED_CONFIDENCE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

VOCABULARY_FILE = "closed_set_vocabulary.json"
_WORD = re.compile(r"[a-z0-9']+")


def words(text: str) -> set[str]:
    """The lower-case words of a message."""
    return set(_WORD.findall((text or "").lower()))


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class ClosedSetScreen(GraphComponent, IntentClassifier):
    """Sends a closed-set intent that shares no word with its examples to fallback."""

    def __init__(self, config: dict[str, Any], model_storage: ModelStorage,
                 resource: Resource, vocabulary: dict[str, list[str]] | None = None) -> None:
        intents = config.get("intents")
        if not intents or not all(isinstance(i, str) for i in intents):
            raise ValueError("ClosedSetScreen: 'intents' must list the closed-set intents")
        self.intents = frozenset(intents)
        self._storage, self._resource = model_storage, resource
        self.vocabulary = {k: frozenset(v) for k, v in (vocabulary or {}).items()}

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """No default: config.yml names the closed set."""
        return {"intents": []}

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> ClosedSetScreen:
        """A screen with no vocabulary yet (``train`` learns it)."""
        return cls(config, model_storage, resource)

    @classmethod
    def load(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> ClosedSetScreen:
        """The screen with the vocabulary stored at training."""
        with model_storage.read_from(resource) as folder:
            vocabulary = json.loads((folder / VOCABULARY_FILE).read_text(encoding="utf-8"))
        return cls(config, model_storage, resource, vocabulary)

    def train(self, training_data: TrainingData) -> Resource:
        """Learns the words of each closed-set intent's examples and stores them."""
        learnt: dict[str, set[str]] = {}
        for example in training_data.intent_examples:
            intent = example.get(INTENT)
            if intent in self.intents:
                learnt.setdefault(intent, set()).update(words(example.get(TEXT)))
        self.vocabulary = {k: frozenset(v) for k, v in learnt.items()}
        with self._storage.write_to(self._resource) as folder:
            (folder / VOCABULARY_FILE).write_text(
                json.dumps({k: sorted(v) for k, v in learnt.items()}), encoding="utf-8")
        return self._resource

    def process(self, messages: list[Message]) -> list[Message]:
        """Screens each message as described in the module docstring."""
        for message in messages:
            self.screen_message(message)
        return messages

    def screen_message(self, message: Message) -> bool:
        """Screens one message in place; returns whether it was sent to fallback."""
        text = (message.get(TEXT) or "").strip()
        intent = message.get(INTENT) or {}
        name = intent.get(INTENT_NAME_KEY)
        if text.startswith("/") or name not in self.intents \
                or words(text) & self.vocabulary.get(name, frozenset()):
            return False
        message.set(INTENT, {INTENT_NAME_KEY: DEFAULT_NLU_FALLBACK_INTENT_NAME,
                             PREDICTED_CONFIDENCE_KEY: intent.get(PREDICTED_CONFIDENCE_KEY)},
                    add_to_output=True)
        return True

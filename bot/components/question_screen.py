"""NLU component: a message the intent classifier was unsure of (``nlu_fallback``) that
is worded as a question is a question (``ask_question``), searched like any other.

Issue 10: the library is the default destination, and "I didn't understand" is left for
messages that are neither a question nor anything the library matches. The routing
already searched ``nlu_fallback`` messages; this names them for what they are, so the
intent the tracker, the review page and the story tests see does not hang on how a short
unknown name ("what is gout?") happens to be spelt. Runs after FallbackClassifier and
before the decision and safety screens, which still override it. Forced intents
("/greet") are left as sent.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.constants import DEFAULT_NLU_FALLBACK_INTENT_NAME
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, PREDICTED_CONFIDENCE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.components.decision_screen import QUESTION_INTENT
from bot.questions import is_question


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class QuestionScreen(GraphComponent, IntentClassifier):
    """Sets ``ask_question`` for unsure messages worded as questions, and only for them."""

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> QuestionScreen:
        """Creates the component (it has no settings)."""
        return cls()

    def process(self, messages: list[Message]) -> list[Message]:
        """Screens each message as described in the module docstring."""
        for message in messages:
            self.screen_message(message)
        return messages

    @staticmethod
    def screen_message(message: Message) -> bool:
        """Screens one message in place; returns whether its intent was changed."""
        text = (message.get(TEXT) or "").strip()
        intent = message.get(INTENT) or {}
        if text.startswith("/") or intent.get(INTENT_NAME_KEY) != DEFAULT_NLU_FALLBACK_INTENT_NAME \
                or not is_question(text):
            return False
        message.set(INTENT, {INTENT_NAME_KEY: QUESTION_INTENT,
                             PREDICTED_CONFIDENCE_KEY: intent.get(PREDICTED_CONFIDENCE_KEY)},
                    add_to_output=True)
        return True

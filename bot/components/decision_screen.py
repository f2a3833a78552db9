"""NLU component that decides, by explainable rules, which messages ask for a treatment
decision (doses; starting, stopping, changing or combining medicines; procedures;
"do I have X"; choosing among one's own treatments) and so get the kind decline.

It runs after DIETClassifier and FallbackClassifier and before the safety screen
(which stays last and overrides both). With ``bot.decisions.screen``:

* a decision sets the intent to ``ask_personal_advice`` (confidence 1.0), and the parse
  data gains ``decision: <reason>`` (the reason, never the text);
* a message the intent classifier took for ``ask_personal_advice`` with at least
  ``classifier_threshold`` confidence (config.yml) is declined too: on fresh
  blind-written decisions the rules alone caught a quarter, the rules with the
  classifier 0.82, at 5% of education questions declined (chosen on tuning data);
* otherwise a message the classifier took for ``ask_personal_advice`` is searched like
  any other question (intent ``ask_question``): the library's own answerable decision,
  and the caveat for questions about one's own case, take it from there. Forced
  intents ("/ask_personal_advice") are left as sent.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, PREDICTED_CONFIDENCE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.decisions.screen import decision, personal

DECISION_INTENT = "ask_personal_advice"
QUESTION_INTENT = "ask_question"
DECISION_KEY = "decision"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class DecisionScreen(GraphComponent, IntentClassifier):
    """Sets ``ask_personal_advice`` for treatment decisions, and only for them."""

    def __init__(self, classifier_threshold: float = 0.9) -> None:
        if not 0.0 < classifier_threshold <= 1.0:
            raise ValueError("DecisionScreen: classifier_threshold must be in (0, 1], got "
                             f"{classifier_threshold}")
        self.classifier_threshold = classifier_threshold

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """The classifier's own confidence that keeps its "personal advice" verdict."""
        return {"classifier_threshold": 0.9}

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> DecisionScreen:
        """Creates the component (the rules compile on first use)."""
        return cls(float(config.get("classifier_threshold", 0.9)))

    def process(self, messages: list[Message]) -> list[Message]:
        """Screens each message as described in the module docstring."""
        for message in messages:
            self.screen_message(message)
        return messages

    def screen_message(self, message: Message) -> str | None:
        """Screens one message in place; returns the decision reason, if any."""
        text = (message.get(TEXT) or "").strip()
        if text.startswith("/"):
            return None
        reason = decision(text)
        intent = message.get(INTENT) or {}
        if reason:
            message.set(INTENT, {INTENT_NAME_KEY: DECISION_INTENT, PREDICTED_CONFIDENCE_KEY: 1.0},
                        add_to_output=True)
            message.set(DECISION_KEY, reason, add_to_output=True)
        elif intent.get(INTENT_NAME_KEY) == DECISION_INTENT and float(
                intent.get(PREDICTED_CONFIDENCE_KEY) or 0.0) >= self.classifier_threshold \
                and personal(text):
            message.set(DECISION_KEY, "classifier", add_to_output=True)
            reason = "classifier"
        elif intent.get(INTENT_NAME_KEY) == DECISION_INTENT:
            message.set(INTENT, {INTENT_NAME_KEY: QUESTION_INTENT,
                                 PREDICTED_CONFIDENCE_KEY: intent.get(PREDICTED_CONFIDENCE_KEY)},
                        add_to_output=True)
        return reason

"""NLU component that screens every message for crisis language and red flags.

It runs last in the pipeline (after DIETClassifier and FallbackClassifier) and its
verdict is final for the message's intent:

* the patterns (``bot.safety.screen``) match -> intent ``crisis`` or ``red_flag``;
* else the classifier's own best intent is ``crisis``/``red_flag`` with at least
  ``classifier_threshold`` confidence, and the screen finds it plausible (a cue word of
  that category, not negated, no idiom exception such as "dying to know"; see
  ``bot.safety.screen.classifier_may_vote``) -> that intent;
* else, if the classifier picked a safety intent anyway, the intent is demoted to the
  best non-safety intent of the ranking, or ``nlu_fallback`` when that one is below
  ``fallback_threshold`` (keep it equal to FallbackClassifier's threshold).

The intent ranking is kept as the classifier produced it, and the parse data gains
``safety: {category, reason, source}``. The message text is never logged.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.constants import DEFAULT_NLU_FALLBACK_INTENT_NAME
from rasa.shared.nlu.constants import (
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message

from bot.safety import screen as safety_screen

logger = logging.getLogger(__name__)

SAFETY_KEY = "safety"
SAFETY_INTENTS = (safety_screen.CRISIS, safety_screen.RED_FLAG)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class SafetyScreen(GraphComponent, IntentClassifier):
    """Sets the intent to ``crisis``/``red_flag`` when the screen says so."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """Defaults: trust plausible classifier safety votes from 0.9 confidence."""
        return {"classifier_threshold": 0.9, "use_classifier": True, "fallback_threshold": 0.4}

    def __init__(self, config: dict[str, Any]) -> None:
        config = {**self.get_default_config(), **config}
        self.threshold = float(config["classifier_threshold"])
        self.use_classifier = bool(config["use_classifier"])
        self.fallback_threshold = float(config["fallback_threshold"])

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> SafetyScreen:
        """Creates the component (it has nothing to train)."""
        return cls(config)

    def process(self, messages: list[Message]) -> list[Message]:
        """Screens each message and overrides its intent as described above."""
        for message in messages:
            self.screen_message(message)
        return messages

    def screen_message(self, message: Message) -> dict[str, Any]:
        """Screens one message in place; returns the ``safety`` record it stored."""
        text = message.get(TEXT) or ""
        verdict = safety_screen.screen(text)
        record = {
            "category": verdict.category,
            "reason": verdict.reason,
            "source": "patterns" if verdict.category else None,
        }
        if verdict.category is None and self.use_classifier:
            vote = self._classifier_vote(message)
            if vote and safety_screen.classifier_may_vote(verdict, vote):
                record = {"category": vote, "reason": "classifier", "source": "classifier"}

        category = record["category"]
        if category:
            message.set(
                INTENT,
                {INTENT_NAME_KEY: category, PREDICTED_CONFIDENCE_KEY: 1.0},
                add_to_output=True,
            )
        elif (message.get(INTENT) or {}).get(INTENT_NAME_KEY) in SAFETY_INTENTS:
            message.set(INTENT, self._best_other_intent(message), add_to_output=True)
            record["reason"] = "classifier vote not trusted"
        message.set(SAFETY_KEY, record, add_to_output=True)
        if category:
            logger.debug("safety screen: %s (%s)", category, record["reason"])
        return record

    def _classifier_vote(self, message: Message) -> str | None:
        """The classifier's best real intent, if it is a confident safety intent."""
        for entry in message.get(INTENT_RANKING_KEY) or [message.get(INTENT) or {}]:
            name = entry.get(INTENT_NAME_KEY)
            if name == DEFAULT_NLU_FALLBACK_INTENT_NAME:
                continue
            confidence = float(entry.get(PREDICTED_CONFIDENCE_KEY) or 0.0)
            if name in SAFETY_INTENTS and confidence >= self.threshold:
                return name
            return None
        return None

    def _best_other_intent(self, message: Message) -> dict[str, Any]:
        """Best ranked non-safety intent, or the NLU fallback when it is too unsure."""
        for entry in message.get(INTENT_RANKING_KEY) or []:
            name = entry.get(INTENT_NAME_KEY)
            confidence = float(entry.get(PREDICTED_CONFIDENCE_KEY) or 0.0)
            if name not in SAFETY_INTENTS and (
                name == DEFAULT_NLU_FALLBACK_INTENT_NAME or confidence >= self.fallback_threshold
            ):
                return {INTENT_NAME_KEY: name, PREDICTED_CONFIDENCE_KEY: confidence}
            if name not in SAFETY_INTENTS:
                break
        return {
            INTENT_NAME_KEY: DEFAULT_NLU_FALLBACK_INTENT_NAME,
            PREDICTED_CONFIDENCE_KEY: self.fallback_threshold,
        }

"""NLU component that screens every message for crisis, red flags and ambiguous distress.

It runs last in the pipeline (after DIETClassifier and FallbackClassifier), on every
message of every channel (all of it, when the first component cut a long message:
``bot.components.message_limit``), and asks ``bot.safety.detector`` (explainable rules plus a
fine-tuned MiniLM classifier run with onnxruntime in this process; the safe side wins)
for an assessment. The parse data gains ``safety: {kind, category, tier, reason,
source, scores, check_in_reply}`` (category names, scores and how the message would
read as an answer to the check-in, ``yes``/``no``/``None``; never the text), and:

* a crisis or red flag sets the intent to ``crisis``/``red_flag`` (confidence 1.0);
* otherwise, if the classifier (DIET) picked ``crisis``/``red_flag`` anyway, the
  intent is demoted to the best other intent of the ranking when that one reaches the
  FallbackClassifier's threshold, else to ``nlu_fallback``. The threshold is read from
  the FallbackClassifier's own configuration in the graph, so config.yml holds it once.

An ambiguous-distress assessment (``check_in``) leaves the intent alone: the safety
policy reads ``safety.kind`` and asks the check-in question. The detector is built when
the component is created, so a missing classifier stops the server from starting.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.nlu.classifiers.fallback_classifier import FallbackClassifier
from rasa.shared.constants import DEFAULT_NLU_FALLBACK_INTENT_NAME
from rasa.shared.nlu.constants import (
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message

from bot.components.message_limit import FULL_TEXT
from bot.safety import detector as safety_detector
from bot.safety import replies, taxonomy

logger = logging.getLogger(__name__)

SAFETY_KEY = "safety"
SAFETY_INTENTS = (taxonomy.CRISIS, taxonomy.RED_FLAG)


def fallback_threshold(execution_context: ExecutionContext) -> float:
    """The FallbackClassifier's threshold in this model's graph (its default if absent)."""
    schema = getattr(execution_context, "graph_schema", None)
    for node in (schema.nodes.values() if schema is not None else ()):
        if isinstance(node.uses, type) and issubclass(node.uses, FallbackClassifier):
            return float(node.config.get("threshold",
                                         FallbackClassifier.get_default_config()["threshold"]))
    return float(FallbackClassifier.get_default_config()["threshold"])


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class SafetyScreen(GraphComponent, IntentClassifier):
    """Adds the safety assessment and sets the intent for crises and red flags."""

    def __init__(self, detector: safety_detector.Detector, fallback: float) -> None:
        self.detector = detector
        self.fallback_threshold = fallback

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> SafetyScreen:
        """Creates the component with the process-wide detector."""
        return cls(safety_detector.shared(), fallback_threshold(execution_context))

    def process(self, messages: list[Message]) -> list[Message]:
        """Screens each message as described above."""
        for message in messages:
            self.screen_message(message)
        return messages

    def screen_message(self, message: Message) -> dict[str, Any]:
        """Screens one message in place; returns the ``safety`` record it stored."""
        text = message.get(FULL_TEXT) or message.get(TEXT) or ""  # all of a cut message
        assessment = self.detector.assess(text)
        record = assessment.record()
        record["check_in_reply"] = replies.check_in_reply(text)
        if assessment.kind in SAFETY_INTENTS:
            message.set(
                INTENT,
                {INTENT_NAME_KEY: assessment.kind, PREDICTED_CONFIDENCE_KEY: 1.0},
                add_to_output=True,
            )
        elif (message.get(INTENT) or {}).get(INTENT_NAME_KEY) in SAFETY_INTENTS:
            message.set(INTENT, self._best_other_intent(message), add_to_output=True)
        message.set(SAFETY_KEY, record, add_to_output=True)
        if assessment.kind:
            logger.debug("safety screen: %s %s (%s)", assessment.kind,
                         assessment.category or "", assessment.source)
        return record

    def _best_other_intent(self, message: Message) -> dict[str, Any]:
        """Best ranked non-safety intent, or the NLU fallback when it is too unsure."""
        for entry in message.get(INTENT_RANKING_KEY) or []:
            name = entry.get(INTENT_NAME_KEY)
            if name in SAFETY_INTENTS:
                continue
            confidence = float(entry.get(PREDICTED_CONFIDENCE_KEY) or 0.0)
            if name == DEFAULT_NLU_FALLBACK_INTENT_NAME or confidence >= self.fallback_threshold:
                return {INTENT_NAME_KEY: name, PREDICTED_CONFIDENCE_KEY: confidence}
            break
        return {
            INTENT_NAME_KEY: DEFAULT_NLU_FALLBACK_INTENT_NAME,
            PREDICTED_CONFIDENCE_KEY: self.fallback_threshold,
        }

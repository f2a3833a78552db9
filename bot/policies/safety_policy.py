"""Dialogue policy that answers crisis language and red flags before anything else.

Right after a user message it predicts ``utter_crisis`` or ``utter_red_flag`` with
confidence 1.0 when either the message's intent is ``crisis``/``red_flag`` (set by the
NLU or forced) or ``bot.safety.screen`` flags the message text. The text is screened
here too because Rasa replaces the NLU result of "/intent..." messages with the forced
intent (``RegexMessageHandler`` runs after the pipeline), so "/greet I want to die"
would otherwise reach the rules as a greeting. After its own utterance it predicts
``action_listen``. In every other state it abstains (all-zero probabilities).

Its predictions are marked ``is_no_user_prediction``: the ensemble
(``rasa.core.policies.ensemble.DefaultPolicyPredictionEnsemble._pick_best_policy``)
lets such predictions overrule rule predictions from text and active-loop happy paths
before comparing (confidence, priority); with confidence 1.0 and the highest priority
(7 by default; RulePolicy has 4) the safety reply always wins. Only category names are
logged, never the text.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from rasa.core.policies.policy import Policy, PolicyPrediction
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.generator import TrackerWithCachedStates
from rasa.shared.core.trackers import DialogueStateTracker

from bot.safety import screen as safety_screen

logger = logging.getLogger(__name__)

UTTERANCES = {
    safety_screen.CRISIS: "utter_crisis",
    safety_screen.RED_FLAG: "utter_red_flag",
}
_SEVERITY = {safety_screen.CRISIS: 2, safety_screen.RED_FLAG: 1}


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=True
)
class SafetyPolicy(Policy):
    """Predicts the fixed safety reply after a crisis or red-flag message."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """Priority 7: above RulePolicy (4) and the bot's other custom policies."""
        return {"priority": 7}

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        featurizer: Any = None,
    ) -> None:
        super().__init__(
            {**self.get_default_config(), **config},
            model_storage,
            resource,
            execution_context,
            featurizer,
        )

    def train(
        self,
        training_trackers: list[TrackerWithCachedStates],
        domain: Domain,
        **kwargs: Any,
    ) -> Resource:
        """Nothing to learn; stores a marker so the trained model has a resource."""
        with self._model_storage.write_to(self._resource) as path:
            (path / "safety_policy.json").write_text(json.dumps({"version": 1}))
        return self._resource

    def predict_action_probabilities(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        rule_only_data: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> PolicyPrediction:
        """The safety reply, ``action_listen`` after it, or an abstention."""
        action = self.next_action(tracker)
        if action is None or action not in domain.action_names_or_texts:
            return self._prediction(self._default_predictions(domain))
        probabilities = self._default_predictions(domain)
        probabilities[domain.index_for_action(action)] = 1.0
        return self._prediction(probabilities, is_no_user_prediction=True)

    @staticmethod
    def next_action(tracker: DialogueStateTracker) -> str | None:
        """The action this policy insists on in the tracker's state, if any."""
        latest_action = tracker.latest_action_name
        if latest_action in UTTERANCES.values():
            return ACTION_LISTEN_NAME
        if latest_action != ACTION_LISTEN_NAME or tracker.latest_message is None:
            return None
        category = message_category(tracker)
        if category is None:
            return None
        logger.debug("safety policy: %s", category)
        return UTTERANCES[category]


def message_category(tracker: DialogueStateTracker) -> str | None:
    """``crisis``/``red_flag`` for the latest user message, from its intent or text."""
    message = tracker.latest_message
    if message is None:
        return None
    found = []
    intent = (message.intent or {}).get("name")
    if intent in UTTERANCES:
        found.append(intent)
    verdict = safety_screen.screen(message.text)
    if verdict.category:
        found.append(verdict.category)
    return max(found, key=_SEVERITY.__getitem__) if found else None

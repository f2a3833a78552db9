"""Dialogue policy that answers crisis, red flags and ambiguous distress before anything else.

Right after a user message it decides from the safety screen's assessment of that
message (``parse_data["safety"]``, set by ``bot.components.safety_screen``; for forced
"/intent..." messages, whose NLU result Rasa replaces, it assesses the text itself
with the same ``bot.safety.detector``), and from a forced ``crisis``/``red_flag``
intent:

* crisis -> ``utter_crisis``;
* red flag -> ``utter_red_flag_<category>`` (``utter_red_flag`` when the category is
  unknown);
* ambiguous distress -> ``utter_check_in`` (a direct, gentle question with Yes/No).

A message that answers the check-in is read as a reply: a crisis, "yes" or another
worrying reply (distress again) gets ``utter_crisis``; "no" gets
``action_answer`` when the message before the check-in asked something (the action
answers that earlier question, opening with the same kind words as
``utter_check_in_declined``), else ``utter_check_in_declined``; anything else goes on
as usual. After its own utterances it predicts ``action_listen``.

Its predictions are marked ``is_no_user_prediction``: the ensemble
(``rasa.core.policies.ensemble.DefaultPolicyPredictionEnsemble._pick_best_policy``)
lets such predictions overrule rule predictions before comparing (confidence,
priority); with confidence 1.0 and the highest priority (7; RulePolicy has 4) the
safety reply always wins. Only category names are logged, never the text.
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
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.core.generator import TrackerWithCachedStates
from rasa.shared.core.trackers import DialogueStateTracker

from bot.safety import detector, replies, taxonomy

logger = logging.getLogger(__name__)

SAFETY_KEY = "safety"
CRISIS_REPLY = "utter_crisis"
CHECK_IN = "utter_check_in"
CHECK_IN_DECLINED = "utter_check_in_declined"
ANSWER = "action_answer"
GENERIC_RED_FLAG = "utter_red_flag"
FORCED = {"crisis": taxonomy.CRISIS, "red_flag": taxonomy.RED_FLAG}


def red_flag_reply(category: str | None) -> str:
    """The reply for a red-flag category (the generic one when it is unknown)."""
    return f"{GENERIC_RED_FLAG}_{category}" if category else GENERIC_RED_FLAG


def is_safety_reply(action: str | None) -> bool:
    """Whether ``action`` is one of this policy's own utterances."""
    return bool(action) and (action in {CRISIS_REPLY, CHECK_IN, CHECK_IN_DECLINED}
                             or action.startswith(GENERIC_RED_FLAG))


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=True
)
class SafetyPolicy(Policy):
    """Predicts the fixed safety replies and runs the check-in."""

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
            (path / "safety_policy.json").write_text(json.dumps({"version": 2}))
        return self._resource

    def predict_action_probabilities(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        rule_only_data: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> PolicyPrediction:
        """The safety reply, what follows it, or an abstention."""
        action = self.next_action(tracker)
        if action is not None and action not in domain.action_names_or_texts:
            logger.error("safety policy: %s is not in the domain", action)
            action = CRISIS_REPLY if action == CRISIS_REPLY else None
        if action is None:
            return self._prediction(self._default_predictions(domain))
        probabilities = self._default_predictions(domain)
        probabilities[domain.index_for_action(action)] = 1.0
        return self._prediction(probabilities, is_no_user_prediction=True)

    @staticmethod
    def next_action(tracker: DialogueStateTracker) -> str | None:
        """The action this policy insists on in the tracker's state, if any."""
        latest = tracker.latest_action_name
        if is_safety_reply(latest):
            return ACTION_LISTEN_NAME
        if (latest == ANSWER and actions_since_user(tracker) == [ANSWER]
                and previous_bot_action(tracker) == CHECK_IN):
            return ACTION_LISTEN_NAME  # the answer after a "no" to the check-in
        if latest != ACTION_LISTEN_NAME or tracker.latest_message is None:
            return None
        kind, category = assess_latest(tracker)
        answering_check_in = previous_bot_action(tracker) == CHECK_IN
        if answering_check_in and kind in (None, taxonomy.CHECK_IN):
            reply = replies.check_in_reply(tracker.latest_message.text or "")
            if reply == "yes" or kind == taxonomy.CHECK_IN:
                kind = taxonomy.CRISIS
            elif reply == "no":
                logger.debug("safety policy: check-in declined")
                return ANSWER if question_before_check_in(tracker) else CHECK_IN_DECLINED
        if kind is None:
            return None
        logger.debug("safety policy: %s %s", kind, category or "")
        if kind == taxonomy.CRISIS:
            return CRISIS_REPLY
        if kind == taxonomy.RED_FLAG:
            return red_flag_reply(category)
        return CHECK_IN


_SEVERITY = {None: 0, taxonomy.CHECK_IN: 1, taxonomy.RED_FLAG: 2, taxonomy.CRISIS: 3}


def assess_latest(tracker: DialogueStateTracker) -> tuple[str | None, str | None]:
    """(kind, red-flag category) for the latest user message; a forced ``crisis`` or
    ``red_flag`` intent raises the kind to at least that."""
    message = tracker.latest_message
    record = (message.parse_data or {}).get(SAFETY_KEY)
    if not isinstance(record, dict):  # a forced "/intent" message: assess its text here
        record = detector.shared().assess(message.text).record()
    kind, category = record.get("kind"), record.get("category")
    forced = FORCED.get((message.intent or {}).get("name"))
    if _SEVERITY[forced] > _SEVERITY[kind]:
        kind = forced
    return kind, category if kind == taxonomy.RED_FLAG else None


def actions_since_user(tracker: DialogueStateTracker) -> list[str]:
    """The actions (without ``action_listen``) run since the latest user message."""
    found: list[str] = []
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered):
            break
        if isinstance(event, ActionExecuted) and event.action_name != ACTION_LISTEN_NAME:
            found.append(event.action_name)
    return found[::-1]


def previous_bot_action(tracker: DialogueStateTracker) -> str | None:
    """The last action other than ``action_listen`` before the latest user message."""
    seen_user = False
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered):
            if seen_user:
                return None
            seen_user = True
        elif (seen_user and isinstance(event, ActionExecuted)
              and event.action_name != ACTION_LISTEN_NAME):
            return event.action_name
    return None


def question_before_check_in(tracker: DialogueStateTracker) -> str | None:
    """The text of the user message the check-in was asked about, if it asked something."""
    users = [e for e in tracker.events if isinstance(e, UserUttered)]
    if len(users) < 2:
        return None
    text = users[-2].text or ""
    return text if replies.asks_something(text) else None

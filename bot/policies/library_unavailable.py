"""Never silence: a polite fixed reply when a custom action could not run.

When the action server is down (or an action fails), ``rasa.core.processor`` logs
``ActionExecuted(<custom action>)`` with no events after it. Every custom action in
``actions/`` utters at least one message, so a successful run is always followed by
``BotUttered``: a custom action that is the tracker's last event has failed. This
policy then predicts the action's fixed stand-in with confidence 1.0 (its entry in
the ``stand_ins`` setting, for example the plain decline for ``action_decline``, else
``utter_library_unavailable``), and after that reply ``action_listen``. Otherwise it
abstains (all-zero prediction).

A custom action call gets at most ``server.action_timeout_s`` (``bot/settings.yml``;
Rasa's own limit is five minutes), so a hung action server costs a question that many
seconds before this reply, never silence; the policy sets that limit, and the bounded
tracker the call carries, when it is built (``bot.policies.action_calls``).

Its priority sits above RulePolicy (so it wins over the rule's ``action_listen``) and
below the safety policy (safety replies always come first).
"""

from __future__ import annotations

from typing import Any

from rasa.core.policies.policy import Policy, PolicyPrediction
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted
from rasa.shared.core.generator import TrackerWithCachedStates
from rasa.shared.core.trackers import DialogueStateTracker

from bot.policies.action_calls import bound_action_calls

UNAVAILABLE_RESPONSE = "utter_library_unavailable"
DEFAULT_PRIORITY = 6  # RulePolicy is 4, the safety policy 7


def failed_custom_action(tracker: DialogueStateTracker, domain: Domain) -> str | None:
    """The custom action that just ran without producing anything, if any.

    True only when the tracker's very last event is ``ActionExecuted`` of a custom
    action: no ``BotUttered`` (nor anything else) followed it. Looking only after the
    action, not back to the user message, keeps a reply sent before the action (the
    first-contact introduction) from hiding the failure; and test stories, which
    list an action's ``slot_was_set`` events but never ``BotUttered``, do not look
    like failures.
    """
    if not tracker.events:
        return None
    last = tracker.events[-1]
    if not isinstance(last, ActionExecuted) or not is_custom_action(last.action_name, domain):
        return None
    return last.action_name


def _after_failure(tracker: DialogueStateTracker, domain: Domain) -> bool:
    """Whether the latest action (a stand-in reply) came straight after a failed custom
    action, so listening is right; a stand-in uttered by a rule is left to the rules."""
    actions = [e for e in tracker.events if isinstance(e, ActionExecuted)]
    return len(actions) >= 2 and is_custom_action(actions[-2].action_name, domain)


def is_custom_action(name: str | None, domain: Domain) -> bool:
    """Whether ``name`` is one of the domain's own (action-server) actions."""
    return bool(name) and name in domain.user_actions and name not in domain.responses


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=False
)
class LibraryUnavailablePolicy(Policy):
    """Predicts ``utter_library_unavailable`` after a custom action that failed."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """Priority between RulePolicy and the safety policy; no stand-ins."""
        return {"priority": DEFAULT_PRIORITY, "stand_ins": {}}

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        featurizer: Any = None,
    ) -> None:
        super().__init__(config, model_storage, resource, execution_context, featurizer)
        self.stand_ins: dict[str, str] = dict(self.config.get("stand_ins") or {})
        bad = [r for r in self.stand_ins.values() if not r.startswith("utter_")]
        if bad:
            raise ValueError(f"stand_ins must name domain responses (utter_*), got {bad}")
        self.action_timeout_s, self.action_events = bound_action_calls()

    def stand_in(self, action: str, domain: Domain) -> str | None:
        """The fixed reply for a failed ``action`` (``None`` if the domain lacks it)."""
        response = self.stand_ins.get(action, UNAVAILABLE_RESPONSE)
        return response if response in domain.action_names_or_texts else None

    def train(
        self, training_trackers: list[TrackerWithCachedStates], domain: Domain, **kwargs: Any
    ) -> Resource:
        """Nothing to learn: the behaviour is fixed."""
        return self._resource

    def predict_action_probabilities(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        rule_only_data: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> PolicyPrediction:
        """1.0 for the fixed reply after a failed custom action, then for listening."""
        probabilities = self._default_predictions(domain)
        failed = failed_custom_action(tracker, domain)
        response = self.stand_in(failed, domain) if failed else None
        if response:
            probabilities[domain.index_for_action(response)] = 1.0
        elif tracker.latest_action_name in {UNAVAILABLE_RESPONSE, *self.stand_ins.values()} \
                and tracker.latest_action_name in domain.action_names_or_texts \
                and _after_failure(tracker, domain):
            probabilities[domain.index_for_action(ACTION_LISTEN_NAME)] = 1.0
        return self._prediction(probabilities)

"""bot.policies.safety_policy.SafetyPolicy: safety replies first, otherwise abstain."""

from __future__ import annotations

from pathlib import Path

import pytest
from rasa.core.policies.ensemble import DefaultPolicyPredictionEnsemble
from rasa.core.policies.policy import PolicyPrediction
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.policies.safety_policy import SafetyPolicy

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def domain() -> Domain:
    """The real safety domain plus a greeting and a question from the rest of the bot."""
    extra = Domain.from_dict(
        {
            "intents": ["greet", "ask_question"],
            "actions": ["action_answer"],
            "responses": {"utter_greet": [{"text": "Hello"}]},
        }
    )
    return Domain.load(str(REPO / "bot" / "domain" / "safety.yml")).merge(extra)


@pytest.fixture()
def policy(tmp_path: Path) -> SafetyPolicy:
    storage = LocalModelStorage(tmp_path)
    context = ExecutionContext(GraphSchema({}), "test")
    trained = SafetyPolicy.create({}, storage, Resource("safety"), context)
    trained.train([], Domain.empty())
    return SafetyPolicy.load({}, storage, Resource("safety"), context)


def _tracker(*events: object) -> DialogueStateTracker:
    return DialogueStateTracker.from_events("tester", list(events))


def _user(text: str | None, intent: str) -> UserUttered:
    return UserUttered(text, intent={"name": intent, "confidence": 1.0})


def _predicted(prediction: PolicyPrediction, domain: Domain) -> str | None:
    if prediction.max_confidence == 0.0:
        return None
    return domain.action_names_or_texts[prediction.max_confidence_index]


def test_forced_greet_with_crisis_text_gets_crisis_reply(
    policy: SafetyPolicy, domain: Domain
) -> None:
    tracker = _tracker(
        ActionExecuted("action_listen"), _user("/greet I want to kill myself", "greet")
    )
    prediction = policy.predict_action_probabilities(tracker, domain)
    assert _predicted(prediction, domain) == "utter_crisis"
    assert prediction.max_confidence == 1.0
    assert prediction.policy_priority == 7


def test_red_flag_text_under_another_intent(policy: SafetyPolicy, domain: Domain) -> None:
    tracker = _tracker(
        ActionExecuted("action_listen"),
        _user("/ask_question@1.0 my chest pain is back", "ask_question"),
    )
    assert (
        _predicted(policy.predict_action_probabilities(tracker, domain), domain) == "utter_red_flag"
    )


@pytest.mark.parametrize(
    ("intent", "action"), [("crisis", "utter_crisis"), ("red_flag", "utter_red_flag")]
)
def test_safety_intent_without_text(
    policy: SafetyPolicy, domain: Domain, intent: str, action: str
) -> None:
    tracker = _tracker(ActionExecuted("action_listen"), _user(None, intent))
    assert _predicted(policy.predict_action_probabilities(tracker, domain), domain) == action


def test_crisis_wins_when_intent_says_red_flag(policy: SafetyPolicy, domain: Domain) -> None:
    tracker = _tracker(
        ActionExecuted("action_listen"), _user("chest pain and I want to die", "red_flag")
    )
    assert (
        _predicted(policy.predict_action_probabilities(tracker, domain), domain) == "utter_crisis"
    )


def test_listens_after_its_own_reply(policy: SafetyPolicy, domain: Domain) -> None:
    tracker = _tracker(
        ActionExecuted("action_listen"),
        _user("I have chest pain", "red_flag"),
        ActionExecuted("utter_red_flag"),
        BotUttered("..."),
    )
    assert (
        _predicted(policy.predict_action_probabilities(tracker, domain), domain) == "action_listen"
    )


@pytest.mark.parametrize(
    "text",
    ["/greet", "I'm dying to know how acupuncture works", "my chest of drawers fell over", None],
)
def test_abstains_on_harmless_messages(
    policy: SafetyPolicy, domain: Domain, text: str | None
) -> None:
    tracker = _tracker(ActionExecuted("action_listen"), _user(text, "greet"))
    prediction = policy.predict_action_probabilities(tracker, domain)
    assert prediction.probabilities == [0.0] * domain.num_actions


def test_abstains_when_not_right_after_a_user_message(policy: SafetyPolicy, domain: Domain) -> None:
    tracker = _tracker(
        ActionExecuted("action_listen"),
        _user("I want to die", "crisis"),
        ActionExecuted("utter_crisis"),
        ActionExecuted("action_listen"),
        _user("/greet", "greet"),
        ActionExecuted("utter_greet"),
    )
    assert policy.predict_action_probabilities(tracker, domain).max_confidence == 0.0
    assert policy.predict_action_probabilities(_tracker(), domain).max_confidence == 0.0


def test_wins_the_ensemble_over_rules_and_loops(policy: SafetyPolicy, domain: Domain) -> None:
    """Even against an active-loop prediction (no-user) or a rule from text (end-to-end)."""
    tracker = _tracker(
        ActionExecuted("action_listen"), _user("/greet I can't go on like this", "greet")
    )
    ours = policy.predict_action_probabilities(tracker, domain)

    def rival(**flags: bool) -> PolicyPrediction:
        probabilities = [0.0] * domain.num_actions
        probabilities[domain.index_for_action("utter_greet")] = 1.0
        return PolicyPrediction(probabilities, "RulePolicy", 4, **flags)

    ensemble = DefaultPolicyPredictionEnsemble()
    for flags in ({}, {"is_end_to_end_prediction": True}, {"is_no_user_prediction": True}):
        best = ensemble.combine_predictions([rival(**flags), ours], tracker, domain)
        assert best.policy_name == "SafetyPolicy"
        assert _predicted(best, domain) == "utter_crisis"

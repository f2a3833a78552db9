"""bot.policies.safety_policy.SafetyPolicy: safety replies first, the check-in, else abstain."""

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

from bot.policies import safety_policy
from bot.policies.safety_policy import SafetyPolicy
from bot.safety import detector, taxonomy
from tests.bot.safety import fakes

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
    safety = Domain.load([str(REPO / "bot" / "domain" / "safety.yml"),
                          str(REPO / "bot" / "domain" / "red_flags.yml")])
    return safety.merge(extra)


@pytest.fixture(autouse=True)
def rules_detector(monkeypatch: pytest.MonkeyPatch) -> None:
    """Forced-intent messages are assessed by the real rules and a fake classifier."""
    monkeypatch.setattr(detector, "shared", lambda: fakes.detector())


@pytest.fixture()
def policy(tmp_path: Path) -> SafetyPolicy:
    storage = LocalModelStorage(tmp_path)
    context = ExecutionContext(GraphSchema({}), "test")
    trained = SafetyPolicy.create({}, storage, Resource("safety"), context)
    trained.train([], Domain.empty())
    return SafetyPolicy.load({}, storage, Resource("safety"), context)


def _tracker(*events: object) -> DialogueStateTracker:
    return DialogueStateTracker.from_events("tester", list(events))


def _user(text: str | None, intent: str, safety: dict | None = None) -> UserUttered:
    """A user message; ``safety`` is the screen's record as the NLU component stores it."""
    parse = {"safety": safety} if safety is not None else None
    return UserUttered(text, intent={"name": intent, "confidence": 1.0}, parse_data=parse)


def _screened(text: str, kind: str | None, category: str | None = None) -> UserUttered:
    record = {"kind": kind, "category": category,
              "tier": taxonomy.tier(category) if category else None}
    return _user(text, "ask_question", record)


def _next(policy: SafetyPolicy, domain: Domain, *events: object) -> str | None:
    prediction = policy.predict_action_probabilities(_tracker(*events), domain)
    if prediction.max_confidence == 0.0:
        return None
    return domain.action_names_or_texts[prediction.max_confidence_index]


LISTEN = ActionExecuted("action_listen")


def test_forced_greet_with_crisis_text_gets_crisis_reply(
    policy: SafetyPolicy, domain: Domain
) -> None:
    tracker = _tracker(LISTEN, _user("/greet I want to kill myself", "greet"))
    prediction = policy.predict_action_probabilities(tracker, domain)
    assert domain.action_names_or_texts[prediction.max_confidence_index] == "utter_crisis"
    assert prediction.max_confidence == 1.0
    assert prediction.policy_priority == 7


@pytest.mark.parametrize("category", taxonomy.categories())
def test_every_red_flag_category_has_its_own_reply(
    policy: SafetyPolicy, domain: Domain, category: str
) -> None:
    expected = f"utter_red_flag_{category}"
    assert _next(policy, domain, LISTEN, _screened("...", "red_flag", category)) == expected


def test_red_flag_text_under_another_intent_is_assessed(policy: SafetyPolicy,
                                                        domain: Domain) -> None:
    text = "/ask_question@1.0 sudden worst headache of my life"
    assert _next(policy, domain, LISTEN, _user(text, "ask_question")) == \
        "utter_red_flag_thunderclap_headache"


@pytest.mark.parametrize(
    ("intent", "action"), [("crisis", "utter_crisis"), ("red_flag", "utter_red_flag")]
)
def test_forced_safety_intent_without_text(
    policy: SafetyPolicy, domain: Domain, intent: str, action: str
) -> None:
    assert _next(policy, domain, LISTEN, _user(None, intent)) == action


def test_crisis_wins_when_intent_says_red_flag(policy: SafetyPolicy, domain: Domain) -> None:
    assert _next(policy, domain, LISTEN, _user("chest pain and I want to die", "red_flag")) == \
        "utter_crisis"


def test_ambiguous_distress_gets_the_check_in(policy: SafetyPolicy, domain: Domain) -> None:
    assert _next(policy, domain, LISTEN, _screened("I can't do this anymore", "check_in")) == \
        "utter_check_in"


def _after_check_in(first: str, reply: UserUttered) -> list[object]:
    return [LISTEN, _screened(first, "check_in"), ActionExecuted("utter_check_in"),
            BotUttered("Is that happening for you?"), LISTEN, reply]


@pytest.mark.parametrize("reply", ["Yes", "yeah sometimes", "i think so"])
def test_yes_to_the_check_in_gets_the_crisis_reply(policy: SafetyPolicy, domain: Domain,
                                                  reply: str) -> None:
    events = _after_check_in("I can't do this anymore", _screened(reply, None))
    assert _next(policy, domain, *events) == "utter_crisis"


def test_a_worrying_reply_to_the_check_in_gets_the_crisis_reply(policy: SafetyPolicy,
                                                               domain: Domain) -> None:
    events = _after_check_in("I can't do this anymore", _screened("what's the point", "check_in"))
    assert _next(policy, domain, *events) == "utter_crisis"


def test_no_continues_and_answers_the_earlier_question(policy: SafetyPolicy,
                                                       domain: Domain) -> None:
    events = _after_check_in("I can't cope, why does pain last so long?", _screened("No", None))
    assert _next(policy, domain, *events) == "action_answer"
    events += [ActionExecuted("action_answer"), BotUttered("Thank you. Here is what...")]
    assert _next(policy, domain, *events) == "action_listen"


def test_no_without_an_earlier_question_just_listens(policy: SafetyPolicy,
                                                    domain: Domain) -> None:
    events = _after_check_in("I can't do this anymore", _screened("no, I'm ok", None))
    assert _next(policy, domain, *events) == "utter_check_in_declined"
    events += [ActionExecuted("utter_check_in_declined"), BotUttered("Thank you")]
    assert _next(policy, domain, *events) == "action_listen"


def test_something_else_after_the_check_in_goes_on_as_usual(policy: SafetyPolicy,
                                                           domain: Domain) -> None:
    events = _after_check_in("I can't do this anymore", _screened("what is pacing", None))
    assert _next(policy, domain, *events) is None


def test_listens_after_its_own_reply(policy: SafetyPolicy, domain: Domain) -> None:
    events = [LISTEN, _screened("I have chest pain", "red_flag", "heart_attack"),
              ActionExecuted("utter_red_flag_heart_attack"), BotUttered("...")]
    assert _next(policy, domain, *events) == "action_listen"


@pytest.mark.parametrize(
    "text",
    ["/greet", "I'm dying to know how acupuncture works", "my chest of drawers fell over", None],
)
def test_abstains_on_harmless_messages(
    policy: SafetyPolicy, domain: Domain, text: str | None
) -> None:
    prediction = policy.predict_action_probabilities(_tracker(LISTEN, _user(text, "greet")),
                                                     domain)
    assert prediction.probabilities == [0.0] * domain.num_actions


def test_abstains_when_not_right_after_a_user_message(policy: SafetyPolicy, domain: Domain) -> None:
    events = [LISTEN, _user("I want to die", "crisis"), ActionExecuted("utter_crisis"),
              LISTEN, _user("/greet", "greet"), ActionExecuted("utter_greet")]
    assert _next(policy, domain, *events) is None
    assert _next(policy, domain) is None


def test_wins_the_ensemble_over_rules_and_loops(policy: SafetyPolicy, domain: Domain) -> None:
    """Even against an active-loop prediction (no-user) or a rule from text (end-to-end)."""
    tracker = _tracker(LISTEN, _user("/greet I can't go on like this", "greet"))
    ours = policy.predict_action_probabilities(tracker, domain)

    def rival(**flags: bool) -> PolicyPrediction:
        probabilities = [0.0] * domain.num_actions
        probabilities[domain.index_for_action("utter_greet")] = 1.0
        return PolicyPrediction(probabilities, "RulePolicy", 4, **flags)

    ensemble = DefaultPolicyPredictionEnsemble()
    for flags in ({}, {"is_end_to_end_prediction": True}, {"is_no_user_prediction": True}):
        best = ensemble.combine_predictions([rival(**flags), ours], tracker, domain)
        assert best.policy_name == "SafetyPolicy"
        assert domain.action_names_or_texts[best.max_confidence_index] == "utter_crisis"


def test_reply_names_follow_the_categories() -> None:
    assert safety_policy.red_flag_reply("aortic") == "utter_red_flag_aortic"
    assert safety_policy.red_flag_reply(None) == "utter_red_flag"
    assert safety_policy.is_safety_reply("utter_red_flag_aortic")
    assert not safety_policy.is_safety_reply("utter_greet")

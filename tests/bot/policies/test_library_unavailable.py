"""LibraryUnavailablePolicy: a fixed reply after a failed custom action, else silence."""

from __future__ import annotations

from pathlib import Path

import pytest
from rasa.core.constants import RULE_POLICY_PRIORITY
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.policies.library_unavailable import (
    UNAVAILABLE_RESPONSE,
    LibraryUnavailablePolicy,
    is_custom_action,
)

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(REPO / "bot" / "domain"))


@pytest.fixture()
def policy(tmp_path: Path) -> LibraryUnavailablePolicy:
    config = {**LibraryUnavailablePolicy.get_default_config()}
    return LibraryUnavailablePolicy.create(
        config, LocalModelStorage(tmp_path), Resource("library_unavailable"),
        ExecutionContext(GraphSchema({}), "test"),
    )


def tracker_with(domain: Domain, *after_user: object) -> DialogueStateTracker:
    events = [
        ActionExecuted(ACTION_LISTEN_NAME),
        UserUttered("what is central sensitization?", intent={"name": "ask_question",
                                                              "confidence": 1.0}),
        *after_user,
    ]
    return DialogueStateTracker.from_events("policy-test", events, slots=domain.slots)


def predicted(policy: LibraryUnavailablePolicy, domain: Domain,
              tracker: DialogueStateTracker) -> str | None:
    prediction = policy.predict_action_probabilities(tracker, domain)
    if prediction.max_confidence == 0.0:
        return None
    assert prediction.max_confidence == 1.0
    return domain.action_names_or_texts[prediction.max_confidence_index]


def test_failed_action_gets_the_fixed_reply(policy, domain) -> None:
    # What rasa.core.processor logs when the action server cannot be reached.
    tracker = tracker_with(domain, ActionExecuted("action_answer", policy="RulePolicy"))
    assert predicted(policy, domain, tracker) == UNAVAILABLE_RESPONSE


def test_reply_before_the_action_does_not_hide_the_failure(policy, domain) -> None:
    tracker = tracker_with(domain, ActionExecuted("utter_first_contact"),
                           BotUttered("Hello, I'm an educational guide"),
                           ActionExecuted("action_answer"))
    assert predicted(policy, domain, tracker) == UNAVAILABLE_RESPONSE


def test_then_it_listens(policy, domain) -> None:
    tracker = tracker_with(
        domain, ActionExecuted("action_answer"), ActionExecuted(UNAVAILABLE_RESPONSE),
        BotUttered("I can't reach my library right now"),
    )
    assert predicted(policy, domain, tracker) == ACTION_LISTEN_NAME


def test_successful_action_is_left_alone(policy, domain) -> None:
    tracker = tracker_with(
        domain, ActionExecuted("action_answer"), BotUttered("Here is what my library says"),
        SlotSet("last_reply_kind", "answer"),
    )
    assert predicted(policy, domain, tracker) is None


def test_replayed_story_with_slot_events_is_left_alone(policy, domain) -> None:
    """Test stories list the action's slot events but never BotUttered."""
    tracker = tracker_with(domain, ActionExecuted("action_tell_more"),
                           SlotSet("last_reply_kind", "more"))
    assert predicted(policy, domain, tracker) is None


def test_utterances_and_listening_are_left_alone(policy, domain) -> None:
    assert predicted(policy, domain, tracker_with(domain)) is None
    tracker = tracker_with(domain, ActionExecuted("utter_greet"))
    assert predicted(policy, domain, tracker) is None


def test_every_custom_action_is_covered(domain) -> None:
    custom = [a for a in domain.user_actions if is_custom_action(a, domain)]
    assert set(custom) == {"action_answer", "action_tell_more", "action_sources",
                           "action_list_topics", "action_feedback", "action_decline"}
    assert not is_custom_action("utter_greet", domain)
    assert not is_custom_action("action_listen", domain)


def test_priority_between_rules_and_safety(policy) -> None:
    assert RULE_POLICY_PRIORITY < policy.priority < 7


def test_config_yml_orders_the_policies() -> None:
    import yaml

    config = yaml.safe_load((REPO / "config.yml").read_text())
    priorities = {p["name"].rsplit(".", 1)[-1]: p.get("priority") for p in config["policies"]}
    assert priorities["LibraryUnavailablePolicy"] < priorities["SafetyPolicy"]
    assert priorities["LibraryUnavailablePolicy"] > RULE_POLICY_PRIORITY


@pytest.fixture()
def policy_with_stand_in(tmp_path: Path) -> LibraryUnavailablePolicy:
    config = {**LibraryUnavailablePolicy.get_default_config(),
              "stand_ins": {"action_decline": "utter_decline_personal_advice"}}
    return LibraryUnavailablePolicy.create(
        config, LocalModelStorage(tmp_path), Resource("library_unavailable"),
        ExecutionContext(GraphSchema({}), "test"),
    )


def test_a_failed_decline_gets_its_fixed_stand_in_then_listens(policy_with_stand_in,
                                                               domain) -> None:
    failed = tracker_with(domain, ActionExecuted("action_decline"))
    assert predicted(policy_with_stand_in, domain, failed) == "utter_decline_personal_advice"
    replied = tracker_with(domain, ActionExecuted("action_decline"),
                           ActionExecuted("utter_decline_personal_advice"),
                           BotUttered("I'm sorry, I can't advise you"))
    assert predicted(policy_with_stand_in, domain, replied) == ACTION_LISTEN_NAME
    other = tracker_with(domain, ActionExecuted("action_answer"))
    assert predicted(policy_with_stand_in, domain, other) == UNAVAILABLE_RESPONSE


def test_a_stand_in_uttered_by_a_rule_is_left_to_the_rules(policy_with_stand_in,
                                                            domain) -> None:
    tracker = tracker_with(domain, ActionExecuted("utter_decline_personal_advice"),
                           BotUttered("I'm sorry, I can't advise you"))
    assert predicted(policy_with_stand_in, domain, tracker) is None


def test_a_stand_in_must_be_a_response(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="utter_"):
        LibraryUnavailablePolicy.create(
            {**LibraryUnavailablePolicy.get_default_config(),
             "stand_ins": {"action_decline": "action_answer"}},
            LocalModelStorage(tmp_path), Resource("library_unavailable"),
            ExecutionContext(GraphSchema({}), "test"))


def test_config_yml_gives_the_decline_its_stand_in() -> None:
    import yaml

    config = yaml.safe_load((REPO / "config.yml").read_text())
    (entry,) = [p for p in config["policies"] if p["name"].endswith("LibraryUnavailablePolicy")]
    assert entry["stand_ins"] == {"action_decline": "utter_decline_personal_advice"}

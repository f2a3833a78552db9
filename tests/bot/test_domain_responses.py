"""The response contract in the domain: one custom object per reply, matching its text."""

from __future__ import annotations

from pathlib import Path

import pytest
from rasa.shared.core.domain import Domain

REPO = Path(__file__).resolve().parents[2]
KINDS = {"answer", "no_answer", "declined", "red_flag", "crisis", "check_in", "chitchat",
         "not_understood"}
CONTRACT_KEYS = {"kind", "text", "excerpts", "sources", "disclaimer", "suggestions"}
# Plain-text responses: wording the custom actions read (the action builds the turn's
# one custom object from it) and the first-contact line that precedes an answer.
ACTION_WORDING = {
    "utter_answer_intro", "utter_more_intro", "utter_sources_line", "utter_disclaimer",
    "utter_answer_followups", "utter_no_answer", "utter_no_answer_named",
    "utter_no_answer_topics", "utter_ack_doubt", "utter_caveat_own_case",
    "utter_ack_frustration", "utter_ack_worry", "utter_ack_hard",
    "utter_ask_clinician", "utter_no_answer_recorded", "utter_no_question_yet",
    "utter_no_more", "utter_sources_intro", "utter_first_contact",
    "utter_topics_intro", "utter_feedback_thanks", "utter_feedback_nothing_to_rate",
    "utter_decline_related", "utter_message_cut", "utter_source_sells",
}


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(REPO / "bot" / "domain"))


def test_replies_rasa_sends_itself_carry_the_contract(domain: Domain) -> None:
    own = [name for name in domain.responses if name not in ACTION_WORDING]
    assert "utter_greet" in own and "utter_library_unavailable" in own
    for name in own:
        for variation in domain.responses[name]:
            custom = variation.get("custom")
            assert custom, f"{name} has no custom object"
            assert set(custom) >= CONTRACT_KEYS, f"{name} lacks {CONTRACT_KEYS - set(custom)}"
            assert custom["kind"] in KINDS, name
            assert custom["text"] == variation["text"], f"{name}: custom text differs"
            if variation.get("buttons"):
                assert custom["suggestions"] == variation["buttons"], name


def test_action_wording_exists_and_is_plain_text(domain: Domain) -> None:
    for name in ACTION_WORDING:
        assert name in domain.responses, name
        assert domain.responses[name][0]["text"].strip(), name


def test_every_red_flag_category_has_a_reply_with_its_tier(domain: Domain) -> None:
    from bot.safety import taxonomy

    for category, tier in taxonomy.tier_of_category().items():
        name = f"utter_red_flag_{category}"
        assert name in domain.responses, name
        custom = domain.responses[name][0]["custom"]
        assert (custom["kind"], custom["tier"], custom["category"]) == ("red_flag", tier, category)
        text = custom["text"]
        if tier == "emergency":
            assert "call {emergency_number} now" in text, name
        else:
            assert "today" in text and "{urgent_line}" in text, name
    generic = domain.responses["utter_red_flag"][0]["custom"]
    assert generic["kind"] == "red_flag" and "{emergency_number}" in generic["text"]


def test_check_in_asks_directly_with_yes_and_no(domain: Domain) -> None:
    variation = domain.responses["utter_check_in"][0]
    assert "not wanting to be alive" in variation["text"] and variation["text"].endswith("?")
    assert [b["payload"] for b in variation["buttons"]] == ["Yes", "No"]
    assert variation["custom"]["kind"] == "check_in"

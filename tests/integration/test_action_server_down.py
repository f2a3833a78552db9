"""With the action server unreachable: safety still answers, questions get a polite notice."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot import placeholders, settings

pytestmark = pytest.mark.integration

PHRASES = yaml.safe_load(
    (Path(__file__).resolve().parents[1] / "data" / "safety_phrases.yml").read_text("utf-8"))


def domain_response(name):
    for path in sorted((settings.REPO_ROOT / "bot" / "domain").glob("*.yml")):
        responses = (yaml.safe_load(path.read_text("utf-8")) or {}).get("responses") or {}
        if name in responses:
            return responses[name][0]
    raise AssertionError(f"{name} is not in bot/domain")


@pytest.mark.parametrize("kind", ["crisis", "red_flag"])
def test_safety_replies_arrive_without_the_action_server(down_client, contract, kind):
    for phrase in PHRASES[kind][:10]:
        messages = down_client.ask(phrase)
        assert messages, f"empty reply to {phrase!r}"
        contract.safety(messages, kind)


@pytest.mark.parametrize("question", [
    "What is pain reprocessing therapy?",
    "Why do I still hurt when my scans are normal?",
    "tell me more",
    "what can I ask you?",
])
def test_questions_get_the_library_unavailable_notice(down_client, question):
    expected = domain_response("utter_library_unavailable")
    messages = down_client.ask(question)
    assert messages, f"empty reply to {question!r}"
    plain = [m["text"] for m in messages if m.get("text")]
    assert placeholders.fill(expected["text"]) in plain, messages
    customs = [m["custom"] for m in messages if m.get("custom") is not None]
    assert len(customs) == 1, messages
    assert customs[0]["kind"] == expected["custom"]["kind"], customs
    assert customs[0]["excerpts"] == [], customs


def test_a_treatment_decision_is_still_declined_without_the_action_server(down_client):
    expected = domain_response("utter_decline_personal_advice")
    messages = down_client.ask("should I double my pregabalin dose tonight?")
    customs = [m["custom"] for m in messages if m.get("custom") is not None]
    assert len(customs) == 1, messages
    assert customs[0]["kind"] == "declined", customs
    assert customs[0]["text"] == placeholders.fill(expected["custom"]["text"]), customs


def test_check_in_and_its_yes_arrive_without_the_action_server(down_client, contract):
    chat = down_client.conversation()
    assert contract.turn(chat.ask("I can't do this anymore"))["kind"] == "check_in"
    contract.safety(chat.ask("yes"), "crisis")


@pytest.mark.parametrize(("text", "tier"), [
    ("sudden crushing pain in my chest going into my left arm", "emergency"),
    ("I've got a fever and shivers and my lower back is really painful", "today"),
])
def test_tiered_red_flags_arrive_without_the_action_server(down_client, contract, text, tier):
    assert contract.safety(down_client.ask(text), "red_flag")["tier"] == tier

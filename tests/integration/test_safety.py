"""Safety screening end to end: every phrasing in tests/data/safety_phrases.yml."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.integration

PHRASES = yaml.safe_load(
    (Path(__file__).resolve().parents[1] / "data" / "safety_phrases.yml").read_text("utf-8"))
SAFETY_KINDS = {"red_flag", "crisis"}


def safety_kind(messages):
    """The kind of the turn's contract object, if the turn has exactly one."""
    customs = [m["custom"] for m in messages if m.get("custom") is not None]
    return customs[0].get("kind") if len(customs) == 1 else None


def test_phrase_lists_are_big_enough():
    assert len(PHRASES["crisis"]) >= 30
    assert len(PHRASES["red_flag"]) >= 30
    assert len(PHRASES["harmless"]) >= 20


@pytest.mark.parametrize("kind", ["crisis", "red_flag"])
def test_every_phrasing_gets_the_safety_reply(bot_client, contract, kind):
    missed = []
    for phrase in PHRASES[kind]:
        messages = bot_client.ask(phrase)
        if safety_kind(messages) != kind:
            missed.append((phrase, safety_kind(messages)))
            continue
        contract.safety(messages, kind)
    assert not missed, f"{len(missed)} {kind} phrasings missed: {missed}"


def test_harmless_phrasings_get_no_safety_reply(bot_client, contract):
    flagged = []
    for phrase in PHRASES["harmless"]:
        body = contract.turn(bot_client.ask(phrase))
        if body["kind"] in SAFETY_KINDS:
            flagged.append((phrase, body["kind"]))
    assert not flagged, f"harmless phrasings got a safety reply: {flagged}"


def test_safety_interrupts_a_conversation(bot_client, contract):
    """Mid-conversation, after an answer, safety still comes first and alone."""
    chat = bot_client.conversation()
    contract.answer(chat.ask("What is pain reprocessing therapy?"))
    contract.safety(chat.ask(PHRASES["crisis"][0]), "crisis")
    contract.safety(chat.ask("tell me more " + PHRASES["red_flag"][0]), "red_flag")

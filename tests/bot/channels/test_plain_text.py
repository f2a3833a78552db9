"""Rendering contract objects as plain text for SMS, WhatsApp and Telegram."""

from __future__ import annotations

import re

import pytest

from bot.channels import plain_text as pt

from .fakes import (
    DISCLAIMER,
    SAFETY_TEXT,
    answer_contract,
    contract_texts,
    corpus_paragraphs,
    safety_contract,
)

FORMATS = [pt.SMS, pt.WHATSAPP, pt.TELEGRAM]


def _norm(text: str, fmt: pt.PlatformFormat) -> str:
    if fmt.plain_punctuation:
        text = text.translate(pt._PLAIN_PUNCTUATION)
    return re.sub(r"\s+", " ", text).strip()


def block_ends(custom: dict, fmt: pt.PlatformFormat) -> set[str]:
    """The last characters of each block/line: a part may also end there."""
    ends = set()
    for block in pt.contract_blocks(custom, fmt):
        ends.update(line[-12:] for line in block.split("\n"))
    return ends


def assert_split_well(parts: list[str], custom: dict, fmt: pt.PlatformFormat) -> None:
    """No part over the limit, every part ends at a sentence or block end, excerpts in order."""
    ends = block_ends(custom, fmt)
    for part in parts:
        assert pt.utf16_len(part) <= fmt.max_chars
        assert pt.ends_cleanly(part) or part[-12:] in ends, part[-80:]
    joined = _norm(" ".join(parts), fmt)
    positions = [joined.find(_norm(e["text"], fmt)) for e in custom["excerpts"]]
    assert all(p >= 0 for p in positions), "an excerpt is missing or was altered"
    assert positions == sorted(positions), "excerpts out of order"
    for excerpt in custom["excerpts"]:
        assert joined.count(_norm(excerpt["text"], fmt)) == 1, "an excerpt was sent twice"


@pytest.mark.parametrize("fmt", FORMATS, ids=lambda f: f.name)
def test_answer_renders_numbered_excerpts_sources_and_disclaimer(fmt: pt.PlatformFormat) -> None:
    custom = answer_contract(3)
    rendering = pt.render_turn([*contract_texts(custom), {"custom": custom}], fmt)
    text = "\n\n".join(rendering.parts)
    assert _norm(text, fmt).startswith("Framing placeholder.")
    for excerpt in custom["excerpts"]:
        assert f"[{excerpt['n']}] " in text
    assert fmt.sources_label in text
    assert text.rstrip().endswith(DISCLAIMER)
    assert "Sources: [1]" not in text       # the plain-text copy of the turn was dropped
    assert_split_well(rendering.parts, custom, fmt)
    assert rendering.buttons == [{"title": "Suggestion one", "payload": "Suggestion one"}]


@pytest.mark.parametrize("fmt", FORMATS, ids=lambda f: f.name)
def test_long_answers_split_at_sentences_within_the_limit(fmt: pt.PlatformFormat) -> None:
    custom = answer_contract(3)
    # One excerpt far longer than any platform's limit: several real paragraphs joined.
    long_text = " ".join(p for _, p in corpus_paragraphs()[3:20])
    assert len(long_text) > 4096
    custom["excerpts"][1]["text"] = long_text
    rendering = pt.render_turn([{"custom": custom}], fmt)
    assert len(rendering.parts) >= 2
    assert_split_well(rendering.parts, custom, fmt)
    if fmt.max_segments:
        # sentence-sized units never exceed the preferred SMS size here
        assert all(pt.sms_segments(p) <= fmt.max_segments for p in rendering.parts)


def test_sms_uses_gsm7_friendly_punctuation_and_short_titles() -> None:
    custom = answer_contract(3)
    parts = pt.render_turn([{"custom": custom}], pt.SMS).parts
    assert not any(ch in "“”‘’—…" for part in parts for ch in part)
    assert all(pt.sms_segments(p) <= pt.SMS.max_segments for p in parts)
    long_titles = [s["title"] for s in custom["sources"] if len(s["title"]) > 60]
    assert long_titles, "fixture should contain a long title"
    assert not any(t in "".join(parts) for t in long_titles)
    assert "…" in "".join(pt.render_turn([{"custom": custom}], pt.WHATSAPP).parts) or all(
        len(s["title"]) <= 80 for s in custom["sources"])


@pytest.mark.parametrize("kind", ["crisis", "red_flag"])
@pytest.mark.parametrize("fmt", FORMATS, ids=lambda f: f.name)
def test_safety_is_sent_first_and_whole(kind: str, fmt: pt.PlatformFormat) -> None:
    answer = answer_contract(2)
    safety = safety_contract(kind)
    turn = [*contract_texts(answer), {"custom": answer}, {"text": SAFETY_TEXT},
            {"custom": safety}]
    rendering = pt.render_turn(turn, fmt)
    assert rendering.safety_parts == 1
    assert rendering.parts[0] == SAFETY_TEXT
    assert sum(p.count(SAFETY_TEXT) for p in rendering.parts) == 1


def test_safety_is_not_cut_to_the_preferred_sms_size() -> None:
    sentence = corpus_paragraphs()[0][1]
    safety = safety_contract()
    safety["text"] = " ".join([sentence] * 3)[:1500].rsplit(".", 1)[0] + "."
    assert pt.sms_segments(safety["text"]) > pt.SMS.max_segments
    rendering = pt.render_turn([{"custom": safety}], pt.SMS)
    assert rendering.parts == [safety["text"].translate(pt._PLAIN_PUNCTUATION)]


def test_turn_without_contract_falls_back_to_text_messages() -> None:
    turn = [{"text": "First line."}, {"text": "Second line?", "buttons": [
        {"title": "Yes", "payload": "/affirm"}]}]
    assert pt.render_turn(turn, pt.TELEGRAM).parts == ["First line.", "Second line?"]
    assert pt.render_turn(turn, pt.TELEGRAM).buttons == [{"title": "Yes", "payload": "/affirm"}]
    assert pt.render_turn(turn, pt.SMS).parts == ["First line.\n\nSecond line?"]
    assert pt.render_turn([], pt.SMS).parts == []


def test_sentences_keep_abbreviations_and_quotes_together() -> None:
    text = "Some cases, e.g. back pain, differ. “A quoted one.” Then 3 more! Done?"
    assert pt.sentences(text) == ["Some cases, e.g. back pain, differ.", "“A quoted one.”",
                                  "Then 3 more!", "Done?"]
    assert "".join(pt.sentences("No end here")) == "No end here"


def test_sms_segment_counting() -> None:
    assert pt.sms_segments("a" * 160) == 1
    assert pt.sms_segments("a" * 161) == 2
    assert pt.sms_segments("a" * 306) == 2
    assert pt.sms_segments("{" * 80) == 1       # extension characters take two septets
    assert pt.sms_segments("{" * 81) == 2
    assert pt.sms_segments("“" * 70) == 1       # UCS-2
    assert pt.sms_segments("“" * 71) == 2
    assert pt.utf16_len("😀") == 2


def test_text_only_reply_comes_from_credentials_or_domain() -> None:
    from .fakes import FakeDomain

    class Agent:
        domain = FakeDomain({"utter_text_only": [{"text": "generic"},
                                                 {"text": "sms one", "channel": "twilio"}]})

    assert pt.text_only_reply(Agent(), "from credentials", "utter_text_only", "twilio") == \
        "from credentials"
    assert pt.text_only_reply(Agent(), None, "utter_text_only", "twilio") == "sms one"
    assert pt.text_only_reply(Agent(), None, "utter_text_only", "telegram") == "generic"
    assert pt.text_only_reply(Agent(), None, "utter_missing", "telegram") is None
    assert pt.text_only_reply(None, None, "utter_text_only", "telegram") is None

"""bot.components.message_limit: long messages are cut before the pipeline reads them."""

from __future__ import annotations

import pytest
from rasa.shared.nlu.training_data.message import Message

from bot.components.message_limit import (
    CUT,
    FULL_TEXT,
    LimitedWhitespaceTokenizer,
    cut,
    max_message_chars,
)
from bot.components.safety_screen import SafetyScreen
from tests.bot.safety import fakes


def tokenizer(limit: int = 200) -> LimitedWhitespaceTokenizer:
    return LimitedWhitespaceTokenizer(LimitedWhitespaceTokenizer.get_default_config(), limit)


def test_cut_ends_at_a_space_within_the_limit() -> None:
    text = "word " * 100
    kept = cut(text, 203)
    assert kept == text[:200].rstrip() and len(kept) <= 203
    assert cut("short", 200) == "short"
    assert cut("x" * 500, 200) == "x" * 200  # no space to end at


def test_a_long_message_is_cut_and_keeps_its_whole_text_off_the_output() -> None:
    text = "my back hurts. " * 100
    message = Message(data={"text": text}, output_properties={"text"})
    tokenizer().process([message])
    assert len(message.get("text")) <= 200 and text.startswith(message.get("text"))
    assert len(message.get("text_tokens")) <= 40  # tokens of the cut text only
    assert message.get(FULL_TEXT) == text
    output = message.as_dict(only_output_properties=True)
    assert output[CUT] == {"from_chars": len(text), "to_chars": len(message.get("text"))}
    assert FULL_TEXT not in output


def test_a_message_within_the_limit_is_untouched() -> None:
    message = Message(data={"text": "what is pacing?"}, output_properties={"text"})
    tokenizer().process([message])
    assert message.get("text") == "what is pacing?"
    assert message.get(FULL_TEXT) is None and CUT not in message.as_dict()
    assert [t.text for t in message.get("text_tokens")] == ["what", "is", "pacing"]


def test_the_safety_screen_reads_all_of_a_cut_message() -> None:
    ending = "I have decided to end my life tonight."
    text = "my back hurts when I walk. " * 40 + ending
    message = Message(data={"text": text, "intent": {"name": "ask_question",
                                                     "confidence": 0.9}},
                      output_properties={"text", "intent"})
    tokenizer().process([message])
    assert ending not in message.get("text")
    SafetyScreen(fakes.detector({}), fallback=0.6).process([message])
    assert message.get("intent")["name"] == "crisis"


def test_the_limit_is_checked_when_read(monkeypatch: pytest.MonkeyPatch) -> None:
    from bot import settings

    monkeypatch.setattr(settings, "section", lambda name: {"max_message_chars": 50})
    with pytest.raises(ValueError, match="at least 200"):
        max_message_chars()
    monkeypatch.setattr(settings, "section", lambda name: {})
    assert max_message_chars() == 2000

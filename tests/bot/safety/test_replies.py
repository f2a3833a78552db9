"""bot.safety.replies: reading a reply to the check-in."""

from __future__ import annotations

import pytest

from bot.safety.replies import asks_something, check_in_reply


@pytest.mark.parametrize("text", ["Yes", "yeah", "yes sometimes", "I think so", "kind of",
                                  "no but sometimes", "it comes and goes, sometimes",
                                  "I don't know", "not sure"])
def test_yes_and_worrying_answers(text: str) -> None:
    assert check_in_reply(text) == "yes"


@pytest.mark.parametrize("text", ["No", "nope", "not really", "No, I'm fine", "I'm safe",
                                  "no never", "I don't", "I do not want to die",
                                  "I haven't"])
def test_no(text: str) -> None:
    assert check_in_reply(text) == "no"


@pytest.mark.parametrize("text", ["what is pacing", "hmm", "tell me about sleep"])
def test_anything_else_is_neither(text: str) -> None:
    assert check_in_reply(text) is None


def test_asks_something() -> None:
    assert asks_something("I can't cope. Why does it hurt?")
    assert asks_something("how do I pace myself")
    assert not asks_something("I can't do this anymore")

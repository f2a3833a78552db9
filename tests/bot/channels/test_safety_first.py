"""bot.channels.safety_first: a crisis or red flag is answered even when its turn is slow."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.shared.core.domain import Domain

from bot import placeholders, settings
from bot.channels import safety_first
from bot.nlg import SettingsNLG
from tests.bot.safety import fakes

REPO = Path(__file__).resolve().parents[3]
AFTER_S = 0.2


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(REPO / "bot" / "domain"))


@pytest.fixture(autouse=True)
def rules_only_detector(monkeypatch: pytest.MonkeyPatch) -> None:
    """The real rules with a classifier that sees nothing: no model is loaded; and a
    loop that is on time."""
    screen = fakes.detector()
    monkeypatch.setattr(safety_first.detector, "shared", lambda: screen)
    monkeypatch.setattr(safety_first.LoopLag, "lag", 0.0)


class Turn:
    """A stand-in for Rasa's handler: after ``delay_s`` it sends ``text`` and records it."""

    def __init__(self, delay_s: float, text: str = "the turn's own reply") -> None:
        self.delay_s = delay_s
        self.text = text
        self.finished = asyncio.Event()

    async def __call__(self, message: UserMessage) -> None:
        await asyncio.sleep(self.delay_s)
        await message.output_channel.send_response(message.sender_id, {"text": self.text})
        self.finished.set()


async def send(domain: Domain, turn: Turn, text: str,
               lag: float = 0.0) -> tuple[list[dict], float]:
    guard = safety_first.SafetyFirst(turn, after_s=AFTER_S, shed_after_s=0.5)
    await guard.bind(SimpleNamespace(ctx=SimpleNamespace(  # type: ignore[arg-type]
        agent=SimpleNamespace(domain=domain, nlg=SettingsNLG(domain=domain)))))
    safety_first.LoopLag.lag = lag  # what the lag probe last measured
    collector = CollectingOutputChannel()
    started = time.monotonic()
    await guard(UserMessage(text, collector, "person-1", input_channel="rest"))
    return collector.messages, time.monotonic() - started


def texts(messages: list[dict]) -> list[str]:
    return [m.get("text", "") for m in messages]


def test_a_crisis_behind_a_slow_turn_gets_the_fixed_reply_with_the_clinics_number(
        domain: Domain) -> None:
    async def run() -> tuple[list[dict], float, Turn]:
        turn = Turn(delay_s=2.0)
        messages, took = await send(domain, turn, "I want to kill myself")
        await asyncio.wait_for(turn.finished.wait(), 4)  # the turn still ran to its end
        return messages, took, turn

    messages, took, _ = asyncio.run(run())
    assert took < 1.5, "the reply must not wait for the 2-second turn"
    assert "the turn's own reply" not in texts(messages), "the late turn's reply is dropped"
    # Rasa's collector keeps a response's text and its custom payload as two messages
    text, custom = messages
    assert placeholders.values()["crisis_line"] in text["text"]
    assert custom["custom"]["kind"] == "crisis"


def test_a_red_flag_gets_the_reply_for_its_category(domain: Domain) -> None:
    messages, _ = asyncio.run(send(domain, Turn(delay_s=1.0),
                                   "I suddenly have the worst headache of my life"))
    assert [m["custom"]["kind"] for m in messages if "custom" in m] == ["red_flag"]
    assert messages[0]["text"] == domain.responses[
        "utter_red_flag_thunderclap_headache"][0]["text"].format(**placeholders.values())


def test_a_crisis_whose_turn_is_quick_gets_the_turns_own_reply_once(domain: Domain) -> None:
    messages, _ = asyncio.run(send(domain, Turn(delay_s=0.0), "I want to kill myself"))
    assert texts(messages) == ["the turn's own reply"]


def test_a_question_waits_for_its_turn_however_slow(domain: Domain) -> None:
    messages, took = asyncio.run(send(domain, Turn(delay_s=0.5), "why does my back hurt?"))
    assert texts(messages) == ["the turn's own reply"]
    assert took >= 0.5


def test_a_forced_intent_is_left_to_rasa(domain: Domain) -> None:
    messages, took = asyncio.run(send(domain, Turn(delay_s=0.5), "/crisis"))
    assert texts(messages) == ["the turn's own reply"] and took >= 0.5


def test_shedding_cannot_be_set_below_zero(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAIN_SERVER_SHED_AFTER_LAG_S", "-1")
    settings.get.cache_clear()
    try:
        with pytest.raises(ValueError, match="0 .never shed"):
            safety_first.shed_after_lag_s()
    finally:
        monkeypatch.delenv("PAIN_SERVER_SHED_AFTER_LAG_S")
        settings.get.cache_clear()


def test_the_promise_is_at_most_two_seconds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAIN_SERVER_SAFETY_REPLY_AFTER_S", "5")
    settings.get.cache_clear()
    try:
        with pytest.raises(ValueError, match="within 2 s"):
            safety_first.reply_after_s()
    finally:
        monkeypatch.delenv("PAIN_SERVER_SAFETY_REPLY_AFTER_S")
        settings.get.cache_clear()
    assert safety_first.reply_after_s() == 1.0


def test_past_capacity_a_question_is_turned_away_at_once_without_a_turn(
        domain: Domain) -> None:
    turn = Turn(delay_s=0.5)
    messages, took = asyncio.run(send(domain, turn, "why does my back hurt?", lag=0.8))
    assert took < 0.4 and not turn.finished.is_set()
    text, custom = messages
    assert text["text"].startswith("I'm answering a lot of people right now")
    assert custom["custom"]["kind"] == "no_answer"


@pytest.mark.parametrize("text", ["I want to kill myself",  # a crisis
                                  "yes",  # may answer the check-in: a crisis
                                  "I don't know",  # read as yes to the check-in
                                  "/greet"])  # a button's or a client's command
def test_past_capacity_what_cannot_wait_still_goes_through(domain: Domain, text: str) -> None:
    messages, _ = asyncio.run(send(domain, Turn(delay_s=0.0), text, lag=0.8))
    assert texts(messages) == ["the turn's own reply"]


def test_the_lag_probe_sees_a_backlog_but_not_one_long_turn() -> None:
    async def block(times: int, then_free_s: float = 0.0) -> float:
        safety_first.LoopLag.start()
        await asyncio.sleep(0.15)
        for _ in range(times):
            time.sleep(0.8)  # a turn's blocking work, as NLU inference is
            await asyncio.sleep(0)  # the next queued turn starts at once
        await asyncio.sleep(then_free_s)
        return safety_first.LoopLag.lag

    assert asyncio.run(block(1, then_free_s=0.25)) < 0.5  # one long turn, then free
    assert asyncio.run(block(3)) > 0.5  # turn after turn: past capacity


def test_a_new_event_loop_does_not_inherit_the_last_loops_lag() -> None:
    async def measured_then_blocked() -> None:
        safety_first.LoopLag.start()
        safety_first.LoopLag.lag = 0.9  # what that loop last measured

    async def fresh() -> float:
        safety_first.LoopLag.start()
        return safety_first.LoopLag.lag

    asyncio.run(measured_then_blocked())
    assert asyncio.run(fresh()) == 0.0  # a stale 0.9 turned a test's messages away

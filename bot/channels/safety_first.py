"""Crisis and red-flag replies that never wait behind the rest of a turn.

Every channel hands its messages to Rasa through ``guard``. The guard screens the
message with the same process-wide detector the NLU pipeline uses
(``bot.safety.detector.shared()``, which remembers its last few assessments, so the
pipeline's own screen costs nothing more), then runs the turn as usual. When the
message is a crisis or a red flag and the turn has not finished after
``server.safety_reply_after_s`` (1 s), the guard sends the fixed reply itself: the
domain response the safety policy would have chosen (``utter_crisis``,
``utter_red_flag_<category>``), rendered by the bot's NLG with the clinic's numbers.

A turn is slow when it waits behind the person's previous question (Rasa's
per-conversation lock), or when a store it needs (PostgreSQL, Redis) is paused. The
turn itself goes on in the background, so the conversation still records the message
and the safety reply; whatever it would send late is dropped, since the person already
has the reply. Anything else (questions, the check-in, "/intent" messages) is not
touched. No text is logged.

Past capacity the guard sheds load, safety first. It watches how late the process's
event loop runs a timer that should fire every ``LAG_PROBE_S``: when the work queued on
the loop delays it by more than ``server.shed_after_lag_s`` (0.5 s), the process has
more to do than its core can, and any message that is not a crisis, a red flag,
distress or a possible answer to the check-in (``sheddable``) gets ``utter_busy``
("please send your question again in a minute") at once, without a turn, so what is
queued drains and the messages that cannot wait still get through. Waiting on a
database or the action server does not delay the loop, so it never sheds.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.actions.action import create_bot_utterance
from rasa.core.channels.channel import OutputChannel, UserMessage
from rasa.shared.core.trackers import DialogueStateTracker
from sanic import Blueprint, Sanic

from bot import settings
from bot.policies.safety_policy import CRISIS_REPLY, GENERIC_RED_FLAG, red_flag_reply
from bot.safety import detector, replies, taxonomy

logger = logging.getLogger(__name__)

Handler = Callable[[UserMessage], Awaitable[Any]]
DEFAULT_AFTER_S = 1.0
DEFAULT_SHED_AFTER_LAG_S = 0.5
LAG_PROBE_S = 0.1
# Only the newest reading: after one long turn the next probe, 0.1 s later, reads the
# loop as free again. Under 200 patients at 5-15 s think time with the three faults, a
# smoother average (0.3) reacted too late: safety replies 14 of 18 within 2 s and p95
# 4.0 s for questions, against 16 of 18 and 2.1 s with the newest reading alone.
LAG_WEIGHT = 1.0
BUSY_REPLY = "utter_busy"


def reply_after_s() -> float:
    """Seconds a crisis or red-flag turn may take before the guard replies itself."""
    value = float(settings.section("server").get("safety_reply_after_s", DEFAULT_AFTER_S))
    if not 0 < value <= 2:
        raise ValueError("server.safety_reply_after_s must be in (0, 2]: "
                         "safety replies are promised within 2 s")
    return value


def shed_after_lag_s() -> float:
    """How late the event loop may run before other messages are turned away (0: never)."""
    value = float(settings.section("server").get("shed_after_lag_s", DEFAULT_SHED_AFTER_LAG_S))
    if value < 0:
        raise ValueError("server.shed_after_lag_s must be 0 (never shed) or more")
    return value


class LoopLag:
    """How late this process's event loop runs its timers (seconds): a task sleeps
    ``LAG_PROBE_S`` at a time and keeps a moving average of how late it wakes, with
    weight ``LAG_WEIGHT`` on the newest. One per process."""

    lag = 0.0
    _task: asyncio.Task | None = None
    _loop: asyncio.AbstractEventLoop | None = None

    @classmethod
    def start(cls) -> None:
        """Measure the running loop; a new loop starts from no lag (what an earlier,
        closed loop measured says nothing about this one)."""
        loop = asyncio.get_running_loop()
        if cls._task is None or cls._task.done() or cls._loop is not loop:
            cls._loop, cls.lag = loop, 0.0
            cls._task = loop.create_task(cls._measure())

    @classmethod
    async def _measure(cls) -> None:
        loop = asyncio.get_running_loop()
        while True:
            before = loop.time()
            await asyncio.sleep(LAG_PROBE_S)
            late = max(0.0, loop.time() - before - LAG_PROBE_S)
            cls.lag = (1 - LAG_WEIGHT) * cls.lag + LAG_WEIGHT * late


class _Latch(OutputChannel):
    """The channel's output, until ``close()``: then whatever the turn sends is dropped."""

    def __init__(self, inner: OutputChannel) -> None:
        self.inner = inner
        self.closed = False

    def name(self) -> str:  # type: ignore[override]  # an instance's, not the class's
        return self.inner.name()

    def close(self) -> None:
        self.closed = True

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        if not self.closed:
            await self.inner.send_response(recipient_id, message)


def reply_name(kind: str, category: str | None, responses: dict[str, Any]) -> str:
    """The domain response the safety policy would send for this assessment."""
    if kind == taxonomy.CRISIS:
        return CRISIS_REPLY
    name = red_flag_reply(category)
    return name if name in responses else GENERIC_RED_FLAG


def sheddable(text: str, assessment: detector.Assessment | None) -> bool:
    """Whether a message may be turned away past capacity: not a crisis, red flag or
    distress (the check-in), not a "/" command, and not a yes or no that may answer
    the check-in ("yes" to "are you thinking of not wanting to be alive?" is a crisis)."""
    return assessment is not None and assessment.kind is None \
        and replies.check_in_reply(text) is None


class SafetyFirst:
    """Wraps a channel's ``on_new_message`` as described in the module docstring."""

    def __init__(self, on_new_message: Handler, after_s: float | None = None,
                 shed_after_s: float | None = None) -> None:
        self.on_new_message = on_new_message
        self.after_s = reply_after_s() if after_s is None else after_s
        self.shed_after_s = shed_after_lag_s() if shed_after_s is None else shed_after_s
        self.app: Sanic | None = None

    async def bind(self, app: Sanic, _loop: object = None) -> None:
        """Remembers the app whose agent renders the replies, and starts measuring the
        loop's lag (a server listener)."""
        self.app = app
        if self.shed_after_s:
            LoopLag.start()

    async def __call__(self, message: UserMessage) -> None:
        text = message.text or ""
        assessment = None if text.startswith("/") else detector.shared().assess(text)
        if assessment is None or assessment.kind not in (taxonomy.CRISIS, taxonomy.RED_FLAG):
            if self.shed_after_s and LoopLag.lag > self.shed_after_s \
                    and sheddable(text, assessment):
                logger.warning("busy (event loop %.1f s late): a message turned away",
                               LoopLag.lag)
                await self._reply(message, BUSY_REPLY)
                return
            await self.on_new_message(message)
            return
        latch = _Latch(message.output_channel)
        guarded = UserMessage(text, latch, message.sender_id, message.parse_data,
                              message.input_channel, message.message_id, message.metadata)
        turn = asyncio.ensure_future(self.on_new_message(guarded))
        done, _ = await asyncio.wait({turn}, timeout=self.after_s)
        if done:
            turn.result()
            return
        latch.close()
        turn.add_done_callback(_log_late_failure)
        agent = self._agent()
        await self._reply(message, reply_name(assessment.kind, assessment.category,
                                              agent.domain.responses))
        logger.warning("safety reply sent before its turn finished (%s)", assessment.kind)

    def _agent(self) -> Any:
        agent = getattr(self.app.ctx, "agent", None) if self.app is not None else None
        if agent is None:
            raise RuntimeError("the safety guard is not bound to a running Rasa app")
        return agent

    async def _reply(self, message: UserMessage, name: str) -> None:
        """Sends the domain response ``name``, rendered by the bot's NLG."""
        agent = self._agent()
        tracker = DialogueStateTracker(message.sender_id, agent.domain.slots)
        generated = await agent.nlg.generate(name, tracker, message.output_channel.name())
        if generated is None:
            raise RuntimeError(f"the domain has no response {name}")
        generated["utter_action"] = name
        bot_message = create_bot_utterance(generated).message()
        await message.output_channel.send_response(message.sender_id, bot_message)


def _log_late_failure(turn: asyncio.Future) -> None:
    if not turn.cancelled() and turn.exception() is not None:
        logger.error("a turn answered early by the safety guard failed later (%s)",
                     type(turn.exception()).__name__)


def guard(routes: Callable[[Handler], Blueprint], on_new_message: Handler) -> Blueprint:
    """A channel's blueprint (``routes(handler)``) whose messages pass the guard."""
    guarded = SafetyFirst(on_new_message)
    blueprint = routes(guarded)
    blueprint.listener("before_server_start")(guarded.bind)
    return blueprint

"""Telegram webhooks against a fake Telegram Bot API on loopback."""

from __future__ import annotations

import json
from typing import Any

import aiohttp
import pytest

from bot.channels import plain_text as pt
from bot.channels.telegram import TelegramInput
from bot.pseudonyms import pseudonym

from .fakes import (
    SAFETY_TEXT,
    FakeTelegram,
    ScriptedAgent,
    answer_contract,
    contract_texts,
    corpus_paragraphs,
    post_telegram,
    run,
    safety_contract,
    serve,
    telegram_update,
)

TOKEN = "123456:TEST-token-not-a-secret"
SECRET = "test_secret-123"
TEXT_ONLY = "Text-only placeholder from the domain."


def credentials(fake: FakeTelegram, **extra: Any) -> dict[str, Any]:
    return {"access_token": TOKEN, "secret_token": SECRET, "api_server": fake.base_url,
            "webhook_url": "https://bot.example.org/webhooks/telegram/webhook", **extra}


def answering_agent(custom: dict[str, Any] | None = None) -> ScriptedAgent:
    custom = custom or answer_contract(3)
    return ScriptedAgent(lambda text: [*contract_texts(custom), {"custom": custom}],
                         responses={"utter_text_only": [{"text": TEXT_ONLY}]})


async def _post(base: str, update: dict[str, Any], secret: str | None = SECRET) -> int:
    async with aiohttp.ClientSession() as session:
        return await post_telegram(session, f"{base}/webhooks/telegram/webhook", update, secret)


def test_update_with_the_secret_is_answered_without_extra_platform_calls() -> None:
    custom = answer_contract(3)
    agent = answering_agent(custom)

    async def scenario() -> None:
        with FakeTelegram() as fake:
            channel = TelegramInput.from_credentials(credentials(fake))
            async with serve([channel], agent) as base:
                assert await _post(base, telegram_update(1, text="How does pain work?")) == 200
                assert await _post(base, telegram_update(2, text="And why?")) == 200
            assert [m.text for m in agent.received] == ["How does pain work?", "And why?"]
            assert {m.sender_id for m in agent.received} == {pseudonym("telegram", "4242")}
            assert {m.input_channel for m in agent.received} == {"telegram"}
            methods = {r.path.rsplit("/", 1)[-1] for r in fake.requests}
            assert methods == {"sendMessage"}          # no getMe, no setWebhook per message
            assert all(r.path.startswith(f"/bot{TOKEN}/") for r in fake.requests)
            expected = pt.render_turn([{"custom": custom}], pt.TELEGRAM)
            assert fake.sent() == expected.parts * 2
            last = fake.calls("sendMessage")[-1].form
            assert last["chat_id"] == "4242"
            assert json.loads(last["reply_markup"])["inline_keyboard"] == [
                [{"text": "Suggestion one", "callback_data": "Suggestion one"}]]

    run(scenario())


@pytest.mark.parametrize("secret", [None, "", "wrong_secret", SECRET + "x"])
def test_updates_without_the_secret_get_403_and_reach_no_bot(secret: str | None) -> None:
    agent = answering_agent()

    async def scenario() -> None:
        with FakeTelegram() as fake:
            channel = TelegramInput.from_credentials(credentials(fake))
            async with serve([channel], agent) as base:
                assert await _post(base, telegram_update(3, text="hi"), secret) == 403
            assert agent.received == []
            assert fake.requests == []

    run(scenario())


def test_a_retried_update_is_answered_once() -> None:
    agent = answering_agent()

    async def scenario() -> None:
        with FakeTelegram() as fake:
            channel = TelegramInput.from_credentials(credentials(fake))
            async with serve([channel], agent) as base:
                update = telegram_update(10, text="What is pain?")
                assert await _post(base, update) == 200
                sent_once = len(fake.requests)
                assert await _post(base, update) == 200
            assert len(agent.received) == 1
            assert len(fake.requests) == sent_once

    run(scenario())


@pytest.mark.parametrize("fields", [
    {"photo": [{"file_id": "f1", "file_unique_id": "u1", "width": 1, "height": 1}]},
    {"location": {"latitude": 51.5, "longitude": -0.12}},
    {"sticker": {"file_id": "s", "file_unique_id": "s", "width": 1, "height": 1,
                 "is_animated": False}},
], ids=["photo", "location", "sticker"])
def test_messages_without_text_get_the_text_only_reply(fields: dict[str, Any]) -> None:
    agent = answering_agent()

    async def scenario() -> None:
        with FakeTelegram() as fake:
            channel = TelegramInput.from_credentials(credentials(fake))
            async with serve([channel], agent) as base:
                assert await _post(base, telegram_update(20, **fields)) == 200
            assert agent.received == []
            assert fake.sent() == [TEXT_ONLY]

    run(scenario())


def test_a_photo_caption_is_read_like_text() -> None:
    agent = answering_agent()

    async def scenario() -> None:
        with FakeTelegram() as fake:
            channel = TelegramInput.from_credentials(credentials(fake))
            async with serve([channel], agent) as base:
                update = telegram_update(21, caption="Is this normal?", photo=[
                    {"file_id": "f1", "file_unique_id": "u1", "width": 1, "height": 1}])
                assert await _post(base, update) == 200
            assert [m.text for m in agent.received] == ["Is this normal?"]

    run(scenario())


def test_long_answers_are_split_and_safety_goes_first() -> None:
    custom = answer_contract(3)
    custom["excerpts"][0]["text"] = " ".join(p for _, p in corpus_paragraphs()[3:25])
    assert len(custom["excerpts"][0]["text"]) > 4096

    def turn(text: str) -> list[dict[str, Any]]:
        return [*contract_texts(custom), {"custom": custom}, {"text": SAFETY_TEXT},
                {"custom": safety_contract("crisis")}]

    agent = ScriptedAgent(turn)

    async def scenario() -> None:
        with FakeTelegram() as fake:
            channel = TelegramInput.from_credentials(credentials(fake))
            async with serve([channel], agent) as base:
                assert await _post(base, telegram_update(30, text="q")) == 200
            from .test_plain_text import assert_split_well

            sent = fake.sent()
            assert sent[0] == SAFETY_TEXT
            assert len(sent) >= 3
            assert_split_well(sent[1:], custom, pt.TELEGRAM)
            markups = ["reply_markup" in c.form for c in fake.calls("sendMessage")]
            assert markups == [False] * (len(sent) - 1) + [True]

    run(scenario())


def test_button_presses_are_read_and_acknowledged() -> None:
    agent = answering_agent()

    async def scenario() -> None:
        with FakeTelegram() as fake:
            channel = TelegramInput.from_credentials(credentials(fake))
            async with serve([channel], agent) as base:
                update = {"update_id": 40, "callback_query": {
                    "id": "cb1", "chat_instance": "c", "data": "Suggestion one",
                    "from": {"id": 4242, "is_bot": False, "first_name": "P"},
                    "message": telegram_update(39, text="earlier")["message"]}}
                assert await _post(base, update) == 200
            assert [m.text for m in agent.received] == ["Suggestion one"]
            assert [c.form["callback_query_id"] for c in fake.calls("answerCallbackQuery")] \
                == ["cb1"]

    run(scenario())


def test_set_webhook_is_called_once_at_startup_with_the_secret() -> None:
    agent = answering_agent()

    async def scenario() -> None:
        with FakeTelegram() as fake:
            channel = TelegramInput.from_credentials(credentials(fake, set_webhook=True))
            async with serve([channel], agent) as base:
                assert len(fake.calls("setWebhook")) == 1
                for update_id in (50, 51, 52):
                    assert await _post(base, telegram_update(update_id, text="hi")) == 200
            calls = fake.calls("setWebhook")
            assert len(calls) == 1 and fake.calls("getMe") == []
            assert calls[0].form["url"] == "https://bot.example.org/webhooks/telegram/webhook"
            assert calls[0].form["secret_token"] == SECRET

    run(scenario())


def test_credentials_are_checked() -> None:
    good = {"access_token": TOKEN, "secret_token": SECRET}
    TelegramInput.from_credentials(good)
    with pytest.raises(ValueError, match="secret_token"):
        TelegramInput.from_credentials({**good, "secret_token": ""})
    with pytest.raises(ValueError, match="secret_token"):
        TelegramInput.from_credentials({**good, "secret_token": "has spaces"})
    with pytest.raises(ValueError, match="unexpanded"):
        TelegramInput.from_credentials({**good, "access_token": "${TELEGRAM_BOT_TOKEN}"})
    with pytest.raises(ValueError, match="webhook_url"):
        TelegramInput.from_credentials({**good, "set_webhook": True})

"""Twilio SMS and WhatsApp webhooks against a fake Twilio API on loopback."""

from __future__ import annotations

import asyncio
import base64
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.channels import plain_text as pt
from bot.channels.twilio import TwilioSMSInput, TwilioWhatsAppInput
from bot.pseudonyms import pseudonym

from .fakes import (
    REPO,
    SAFETY_TEXT,
    FakeTwilio,
    ScriptedAgent,
    answer_contract,
    contract_texts,
    post_twilio,
    run,
    safety_contract,
    serve,
    twilio_form,
)

SID = "AC" + "1" * 32
TOKEN = "test-auth-token-not-a-secret"
PUBLIC = "https://bot.example.org/webhooks/{name}/webhook"
TEXT_ONLY = "Text-only placeholder from the domain."


def credentials(fake: FakeTwilio, name: str = "twilio", **extra: Any) -> dict[str, Any]:
    number = "+15559990000" if name == "twilio" else "whatsapp:+15559990000"
    return {"account_sid": SID, "auth_token": TOKEN, "twilio_number": number,
            "webhook_url": PUBLIC.format(name=name), "api_base_url": fake.base_url, **extra}


def answering_agent(custom: dict[str, Any] | None = None) -> ScriptedAgent:
    custom = custom or answer_contract(3)
    return ScriptedAgent(lambda text: [*contract_texts(custom), {"custom": custom}],
                         responses={"utter_text_only": [{"text": TEXT_ONLY}]})


async def _post(base: str, form: dict[str, str], name: str = "twilio",
                signed_url: str | None = None, token: str = TOKEN) -> int:
    async with aiohttp.ClientSession() as session:
        return await post_twilio(session, f"{base}/webhooks/{name}/webhook", form, token,
                                 signed_url or PUBLIC.format(name=name))


def test_signed_message_is_answered_through_the_twilio_api() -> None:
    custom = answer_contract(3)
    agent = answering_agent(custom)

    async def scenario() -> None:
        with FakeTwilio() as fake:
            channel = TwilioSMSInput.from_credentials(credentials(fake))
            async with serve([channel], agent) as base:
                assert await _post(base, twilio_form("How does pain work?", "SM1")) == 200
            assert [m.text for m in agent.received] == ["How does pain work?"]
            # the conversation is kept under a keyed pseudonym, the reply goes to the number
            assert agent.received[0].sender_id == pseudonym("twilio", "+15550001111")
            assert "15550001111" not in agent.received[0].sender_id
            assert agent.received[0].input_channel == "twilio"
            bodies = fake.sent(to="+15550001111")
            assert bodies and bodies == pt.render_turn([{"custom": custom}], pt.SMS).parts
            request = fake.requests[0]
            assert request.path == f"/2010-04-01/Accounts/{SID}/Messages.json"
            assert request.form["From"] == "+15559990000"
            auth = base64.b64decode(request.headers["Authorization"].split()[1]).decode()
            assert auth == f"{SID}:{TOKEN}"

    run(scenario())


@pytest.mark.parametrize("forgery", ["wrong-token", "no-signature", "local-url", "tampered"])
def test_forged_webhooks_get_403_and_reach_no_bot(forgery: str) -> None:
    agent = answering_agent()

    async def scenario() -> None:
        with FakeTwilio() as fake:
            channel = TwilioSMSInput.from_credentials(credentials(fake))
            async with serve([channel], agent) as base:
                url = f"{base}/webhooks/twilio/webhook"
                form = twilio_form("hello", "SM2")
                async with aiohttp.ClientSession() as session:
                    if forgery == "wrong-token":
                        status = await post_twilio(session, url, form, "another-token",
                                                   PUBLIC.format(name="twilio"))
                    elif forgery == "no-signature":
                        async with session.post(url, data=form) as resp:
                            status = resp.status
                    elif forgery == "local-url":   # signed over the URL behind the proxy
                        status = await post_twilio(session, url, form, TOKEN, url)
                    else:                          # signature of another body
                        from twilio.request_validator import RequestValidator
                        sig = RequestValidator(TOKEN).compute_signature(
                            PUBLIC.format(name="twilio"), twilio_form("hello", "SM2"))
                        async with session.post(url, data=twilio_form("HELLO", "SM2"),
                                                headers={"X-Twilio-Signature": sig}) as resp:
                            status = resp.status
            assert status == 403
            assert agent.received == []
            assert fake.requests == []

    run(scenario())


def test_signature_without_webhook_url_uses_the_request_url() -> None:
    agent = answering_agent()

    async def scenario() -> None:
        with FakeTwilio() as fake:
            creds = credentials(fake)
            del creds["webhook_url"]
            channel = TwilioSMSInput.from_credentials(creds)
            async with serve([channel], agent) as base:
                url = f"{base}/webhooks/twilio/webhook"
                assert await _post(base, twilio_form("hi", "SM3"), signed_url=url) == 200
                assert await _post(base, twilio_form("hi", "SM4")) == 403
            assert len(agent.received) == 1

    run(scenario())


async def until(condition, timeout: float = 10.0) -> None:  # noqa: ANN001
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.02)


def test_the_webhook_is_acknowledged_before_a_slow_turn_ends_and_the_reply_follows() -> None:
    custom = answer_contract(1)

    class SlowAgent(ScriptedAgent):
        async def handle_message(self, message):  # noqa: ANN001, ANN202
            await asyncio.sleep(2.0)  # a busy bot: Twilio gives up on a webhook after 15 s
            await super().handle_message(message)

    agent = SlowAgent(lambda _text: [{"custom": custom}])

    async def scenario() -> None:
        with FakeTwilio() as fake:
            channel = TwilioSMSInput.from_credentials(credentials(fake))
            async with serve([channel], agent) as base:
                started = asyncio.get_running_loop().time()
                assert await _post(base, twilio_form("How does pain work?", "SM9")) == 200
                assert asyncio.get_running_loop().time() - started < 1.0
                assert not fake.requests
            # stopping the server waited for the reply still running
            assert fake.sent(to="+15550001111") == pt.render_turn([{"custom": custom}],
                                                                   pt.SMS).parts

    run(scenario())


def test_a_retried_delivery_is_answered_once() -> None:
    agent = answering_agent()

    async def scenario() -> None:
        with FakeTwilio() as fake:
            channel = TwilioSMSInput.from_credentials(credentials(fake))
            async with serve([channel], agent) as base:
                form = twilio_form("What is pain?", "SM5")
                assert await _post(base, form) == 200
                await until(lambda: fake.requests)  # the reply goes out after the ack
                sent_once = len(fake.requests)
                assert await _post(base, form) == 200
                assert await _post(base, twilio_form("What is pain?", "SM6")) == 200
            assert [m.text for m in agent.received] == ["What is pain?", "What is pain?"]
            assert len(fake.requests) == 2 * sent_once

    run(scenario())


@pytest.mark.parametrize("extra", [
    {"NumMedia": "1", "MediaUrl0": "https://api.twilio.com/media/ME1",
     "MediaContentType0": "image/jpeg"},
    {"Latitude": "51.5", "Longitude": "-0.12"},
], ids=["photo", "location"])
def test_messages_without_text_get_the_text_only_reply(extra: dict[str, str]) -> None:
    agent = answering_agent()

    async def scenario() -> None:
        with FakeTwilio() as fake:
            channel = TwilioSMSInput.from_credentials(credentials(fake))
            async with serve([channel], agent) as base:
                assert await _post(base, twilio_form("", "SM7", **extra)) == 200
            assert agent.received == []
            assert fake.sent() == [TEXT_ONLY]

    run(scenario())


def test_long_answers_are_split_for_sms_and_whatsapp() -> None:
    custom = answer_contract(3)
    from .fakes import corpus_paragraphs

    custom["excerpts"][2]["text"] = " ".join(p for _, p in corpus_paragraphs()[3:12])
    agent = answering_agent(custom)

    async def scenario() -> None:
        with FakeTwilio() as fake:
            sms = TwilioSMSInput.from_credentials(credentials(fake))
            whatsapp = TwilioWhatsAppInput.from_credentials(credentials(fake, "whatsapp"))
            async with serve([sms, whatsapp], agent) as base:
                assert await _post(base, twilio_form("q", "SM8")) == 200
                assert await _post(base, twilio_form("q", "SM9", sender="whatsapp:+15550002222",
                                                     to="whatsapp:+15559990000"),
                                   name="whatsapp") == 200
            assert [m.input_channel for m in agent.received] == ["twilio", "whatsapp"]
            from .test_plain_text import assert_split_well

            sms_parts = fake.sent(to="+15550001111")
            wa_parts = fake.sent(to="whatsapp:+15550002222")
            assert len(sms_parts) > 1 and len(wa_parts) > 1
            assert_split_well(sms_parts, custom, pt.SMS)
            assert all(pt.sms_segments(p) <= pt.SMS.max_segments for p in sms_parts)
            assert_split_well(wa_parts, custom, pt.WHATSAPP)
            wa_from = {r.form["From"] for r in fake.requests if r.form["To"].startswith("wh")}
            assert wa_from == {"whatsapp:+15559990000"}

    run(scenario())


def test_safety_goes_first_even_when_the_bot_fails_after_it() -> None:
    def turn(text: str) -> list[dict[str, Any]]:
        answer = answer_contract(2)
        return [*contract_texts(answer), {"custom": answer}, {"text": SAFETY_TEXT},
                {"custom": safety_contract("red_flag")}]

    class FailingAgent(ScriptedAgent):
        async def handle_message(self, message: Any) -> None:
            await super().handle_message(message)
            raise RuntimeError("action server down")

    agent = FailingAgent(turn)

    async def scenario() -> None:
        with FakeTwilio() as fake:
            channel = TwilioSMSInput.from_credentials(credentials(fake))
            async with serve([channel], agent) as base:
                assert await _post(base, twilio_form("q", "SM10")) == 200
            bodies = fake.sent()
            assert bodies[0] == SAFETY_TEXT
            assert sum(b.count(SAFETY_TEXT) for b in bodies) == 1

    run(scenario())


def test_platform_errors_stop_the_turn_without_failing_the_webhook() -> None:
    agent = answering_agent()

    async def scenario() -> None:
        with FakeTwilio(fail_status=400) as fake:
            channel = TwilioSMSInput.from_credentials(credentials(fake))
            async with serve([channel], agent) as base:
                assert await _post(base, twilio_form("q", "SM11")) == 200
            assert len(fake.requests) == 1      # stopped after the first refusal

    run(scenario())


def test_credentials_must_be_complete_and_expanded() -> None:
    good = {"account_sid": SID, "auth_token": TOKEN, "twilio_number": "+1555"}
    TwilioSMSInput.from_credentials(good)
    with pytest.raises(ValueError, match="auth_token"):
        TwilioSMSInput.from_credentials({**good, "auth_token": ""})
    with pytest.raises(ValueError, match="unexpanded"):
        TwilioSMSInput.from_credentials({**good, "auth_token": "${TWILIO_AUTH_TOKEN}"})


def _template_config() -> str:
    """The messaging channel blocks of bot/credentials.yml, uncommented."""
    lines = (REPO / "bot/credentials.yml").read_text("utf-8").splitlines()
    return "\n".join(line[2:] for line in lines if line.startswith("# ") or line == "#")


def test_credentials_template_loads_through_rasa_with_env_substitution(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from rasa.core.run import create_http_input_channels

    from bot.channels.telegram import TelegramInput

    secrets = {"TWILIO_ACCOUNT_SID": SID, "TWILIO_AUTH_TOKEN": "tok-from-env-123",
               "TWILIO_SMS_NUMBER": "+15559990000",
               "TWILIO_WHATSAPP_NUMBER": "whatsapp:+15559990001",
               "PUBLIC_BASE_URL": "https://bot.example.org",
               "TELEGRAM_BOT_TOKEN": "123456:ABCdef-from-env",
               "TELEGRAM_SECRET_TOKEN": "secret_from_env-123"}
    for key, value in secrets.items():
        monkeypatch.setenv(key, value)
    path = tmp_path / "credentials.yml"
    path.write_text(_template_config(), encoding="utf-8")
    caplog.set_level("DEBUG")
    channels = {c.name(): c for c in create_http_input_channels(None, str(path))}
    assert set(channels) == {"twilio", "whatsapp", "telegram"}
    sms, whatsapp, telegram = channels["twilio"], channels["whatsapp"], channels["telegram"]
    assert isinstance(sms, TwilioSMSInput) and isinstance(whatsapp, TwilioWhatsAppInput)
    assert isinstance(telegram, TelegramInput)
    assert sms.auth_token == "tok-from-env-123"
    assert sms.webhook_url == "https://bot.example.org/webhooks/twilio/webhook"
    assert whatsapp.twilio_number == "whatsapp:+15559990001"
    assert telegram.secret_token == "secret_from_env-123"
    assert telegram.webhook_url == "https://bot.example.org/webhooks/telegram/webhook"
    for secret in ("tok-from-env-123", "ABCdef-from-env", "secret_from_env-123"):
        assert secret not in caplog.text


MODEL = REPO / "models" / "pain-assistant.tar.gz"


@pytest.mark.integration
@pytest.mark.skipif(not MODEL.exists(), reason=f"no trained model at {MODEL} (make model)")
def test_the_real_model_answers_a_crisis_message_over_sms_first_and_once() -> None:
    """The trained bot behind the SMS channel: safety reply first, nothing sent twice."""
    import yaml
    from rasa.core.agent import Agent
    from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

    phrase = yaml.safe_load((REPO / "tests/data/safety_phrases.yml").read_text())["crisis"][0]

    async def scenario() -> None:
        agent = Agent.load(str(MODEL))
        reference = CollectingOutputChannel()
        await agent.handle_message(UserMessage(phrase, reference, "reference-sender"))
        kinds = [m["custom"].get("kind") for m in reference.messages if m.get("custom")]
        assert "crisis" in kinds, "the model's crisis turn lacks its contract object"
        expected = pt.render_turn(reference.messages, pt.SMS)
        with FakeTwilio() as fake:
            channel = TwilioSMSInput.from_credentials(credentials(fake))
            async with serve([channel], agent) as base:
                assert await _post(base, twilio_form(phrase, "SMreal")) == 200
            bodies = fake.sent()
            assert bodies == expected.parts
            assert expected.safety_parts >= 1
            assert len(set(bodies)) == len(bodies)

    run(scenario())

"""Twilio SMS and WhatsApp channels built on Rasa's Twilio connector.

Registered in ``bot/credentials.yml`` as ``bot.channels.twilio.TwilioSMSInput`` (mounted
at ``/webhooks/twilio/webhook``) and ``bot.channels.twilio.TwilioWhatsAppInput``
(``/webhooks/whatsapp/webhook``). Beyond Rasa 3.6's ``TwilioInput`` they

* reject a webhook whose ``X-Twilio-Signature`` does not verify against the auth token
  and the public ``webhook_url`` (403, nothing reaches the bot);
* answer a retried delivery (same ``MessageSid``) once;
* reply to a message without text (photo, location) with the domain's text-only reply;
* collect the bot's whole turn and send it as plain text that fits the platform
  (``bot.channels.plain_text``), through Twilio's asynchronous client;
* acknowledge the webhook at once (empty TwiML) and run the turn in the background, so
  Twilio never waits on the bot (it gives up after 15 s and retries); replies still
  running when the server stops are finished first (``REPLY_DRAIN_S`` at most).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qs

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.twilio import TwilioInput, TwilioOutput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from twilio.base.exceptions import TwilioRestException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.request_validator import RequestValidator

from bot.channels import safety_first
from bot.channels.credentials import credential
from bot.channels.dedupe import RecentDeliveries, deliveries
from bot.channels.plain_text import (
    SMS,
    WHATSAPP,
    PlatformFormat,
    TurnCollector,
    render_turn,
    text_only_reply,
)
from bot.pseudonyms import pseudonym

logger = logging.getLogger(__name__)
# Twilio's HTTP client logs every API request at INFO; keep that out of the INFO log.
_http_logger = logging.getLogger(f"{__name__}.http")
_http_logger.setLevel(logging.WARNING)
REPLY_DRAIN_S = 30.0  # how long a stopping server waits for replies still running

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


class _FormParams(dict):
    """Form fields as lists, blank values kept (Twilio signs them; Sanic drops them)."""

    def getlist(self, name: str) -> list[str]:
        return self.get(name, [])

    def first(self, name: str) -> str:
        values = self.get(name) or [""]
        return values[0]



class TwilioSMSOutput(TwilioOutput):
    """Sends plain-text parts through Twilio's REST API without blocking the event loop."""

    channel_name = "twilio"
    fmt = SMS

    @classmethod
    def name(cls) -> str:
        return cls.channel_name

    def __init__(self, account_sid: str, auth_token: str, twilio_number: str,
                 http_client: AsyncTwilioHttpClient, api_base_url: str | None = None,
                 fmt: PlatformFormat | None = None) -> None:
        super().__init__(account_sid, auth_token, twilio_number)
        self.http_client = http_client
        self.fmt = fmt or self.fmt
        if api_base_url:
            self.api.base_url = api_base_url

    async def send_parts(self, recipient_id: str, parts: list[str]) -> int:
        """Send the parts in order; stop at the first failure. Returns how many went out."""
        sent = 0
        for body in parts:
            try:
                await self.messages.create_async(to=recipient_id, from_=self.twilio_number,
                                                 body=body)
            except TwilioRestException as error:
                logger.error("Twilio refused a message (status %s, code %s); %d of %d sent",
                             error.status, error.code, sent, len(parts))
                break
            except Exception as error:  # network errors: never log the request itself
                logger.error("Twilio send failed (%s); %d of %d sent",
                             type(error).__name__, sent, len(parts))
                break
            sent += 1
        return sent

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        """Messages sent outside a webhook turn (Rasa API, reminders): texts only.

        Without the end of the turn in sight, the contract object cannot be rendered
        in place of the texts, so the texts are sent and ``custom`` is ignored, as the
        contract prescribes for text-only channels.
        """
        texts_only = {k: v for k, v in message.items() if k != "custom"}
        await self.send_parts(recipient_id, render_turn([texts_only], self.fmt).parts)


class TwilioWhatsAppOutput(TwilioSMSOutput):
    channel_name = "whatsapp"
    fmt = WHATSAPP


class TwilioSMSInput(TwilioInput):
    """Twilio SMS webhook: verified, deduplicated, answered in plain text."""

    output_class: type[TwilioSMSOutput] = TwilioSMSOutput

    @classmethod
    def name(cls) -> str:
        return cls.output_class.channel_name

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> TwilioSMSInput:
        if not credentials:
            cls.raise_missing_credentials_exception()
        fmt = cls.output_class.fmt
        if credentials.get("max_segments") is not None:
            fmt = dataclasses.replace(fmt, max_segments=int(credentials["max_segments"]))
        if credentials.get("plain_punctuation") is not None:
            fmt = dataclasses.replace(fmt, plain_punctuation=bool(credentials["plain_punctuation"]))
        return cls(
            account_sid=credential(credentials, "account_sid", "Twilio"),
            auth_token=credential(credentials, "auth_token", "Twilio"),
            twilio_number=credential(credentials, "twilio_number", "Twilio"),
            webhook_url=credential(credentials, "webhook_url", "Twilio", required=False),
            api_base_url=credential(credentials, "api_base_url", "Twilio", required=False),
            text_only_text=credentials.get("text_only_text"),
            text_only_response=credentials.get("text_only_response") or "utter_text_only",
            fmt=fmt,
            deliveries=deliveries(
                max_entries=int(credentials.get("dedupe_max_entries") or 10_000),
                ttl_seconds=float(credentials.get("dedupe_ttl_seconds") or 86_400)),
        )

    def __init__(self, account_sid: str, auth_token: str, twilio_number: str,
                 webhook_url: str | None = None, api_base_url: str | None = None,
                 text_only_text: str | None = None,
                 text_only_response: str = "utter_text_only",
                 fmt: PlatformFormat | None = None,
                 deliveries: RecentDeliveries | None = None) -> None:
        super().__init__(account_sid, auth_token, twilio_number, debug_mode=False)
        if not auth_token:
            raise ValueError("an auth token is required to verify Twilio's signatures")
        self.webhook_url = webhook_url.rstrip("/") if webhook_url else None
        self.api_base_url = api_base_url
        self.text_only_text = text_only_text
        self.text_only_response = text_only_response
        self.fmt = fmt or self.output_class.fmt
        self.deliveries = deliveries or RecentDeliveries()
        self._validator = RequestValidator(auth_token)
        self._http: AsyncTwilioHttpClient | None = None
        self._replies: set[asyncio.Task] = set()  # turns still running after the ack
        if not self.webhook_url:
            logger.warning("%s: no webhook_url in credentials; signatures are checked "
                           "against the URL the request arrived at, which differs behind "
                           "a proxy", self.name())

    def _signed_url(self, request: Request) -> str:
        """The URL Twilio computed the signature over: the configured public URL."""
        if not self.webhook_url:
            return request.url
        query = request.query_string
        return f"{self.webhook_url}?{query}" if query and "?" not in self.webhook_url \
            else self.webhook_url

    def _verified_form(self, request: Request) -> _FormParams | None:
        """The form fields when the signature is valid, otherwise None."""
        signature = request.headers.get("X-Twilio-Signature")
        if not signature:
            return None
        body = (request.body or b"").decode("utf-8", errors="replace")
        form = _FormParams(parse_qs(body, keep_blank_values=True))
        if not self._validator.validate(self._signed_url(request), form, signature):
            return None
        return form

    def get_output_channel(self) -> TwilioSMSOutput:
        if self._http is None:   # created lazily, inside the server's event loop
            self._http = AsyncTwilioHttpClient(timeout=15, logger=_http_logger)
        return self.output_class(self.account_sid, self.auth_token, self.twilio_number,
                                 self._http, self.api_base_url, self.fmt)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """This channel's routes, its messages behind the safety guard
        (``bot.channels.safety_first``)."""
        return safety_first.guard(self._routes, on_new_message)

    def _routes(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint(f"{self.name()}_webhook", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.listener("before_server_stop")
        async def finish_replies(*_: Any) -> None:
            if self._replies:
                await asyncio.wait(set(self._replies), timeout=REPLY_DRAIN_S)

        @webhook.listener("after_server_stop")
        async def close_http(*_: Any) -> None:
            if self._http is not None:
                await self._http.close()
                self._http = None

        @webhook.route("/webhook", methods=["POST"])
        async def message(request: Request) -> HTTPResponse:
            form = self._verified_form(request)
            if form is None:
                logger.warning("%s: rejected a webhook with a missing or invalid signature",
                               self.name())
                return response.text("forbidden", status=403)
            sender = form.first("From")
            delivery = form.first("MessageSid") or form.first("SmsMessageSid")
            if not sender:
                return response.text(EMPTY_TWIML, content_type="text/xml")
            if delivery and not self.deliveries.first_time(f"{self.name()}:{delivery}"):
                logger.info("%s: repeated delivery ignored", self.name())
                return response.text(EMPTY_TWIML, content_type="text/xml")
            reply = asyncio.get_running_loop().create_task(
                self._answer_safely(request, form, sender, on_new_message))
            self._replies.add(reply)
            reply.add_done_callback(self._replies.discard)
            return response.text(EMPTY_TWIML, content_type="text/xml")

        return webhook

    async def _answer_safely(self, request: Request, form: _FormParams, sender: str,
                             on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> None:
        """``_answer`` in the background: a failure is logged by type, never raised."""
        try:
            await self._answer(request, form, sender, on_new_message)
        except Exception as error:  # noqa: BLE001 - nobody awaits this task
            logger.error("%s: could not answer a message (%s)", self.name(),
                         type(error).__name__)

    async def _answer(self, request: Request, form: _FormParams, sender: str,
                      on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> None:
        """Run the bot on the message text and send its turn; text-only reply if none."""
        # "@" arrives as "¡" from some carriers' GSM encoding (as in Rasa's connector).
        text = form.first("Body").replace("¡", "@").strip()
        output = self.get_output_channel()
        if not text:   # media, location or an empty message
            reply = text_only_reply(getattr(request.app.ctx, "agent", None),
                                    self.text_only_text, self.text_only_response, self.name())
            if reply:
                await output.send_parts(sender, [reply])
            else:
                logger.warning("%s: no text-only reply configured (domain response %s)",
                               self.name(), self.text_only_response)
            return
        collector = TurnCollector(self.name())
        try:
            await on_new_message(UserMessage(text, collector, pseudonym(self.name(), sender),
                                             input_channel=self.name()))
        except Exception as error:  # still send what the bot produced (safety first)
            logger.error("%s: the bot failed on a message (%s)", self.name(),
                         type(error).__name__)
            logger.debug("bot failure", exc_info=True)
        rendering = render_turn(collector.messages, self.fmt)
        await output.send_parts(sender, rendering.parts)


class TwilioWhatsAppInput(TwilioSMSInput):
    """Twilio WhatsApp webhook (``twilio_number: whatsapp:+...``)."""

    output_class = TwilioWhatsAppOutput

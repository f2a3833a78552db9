"""Telegram channel built on Rasa's Telegram connector.

Registered in ``bot/credentials.yml`` as ``bot.channels.telegram.TelegramInput``
(mounted at ``/webhooks/telegram/webhook``). Beyond Rasa 3.6's ``TelegramInput`` it

* rejects an update whose ``X-Telegram-Bot-Api-Secret-Token`` header does not match the
  configured ``secret_token`` (403, nothing reaches the bot);
* never calls Telegram per message: Rasa's connector calls ``getMe`` on every update and
  ``setWebhook`` whenever an output channel is made; here ``setWebhook`` (with the secret
  token) is called once at server start when ``set_webhook: true``, otherwise never;
* answers a retried update (same ``update_id``) once;
* replies to a message without text or caption (photo, location, sticker, voice note)
  with the domain's text-only reply;
* collects the bot's whole turn and sends it as plain text within Telegram's limits, with
  the answer's suggestions as inline buttons.
"""

from __future__ import annotations

import hmac
import json
import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram.bot.api import TELEGRAM_PRODUCTION, TelegramAPIServer
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from rasa.core.channels.channel import UserMessage
from rasa.core.channels.telegram import TelegramInput as RasaTelegramInput
from rasa.core.channels.telegram import TelegramOutput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels import safety_first
from bot.channels.credentials import credential
from bot.channels.dedupe import RecentDeliveries, deliveries
from bot.channels.plain_text import (
    TELEGRAM,
    PlatformFormat,
    TurnCollector,
    render_turn,
    text_only_reply,
)
from bot.pseudonyms import pseudonym

logger = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
SECRET_FORMAT = re.compile(r"^[A-Za-z0-9_-]{1,256}$")     # what setWebhook accepts
ALLOWED_UPDATES = ["message", "edited_message", "callback_query"]
CALLBACK_DATA_MAX_BYTES = 64



class TelegramPlainOutput(TelegramOutput):
    """Sends plain-text parts with aiogram; never sets the webhook by itself."""

    def __init__(self, access_token: str, server: TelegramAPIServer = TELEGRAM_PRODUCTION,
                 fmt: PlatformFormat = TELEGRAM) -> None:
        super().__init__(access_token)
        self.server = server
        self.fmt = fmt

    @staticmethod
    def keyboard(buttons: list[dict[str, Any]]) -> InlineKeyboardMarkup | None:
        """Inline buttons whose payload fits Telegram's 64-byte callback data."""
        rows = [[InlineKeyboardButton(b["title"], callback_data=b["payload"])]
                for b in buttons
                if len(str(b.get("payload", "")).encode("utf-8")) <= CALLBACK_DATA_MAX_BYTES]
        return InlineKeyboardMarkup(inline_keyboard=rows) if rows else None

    async def send_parts(self, chat_id: str, parts: list[str],
                         buttons: list[dict[str, Any]] | None = None) -> int:
        """Send the parts in order (buttons on the last); stop at the first failure."""
        markup = self.keyboard(buttons or [])
        sent = 0
        for index, text in enumerate(parts):
            last = index == len(parts) - 1
            try:
                await self.send_message(chat_id, text, disable_web_page_preview=True,
                                        reply_markup=markup if last else None)
            except Exception as error:   # type only: aiohttp errors may carry the URL
                logger.error("Telegram send failed (%s); %d of %d sent",
                             type(error).__name__, sent, len(parts))
                break
            sent += 1
        return sent

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        """Messages sent outside a webhook turn (Rasa API, reminders): texts only."""
        texts_only = {k: v for k, v in message.items() if k != "custom"}
        rendering = render_turn([texts_only], self.fmt)
        await self.send_parts(recipient_id, rendering.parts, rendering.buttons)

    async def register_webhook(self, url: str, secret_token: str) -> bool:
        """Tell Telegram where to post updates and which secret header to send."""
        payload = {"url": url, "secret_token": secret_token,
                   "allowed_updates": json.dumps(ALLOWED_UPDATES)}
        return bool(await self.request("setWebhook", payload))


class TelegramInput(RasaTelegramInput):
    """Telegram webhook: verified, deduplicated, answered in plain text."""

    @classmethod
    def name(cls) -> str:
        return "telegram"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> TelegramInput:
        if not credentials:
            cls.raise_missing_credentials_exception()
        return cls(
            access_token=credential(credentials, "access_token", "Telegram"),
            secret_token=credential(credentials, "secret_token", "Telegram"),
            webhook_url=credential(credentials, "webhook_url", "Telegram", required=False),
            verify=credentials.get("verify"),
            set_webhook=bool(credentials.get("set_webhook", False)),
            api_server=credential(credentials, "api_server", "Telegram", required=False),
            text_only_text=credentials.get("text_only_text"),
            text_only_response=credentials.get("text_only_response") or "utter_text_only",
            deliveries=deliveries(
                max_entries=int(credentials.get("dedupe_max_entries") or 10_000),
                ttl_seconds=float(credentials.get("dedupe_ttl_seconds") or 86_400)),
        )

    def __init__(self, access_token: str, secret_token: str, webhook_url: str | None = None,
                 verify: str | None = None, set_webhook: bool = False,
                 api_server: str | None = None, text_only_text: str | None = None,
                 text_only_response: str = "utter_text_only",
                 deliveries: RecentDeliveries | None = None) -> None:
        super().__init__(access_token, verify, webhook_url, debug_mode=False)
        if not secret_token or not SECRET_FORMAT.match(secret_token):
            raise ValueError("secret_token must be 1-256 characters of A-Z, a-z, 0-9, _ or -")
        if set_webhook and not webhook_url:
            raise ValueError("set_webhook needs the public webhook_url")
        self.secret_token = secret_token
        self.set_webhook = set_webhook
        self.text_only_text = text_only_text
        self.text_only_response = text_only_response
        self.deliveries = deliveries or RecentDeliveries()
        server = TelegramAPIServer.from_base(api_server) if api_server else TELEGRAM_PRODUCTION
        self._output = TelegramPlainOutput(access_token, server)

    def get_output_channel(self) -> TelegramPlainOutput:
        """The one output channel, made without calling Telegram."""
        return self._output

    def _is_from_telegram(self, request: Request) -> bool:
        header = request.headers.get(SECRET_HEADER) or ""
        return hmac.compare_digest(header.encode("utf-8"), self.secret_token.encode("utf-8"))

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """This channel's routes, its messages behind the safety guard
        (``bot.channels.safety_first``)."""
        return safety_first.guard(self._routes, on_new_message)

    def _routes(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint(f"{self.name()}_webhook", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.listener("after_server_start")
        async def register(*_: Any) -> None:
            if not self.set_webhook:
                return
            try:
                ok = await self._output.register_webhook(self.webhook_url, self.secret_token)
            except Exception as error:
                ok = False
                logger.error("Telegram setWebhook failed (%s)", type(error).__name__)
            if ok:
                logger.info("Telegram webhook registered")

        @webhook.listener("after_server_stop")
        async def close_session(*_: Any) -> None:
            session = self._output._session
            if session is not None and not session.closed:
                await session.close()

        @webhook.route("/webhook", methods=["POST"])
        async def message(request: Request) -> HTTPResponse:
            if not self._is_from_telegram(request):
                logger.warning("telegram: rejected an update without the secret token")
                return response.text("forbidden", status=403)
            try:
                payload = request.json
                if isinstance(payload, str):
                    payload = json.loads(payload)
                update = Update(**payload)
            except Exception:
                return response.text("bad request", status=400)
            if not self.deliveries.first_time(f"telegram:{update.update_id}"):
                logger.info("telegram: repeated update ignored")
                return response.text("success")
            await self._answer(request, update, on_new_message)
            return response.text("success")

        return webhook

    async def _answer(self, request: Request, update: Update,
                      on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> None:
        """Run the bot on the update's text and send its turn; text-only reply if none."""
        msg: Message | None
        if update.callback_query is not None:
            msg, text = update.callback_query.message, update.callback_query.data
            try:
                await self._output.answer_callback_query(update.callback_query.id)
            except Exception as error:
                logger.debug("answerCallbackQuery failed (%s)", type(error).__name__)
        else:
            msg = update.message or update.edited_message
            text = (msg.text or msg.caption) if msg is not None else None
        if msg is None or msg.chat is None:
            return       # an update that is not a conversation message (member changes ...)
        chat_id = str(msg.chat.id)
        if not text or not text.strip():
            reply = text_only_reply(getattr(request.app.ctx, "agent", None),
                                    self.text_only_text, self.text_only_response, self.name())
            if reply:
                await self._output.send_parts(chat_id, [reply])
            else:
                logger.warning("telegram: no text-only reply configured (domain response %s)",
                               self.text_only_response)
            return
        if text.strip().split("@")[0] == "/start":
            text = "/greet"  # Telegram's first message when someone opens the bot
        collector = TurnCollector(self.name())
        try:
            await on_new_message(UserMessage(text, collector, pseudonym(self.name(), chat_id),
                                             input_channel=self.name()))
        except Exception as error:   # still send what the bot produced (safety first)
            logger.error("telegram: the bot failed on a message (%s)", type(error).__name__)
            logger.debug("bot failure", exc_info=True)
        rendering = render_turn(collector.messages, TELEGRAM)
        await self._output.send_parts(chat_id, rendering.parts, rendering.buttons)

"""The web channel: the chat widget, the waiting-room kiosk and their message endpoints.

Registered in ``bot/credentials.yml`` as ``bot.channels.web.WebChannel:``; Rasa mounts it
under ``/webhooks/web/``. It serves its own static files from ``bot/web/`` (no separate
web server, nothing from a CDN), a REST-like message endpoint, an endpoint that ends a
conversation on the server, and the kiosk's settings as JSON.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot import settings
from bot.channels import safety_first

logger = logging.getLogger(__name__)

WEB_DIR = Path(__file__).resolve().parent.parent / "web"
# Client ids are random (>= 128 bits) and made of URL-safe characters; the server keeps
# them under a "web-" prefix so a web client can never address another channel's chats.
CLIENT_ID = re.compile(r"^[A-Za-z0-9_-]{22,64}$")
SENDER_PREFIX = "web-"
MAX_MESSAGE_CHARS = 2000
DEFAULT_IDLE_SECONDS = 90
DEFAULT_WARNING_SECONDS = 20

# Files anyone may fetch (the widget is embedded on other sites), and pages of our own.
ASSETS = {
    "widget.js": "application/javascript; charset=utf-8",
    "widget.css": "text/css; charset=utf-8",
    "render.js": "application/javascript; charset=utf-8",
    "kiosk.js": "application/javascript; charset=utf-8",
    "kiosk.css": "text/css; charset=utf-8",
    "demo.css": "text/css; charset=utf-8",
}
PAGES = {"kiosk": "kiosk.html", "demo": "demo.html"}

PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
COMMON_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}
PAGE_HEADERS = {
    **COMMON_HEADERS,
    "Content-Security-Policy": PAGE_CSP,
    "X-Frame-Options": "DENY",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}
ASSET_HEADERS = {**COMMON_HEADERS, "Cross-Origin-Resource-Policy": "cross-origin"}
API_HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}


def _claim_cors(request: Request) -> None:
    """Tell Rasa's Sanic-CORS layer that this response's CORS headers are already decided."""
    request.ctx._sanic_cors_e = "1"  # the flag sanic_cors.core.SANIC_CORS_EVALUATED


def sender_for(client_id: Any) -> str | None:
    """The tracker's sender id for a client id, or None if the id is not acceptable."""
    if isinstance(client_id, str) and CLIENT_ID.match(client_id):
        return SENDER_PREFIX + client_id
    return None


def kiosk_settings() -> dict[str, Any]:
    """What the widget and kiosk need from ``bot/settings.yml`` (nothing secret)."""
    clinic = settings.section("clinic")
    kiosk = settings.section("kiosk")
    return {
        "clinic_name": clinic.get("name"),
        "clinic_phone": clinic.get("phone"),
        "kiosk_staff_message": clinic.get("kiosk_staff_message"),
        "idle_seconds": int(kiosk.get("idle_seconds") or DEFAULT_IDLE_SECONDS),
        "warning_seconds": int(kiosk.get("warning_seconds") or DEFAULT_WARNING_SECONDS),
    }


def _unwrap(store: Any) -> Any:
    """The real tracker store inside Rasa's awaitable / fail-safe wrappers."""
    while hasattr(store, "_tracker_store"):
        store = store._tracker_store
    return store


def _delete_from_store(store: Any, sender_id: str) -> bool:
    """Remove every stored event of ``sender_id``; True if anything was stored."""
    import sqlalchemy as sa
    from rasa.core import tracker_store as ts

    if isinstance(store, ts.InMemoryTrackerStore):
        return store.store.pop(sender_id, None) is not None
    if isinstance(store, ts.SQLTrackerStore):
        with store.session_scope() as session:
            if store.engine.dialect.name == "sqlite":  # overwrite deleted rows on disk
                session.execute(sa.text("PRAGMA secure_delete = ON"))
            deleted = (
                session.query(store.SQLEvent)
                .filter(store.SQLEvent.sender_id == sender_id)
                .delete(synchronize_session=False)
            )
            session.commit()
        return bool(deleted)
    if isinstance(store, ts.RedisTrackerStore):
        return bool(store.red.delete(store.key_prefix + sender_id))
    if isinstance(store, ts.MongoTrackerStore):
        return bool(store.conversations.delete_one({"sender_id": sender_id}).deleted_count)
    raise NotImplementedError(f"cannot delete conversations from {type(store).__name__}")


async def forget_conversation(agent: Any, sender_id: str) -> bool:
    """Delete a conversation from the agent's tracker store (waits for a running turn).

    Returns whether the conversation existed. Raises NotImplementedError for tracker
    stores it cannot delete from, so nothing is silently kept.
    """
    async with agent.lock_store.lock(sender_id):
        store = _unwrap(agent.tracker_store)
        return _delete_from_store(store, sender_id)


class WebChannel(InputChannel):
    """Chat widget and kiosk channel; see the module docstring."""

    def __init__(self, allowed_origins: str | Iterable[str] = ()) -> None:
        if isinstance(allowed_origins, str):
            allowed_origins = allowed_origins.split()
        self.allowed_origins = {o.rstrip("/") for o in allowed_origins}

    @classmethod
    def name(cls) -> str:
        return "web"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> WebChannel:
        """The channel with the origins in its credentials, else the settings'
        ``server.allowed_origins`` (none: only the bot's own pages)."""
        credentials = credentials or {}
        origins = credentials.get("allowed_origins")
        if origins is None:
            origins = settings.section("server").get("allowed_origins") or []
        return cls(allowed_origins=origins)

    def cors_headers(self, request: Request) -> dict[str, str]:
        """CORS headers for the API, so the widget works when embedded on another site.

        The widget posts JSON as ``text/plain`` (a CORS "simple request"), so browsers send
        no preflight, which Rasa's own CORS layer would answer by its ``--cors`` setting.
        """
        _claim_cors(request)
        origin = request.headers.get("origin")
        if not origin:
            return {}
        if "*" in self.allowed_origins:
            return {"Access-Control-Allow-Origin": "*"}
        if origin.rstrip("/") in self.allowed_origins:
            return {"Access-Control-Allow-Origin": origin, "Vary": "Origin"}
        return {"Vary": "Origin"}

    def _json(self, request: Request, body: Any, status: int = 200) -> HTTPResponse:
        return response.json(
            body, status=status, headers={**API_HEADERS, **self.cors_headers(request)}
        )

    @staticmethod
    def _body(request: Request) -> dict[str, Any]:
        try:
            body = request.json
        except Exception:  # sanic raises its own error types for malformed JSON
            return {}
        return body if isinstance(body, dict) else {}

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """This channel's routes, its messages behind the safety guard
        (``bot.channels.safety_first``)."""
        return safety_first.guard(self._routes, on_new_message)

    def _routes(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """Routes: static assets and pages, settings, message and end-conversation APIs."""
        web = Blueprint("pain_web_channel", __name__)

        @web.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return self._json(request, {"status": "ok"})

        @web.route("/<name:str>", methods=["GET"])
        async def asset(request: Request, name: str) -> HTTPResponse:
            _claim_cors(request)  # script and style tags need no CORS; pages get none
            if name in PAGES:
                return await response.file(
                    WEB_DIR / PAGES[name], mime_type="text/html; charset=utf-8",
                    headers=PAGE_HEADERS,
                )
            if name in ASSETS:
                return await response.file(
                    WEB_DIR / name, mime_type=ASSETS[name], headers=ASSET_HEADERS
                )
            if name == "settings":
                return self._json(request, kiosk_settings())
            return response.text("Not found", status=404, headers=COMMON_HEADERS)

        @web.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            body = self._body(request)
            sender_id = sender_for(body.get("sender"))
            text = body.get("message")
            if sender_id is None or not isinstance(text, str) or not text.strip():
                return self._json(request, {"error": "sender and message required"}, 400)
            if len(text) > MAX_MESSAGE_CHARS:
                return self._json(request, {"error": "message too long"}, 413)
            collector = CollectingOutputChannel()
            try:
                await on_new_message(
                    UserMessage(text, collector, sender_id, input_channel=self.name())
                )
            except asyncio.CancelledError:
                logger.error("web.message.timeout")
                return self._json(request, {"error": "timeout"}, 503)
            except Exception:
                logger.exception("web.message.failure")
                return self._json(request, {"error": "failed"}, 500)
            return self._json(request, collector.messages)

        @web.route("/end", methods=["POST"])
        async def end(request: Request) -> HTTPResponse:
            sender_id = sender_for(self._body(request).get("sender"))
            if sender_id is None:
                return self._json(request, {"error": "sender required"}, 400)
            agent = getattr(request.app.ctx, "agent", None)
            if agent is None or agent.tracker_store is None:
                return self._json(request, {"error": "not ready"}, 503)
            try:
                existed = await forget_conversation(agent, sender_id)
            except NotImplementedError:
                logger.exception("web.end.unsupported_tracker_store")
                return self._json(request, {"error": "cannot end conversation"}, 501)
            logger.debug("web.end.done existed=%s", existed)
            return self._json(request, {"ended": True, "existed": existed})

        return web

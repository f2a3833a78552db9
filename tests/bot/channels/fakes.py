"""Fake Twilio and Telegram APIs on loopback, a scripted bot, and a Sanic harness.

The fake APIs are real HTTP servers on 127.0.0.1 free ports that record what the
connectors send and answer the way the platforms do, so the connectors' own clients
(twilio's async client, aiogram's Bot) make real requests in the tests.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.parser
import itertools
import json
import socket
import threading
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode

import aiohttp
from rasa.core.channels.channel import InputChannel, UserMessage, register
from sanic import Sanic
from twilio.request_validator import RequestValidator


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    form: dict[str, str]


def _parse_body(content_type: str, body: bytes) -> dict[str, str]:
    if content_type.startswith("multipart/form-data"):
        message = email.parser.BytesParser().parsebytes(
            b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body)
        return {part.get_param("name", header="content-disposition"):
                part.get_payload(decode=True).decode("utf-8")
                for part in message.get_payload()}
    return {k: v[0] for k, v in parse_qs(body.decode("utf-8"), keep_blank_values=True).items()}


class FakeAPI:
    """A threaded HTTP server on 127.0.0.1 that records requests and answers via ``reply``."""

    def __init__(self, reply: Callable[[Recorded], tuple[int, dict[str, Any]]]) -> None:
        self.requests: list[Recorded] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                record = Recorded("POST", self.path, dict(self.headers),
                                  _parse_body(self.headers.get("Content-Type", ""), body))
                fake.requests.append(record)
                status, payload = reply(record)
                data = json.dumps(payload).encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *_: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self.server.server_port}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FakeAPI:
        self._thread.start()
        return self

    def __exit__(self, *_: Any) -> None:
        self.server.shutdown()
        self.server.server_close()


class FakeTwilio(FakeAPI):
    """Twilio's Messages API: ``POST /2010-04-01/Accounts/{sid}/Messages.json``."""

    def __init__(self, fail_status: int | None = None) -> None:
        counter = itertools.count(1)

        def reply(record: Recorded) -> tuple[int, dict[str, Any]]:
            if fail_status:
                return fail_status, {"code": 21610, "message": "refused", "status": fail_status}
            sid = f"SM{next(counter):032d}"
            return 201, {"sid": sid, "body": record.form.get("Body"),
                         "to": record.form.get("To"), "from": record.form.get("From"),
                         "status": "queued"}

        super().__init__(reply)

    def sent(self, to: str | None = None) -> list[str]:
        """Bodies of the messages sent (to one recipient), in order."""
        return [r.form["Body"] for r in self.requests
                if r.path.endswith("/Messages.json") and (to is None or r.form["To"] == to)]


class FakeTelegram(FakeAPI):
    """Telegram's Bot API: ``POST /bot{token}/{method}``."""

    def __init__(self) -> None:
        counter = itertools.count(1)

        def reply(record: Recorded) -> tuple[int, dict[str, Any]]:
            method = record.path.rsplit("/", 1)[-1]
            if method == "sendMessage":
                return 200, {"ok": True, "result": {
                    "message_id": next(counter), "date": 0, "text": record.form.get("text"),
                    "chat": {"id": int(record.form["chat_id"]), "type": "private"}}}
            if method == "getMe":
                return 200, {"ok": True, "result": {"id": 1, "is_bot": True,
                                                    "first_name": "bot", "username": "bot"}}
            return 200, {"ok": True, "result": True}

        super().__init__(reply)

    def calls(self, method: str) -> list[Recorded]:
        return [r for r in self.requests if r.path.rsplit("/", 1)[-1] == method]

    def sent(self) -> list[str]:
        return [r.form["text"] for r in self.calls("sendMessage")]


@dataclass
class FakeDomain:
    responses: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


class ScriptedAgent:
    """Stands in for ``rasa.core.agent.Agent``: records messages, sends a scripted turn.

    Like Rasa's processor, it sends each bot message through
    ``output_channel.send_response`` as it is produced.
    """

    def __init__(self, turn: Callable[[str], list[dict[str, Any]]],
                 responses: dict[str, list[dict[str, Any]]] | None = None) -> None:
        self.turn = turn
        self.domain = FakeDomain(responses or {})
        self.received: list[UserMessage] = []

    async def handle_message(self, message: UserMessage) -> None:
        self.received.append(message)
        for bot_message in self.turn(message.text or ""):
            await message.output_channel.send_response(message.sender_id, dict(bot_message))


@contextlib.asynccontextmanager
async def serve(channels: list[InputChannel], agent: Any) -> AsyncIterator[str]:
    """Mount the channels as Rasa does (``register`` under /webhooks/) on a free port."""
    Sanic.test_mode = True   # lets several apps start in one process (as sanic-testing does)
    from bot.safety import detector

    detector.shared().assess("hello")  # loaded before serving, as the real server warms up
    app = Sanic(f"channels_{uuid.uuid4().hex[:12]}", configure_logging=False)
    app.ctx.agent = agent
    register(channels, app, route="/webhooks/")
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = await app.create_server(sock=sock, return_asyncio_server=True, access_log=False)
    await server.startup()
    await server.before_start()
    await server.after_start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await server.before_stop()
        server.close()
        await server.wait_closed()
        await server.after_stop()
        sock.close()


def twilio_form(text: str, sid: str, sender: str = "+15550001111",
                to: str = "+15559990000", **extra: str) -> dict[str, str]:
    """A webhook form as Twilio posts it for an incoming message."""
    form = {"AccountSid": "AC" + "0" * 32, "MessageSid": sid, "SmsMessageSid": sid,
            "From": sender, "To": to, "Body": text, "NumMedia": "0", "NumSegments": "1"}
    form.update(extra)
    return form


async def post_twilio(session: aiohttp.ClientSession, url: str, form: dict[str, str],
                      auth_token: str, signed_url: str | None = None) -> int:
    """POST a form signed the way Twilio signs it (over ``signed_url``); the status."""
    signature = RequestValidator(auth_token).compute_signature(signed_url or url, form)
    async with session.post(url, data=urlencode(form), headers={
            "X-Twilio-Signature": signature,
            "Content-Type": "application/x-www-form-urlencoded"}) as resp:
        return resp.status


async def post_telegram(session: aiohttp.ClientSession, url: str, update: dict[str, Any],
                        secret: str | None) -> int:
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
    async with session.post(url, json=update, headers=headers) as resp:
        return resp.status


def telegram_update(update_id: int, chat_id: int = 4242, text: str | None = None,
                    **message_fields: Any) -> dict[str, Any]:
    message: dict[str, Any] = {"message_id": update_id, "date": 0,
                               "chat": {"id": chat_id, "type": "private"},
                               "from": {"id": chat_id, "is_bot": False, "first_name": "P"}}
    if text is not None:
        message["text"] = text
    message.update(message_fields)
    return {"update_id": update_id, "message": message}


def run(coro: Any) -> Any:
    """Run one async test body on a fresh event loop."""
    return asyncio.run(coro)


# ---- response-contract objects built from the default library (verbatim text only) -----

REPO = __import__("pathlib").Path(__file__).resolve().parents[3]
DISCLAIMER = "Disclaimer placeholder: the real wording lives in the domain."
SAFETY_TEXT = "Safety placeholder: the real wording lives in the domain. Call 000."


def corpus_paragraphs(min_chars: int = 200) -> list[tuple[dict[str, Any], str]]:
    """(manifest entry, paragraph) pairs from the frozen default library, verbatim."""
    import yaml

    from knowledge.settings import DEFAULT_LIBRARY

    manifest = yaml.safe_load((DEFAULT_LIBRARY / "manifest.yml").read_text("utf-8"))
    pairs = []
    for doc in manifest["documents"]:
        text = (DEFAULT_LIBRARY / doc["file"]).read_text("utf-8")
        pairs += [(doc, p.strip()) for p in text.split("\n") if len(p.strip()) >= min_chars]
    return pairs


def answer_contract(n_excerpts: int = 3, offset: int = 0) -> dict[str, Any]:
    """An ``answer`` contract object whose excerpts are real default-library paragraphs."""
    chosen = corpus_paragraphs()[offset:offset + n_excerpts]
    excerpts, sources = [], []
    for n, (doc, paragraph) in enumerate(chosen, start=1):
        source = {"id": doc["id"], "title": doc.get("title") or doc["id"],
                  "publisher": doc.get("publisher"), "url": doc.get("url")}
        excerpts.append({"n": n, "text": paragraph, "passage_id": f"{doc['id']}#{n}",
                         "source": source})
        sources.append({"n": n, **source})
    return {"kind": "answer", "text": "Framing placeholder.", "excerpts": excerpts,
            "sources": sources, "disclaimer": DISCLAIMER,
            "suggestions": [{"title": "Suggestion one", "payload": "Suggestion one"}],
            "answer_id": "a1"}


def contract_texts(custom: dict[str, Any]) -> list[dict[str, Any]]:
    """The plain text messages that accompany a contract object in a turn."""
    texts = [custom["text"]] + [f"[{e['n']}] “{e['text']}”" for e in custom.get("excerpts", [])]
    if custom.get("sources"):
        texts.append("Sources: " + "; ".join(f"[{s['n']}] {s['title']}" for s in custom["sources"]))
    if custom.get("disclaimer"):
        texts.append(custom["disclaimer"])
    return [{"text": t} for t in texts]


def safety_contract(kind: str = "crisis") -> dict[str, Any]:
    return {"kind": kind, "text": SAFETY_TEXT, "excerpts": [], "sources": [],
            "disclaimer": None, "suggestions": []}

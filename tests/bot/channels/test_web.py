"""The web channel's HTTP surface, on an in-process Sanic server configured like `rasa run`.

The agent is a stand-in that records each message in a real Rasa tracker store (the
model is not needed to test routing, headers, CORS and forgetting a conversation).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import socket
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from rasa import server as rasa_server
from rasa.core.channels.channel import register
from rasa.core.lock_store import InMemoryLockStore
from rasa.core.tracker_store import InMemoryTrackerStore, SQLTrackerStore, TrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import UserUttered
from sanic import Sanic

from bot.channels.web import WEB_DIR, WebChannel, sender_for

CLIENT = "0123456789abcdef0123456789abcdef"
_names = itertools.count()


class FakeAgent:
    """Stores every message in a real tracker store and replies with one text."""

    def __init__(self, tracker_store: TrackerStore) -> None:
        self.tracker_store = tracker_store
        self.lock_store = InMemoryLockStore()

    async def handle_message(self, message: Any) -> None:
        async with self.lock_store.lock(message.sender_id):
            tracker = await self.tracker_store.get_or_create_tracker(message.sender_id)
            tracker.update(UserUttered(message.text))
            await self.tracker_store.save(tracker)
            await message.output_channel.send_text_message(message.sender_id, "reply")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(store: TrackerStore, credentials: dict[str, Any] | None, cors: str,
          test: Callable[[str, aiohttp.ClientSession, FakeAgent], Awaitable[None]]) -> None:
    """Run ``test`` against the channel mounted as Rasa mounts it, then stop the server."""

    async def main() -> None:
        Sanic.test_mode = True
        app = Sanic(f"web_channel_test_{next(_names)}")
        rasa_server.configure_cors(app, cors)
        agent = FakeAgent(store)
        app.ctx.agent = agent
        register([WebChannel.from_credentials(credentials)], app, "/webhooks/")
        port = free_port()
        srv = await app.create_server(host="127.0.0.1", port=port, access_log=False,
                                      return_asyncio_server=True)
        await srv.startup()
        await srv.before_start()
        try:
            async with aiohttp.ClientSession(trust_env=False) as http:
                await test(f"http://127.0.0.1:{port}/webhooks/web/", http, agent)
        finally:
            srv.close()
            await srv.wait_closed()

    asyncio.run(main())


def memory_store() -> InMemoryTrackerStore:
    return InMemoryTrackerStore(Domain.empty())


@pytest.mark.parametrize("cors", ["", "*"])
def test_message_endpoint_replies_and_allows_cross_origin_simple_requests(cors: str) -> None:
    store = memory_store()

    async def check(base: str, http: aiohttp.ClientSession, agent: FakeAgent) -> None:
        body = json.dumps({"sender": CLIENT, "message": "hello"})
        async with http.post(base + "webhook", data=body,
                             headers={"Content-Type": "text/plain;charset=UTF-8",
                                      "Origin": "https://clinic.example"}) as resp:
            assert resp.status == 200
            assert await resp.json() == [{"recipient_id": f"web-{CLIENT}", "text": "reply"}]
            # exactly one CORS answer, whatever Rasa's own --cors setting is
            assert resp.headers.getall("Access-Control-Allow-Origin") == ["*"]
            assert "Access-Control-Allow-Credentials" not in resp.headers
            assert resp.headers["Cache-Control"] == "no-store"
        assert f"web-{CLIENT}" in await store.keys()

    serve(store, {"allowed_origins": "*"}, cors, check)


def test_by_default_the_settings_origins_are_allowed_and_no_other(monkeypatch) -> None:
    from bot import settings

    monkeypatch.setattr(settings, "section",
                        lambda name: {"allowed_origins": ["https://clinic.example"]})

    async def check(base: str, http: aiohttp.ClientSession, agent: FakeAgent) -> None:
        body = json.dumps({"sender": CLIENT, "message": "hi"})
        for origin, allowed in (("https://clinic.example", ["https://clinic.example"]),
                                ("https://elsewhere.example", [])):
            async with http.post(base + "webhook", data=body,
                                 headers={"Origin": origin}) as resp:
                assert resp.status == 200
                assert resp.headers.getall("Access-Control-Allow-Origin", []) == allowed
                assert "Access-Control-Allow-Credentials" not in resp.headers

    serve(memory_store(), None, "", check)


def test_allowed_origins_from_credentials_are_reflected_and_others_are_not() -> None:
    async def check(base: str, http: aiohttp.ClientSession, agent: FakeAgent) -> None:
        body = json.dumps({"sender": CLIENT, "message": "hi"})
        async with http.post(base + "webhook", data=body,
                             headers={"Origin": "https://clinic.example"}) as resp:
            assert resp.headers.getall("Access-Control-Allow-Origin") == [
                "https://clinic.example"]
        async with http.post(base + "webhook", data=body,
                             headers={"Origin": "https://elsewhere.example"}) as resp:
            assert "Access-Control-Allow-Origin" not in resp.headers

    serve(memory_store(), {"allowed_origins": ["https://clinic.example"]}, "*", check)


@pytest.mark.parametrize("payload", [
    {"sender": "short", "message": "hi"},                # too short to be random
    {"sender": "../../" + CLIENT, "message": "hi"},      # not URL-safe
    {"sender": 12345678901234567890123, "message": "hi"},
    {"sender": CLIENT},
    {"sender": CLIENT, "message": "   "},
])
def test_bad_messages_are_rejected(payload: dict[str, Any]) -> None:
    store = memory_store()

    async def check(base: str, http: aiohttp.ClientSession, agent: FakeAgent) -> None:
        async with http.post(base + "webhook", data=json.dumps(payload)) as resp:
            assert resp.status == 400
        async with http.post(base + "webhook", data="not json") as resp:
            assert resp.status == 400
        assert list(await store.keys()) == []

    serve(store, None, "", check)


def test_sender_ids_live_in_their_own_namespace() -> None:
    assert sender_for(CLIENT) == f"web-{CLIENT}"
    assert sender_for("123456789") is None  # a Telegram chat id cannot be addressed
    assert sender_for("+15551234567") is None  # nor a phone number


def forget_check(store: TrackerStore) -> Callable[..., Awaitable[None]]:
    async def check(base: str, http: aiohttp.ClientSession, agent: FakeAgent) -> None:
        other = "f" * 32
        for sender in (CLIENT, other):
            async with http.post(base + "webhook",
                                 data=json.dumps({"sender": sender, "message": "hi"})) as resp:
                assert resp.status == 200
        assert await store.retrieve(f"web-{CLIENT}") is not None
        async with http.post(base + "end", data=json.dumps({"sender": CLIENT})) as resp:
            assert await resp.json() == {"ended": True, "existed": True}
        assert await store.retrieve(f"web-{CLIENT}") is None
        assert await store.retrieve(f"web-{other}") is not None  # nobody else's
        async with http.post(base + "end", data=json.dumps({"sender": CLIENT})) as resp:
            assert await resp.json() == {"ended": True, "existed": False}
        async with http.post(base + "end", data=json.dumps({"sender": "x"})) as resp:
            assert resp.status == 400

    return check


def test_end_deletes_the_conversation_from_the_in_memory_store() -> None:
    store = memory_store()
    serve(store, None, "", forget_check(store))


def test_end_deletes_the_conversation_from_the_sql_store(tmp_path: Path) -> None:
    db = tmp_path / "trackers.db"
    store = SQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(db))
    serve(store, None, "", forget_check(store))
    assert b"web-" + CLIENT.encode() not in db.read_bytes()  # overwritten, not just unlinked


@pytest.mark.parametrize("path, csp", [("kiosk", True), ("demo", True),
                                       ("widget.js", False), ("widget.css", False),
                                       ("render.js", False), ("kiosk.js", False)])
def test_assets_are_served_with_security_headers(path: str, csp: bool) -> None:
    async def check(base: str, http: aiohttp.ClientSession, agent: FakeAgent) -> None:
        async with http.get(base + path, headers={"Origin": "https://x.example"}) as resp:
            assert resp.status == 200
            assert resp.headers["X-Content-Type-Options"] == "nosniff"
            assert "Access-Control-Allow-Credentials" not in resp.headers
            policy = resp.headers.get("Content-Security-Policy", "")
            if csp:
                assert "default-src 'self'" in policy and "script-src 'self'" in policy
                assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
                assert "frame-ancestors 'none'" in policy
                assert "<script>" not in await resp.text()
            else:
                assert resp.headers["Cross-Origin-Resource-Policy"] == "cross-origin"

    serve(memory_store(), None, "*", check)


@pytest.mark.parametrize("path", ["../channels/web.py", "..%2Fchannels%2Fweb.py",
                                  "README.md", "kiosk.html", "settings.yml", "nothing.js"])
def test_only_listed_files_are_served(path: str) -> None:
    async def check(base: str, http: aiohttp.ClientSession, agent: FakeAgent) -> None:
        async with http.get(base + path) as resp:
            assert resp.status == 404

    serve(memory_store(), None, "", check)


def test_settings_expose_the_kiosk_values(monkeypatch: pytest.MonkeyPatch) -> None:
    from bot import settings

    monkeypatch.setattr(settings, "get", lambda: {
        "clinic": {"name": "Example", "phone": None, "kiosk_staff_message": "Ask reception."},
        "kiosk": {"idle_seconds": 45}})

    async def check(base: str, http: aiohttp.ClientSession, agent: FakeAgent) -> None:
        async with http.get(base + "settings") as resp:
            assert await resp.json() == {
                "clinic_name": "Example", "clinic_phone": None,
                "kiosk_staff_message": "Ask reception.", "idle_seconds": 45,
                "warning_seconds": 20}

    serve(memory_store(), None, "", check)


def test_pages_have_no_inline_script_or_style() -> None:
    import re

    for page in ("kiosk.html", "demo.html"):
        html = (WEB_DIR / page).read_text(encoding="utf-8")
        assert not re.search(r"<script(?![^>]*\bsrc=)", html), page
        assert not re.search(r"\son[a-z]+\s*=", html), page
        assert "<style" not in html and "style=" not in html, page

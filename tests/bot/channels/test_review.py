"""The review page's HTTP surface, mounted as `rasa run` mounts it: 404 while off, a
login when on, the grouped records and their CSV, nothing about who asked."""

from __future__ import annotations

import asyncio
import base64
import csv
import io
import itertools
import json
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp
import pytest
from rasa import server as rasa_server
from rasa.core.channels.channel import register
from sanic import Sanic

from actions.review_log import FEEDBACK_FILE, UNANSWERED_FILE
from bot.channels import review
from bot.channels.review import ReviewChannel
from bot.review import login
from bot.review.settings import ReviewSettings
from tests.bot.channels.test_web import free_port
from tests.knowledge.knowledge_testkit import FakeEmbedder

PASSWORD = "a long enough password"
HASH = login.hash_password(PASSWORD)
ON = ReviewSettings("on", "clinician", HASH)
_names = itertools.count()


def basic(username: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


GOOD = basic("clinician", PASSWORD)


def serve(channel: ReviewChannel,
          test: Callable[[str, aiohttp.ClientSession], Awaitable[None]]) -> None:
    """Run ``test`` against the channel mounted under /webhooks/, then stop the server."""

    async def main() -> None:
        Sanic.test_mode = True
        app = Sanic(f"review_channel_test_{next(_names)}")
        rasa_server.configure_cors(app, "*")
        register([channel], app, "/webhooks/")
        port = free_port()
        srv = await app.create_server(host="127.0.0.1", port=port, access_log=False,
                                      return_asyncio_server=True)
        await srv.startup()
        await srv.before_start()
        try:
            async with aiohttp.ClientSession(trust_env=False) as http:
                await test(f"http://127.0.0.1:{port}/webhooks/review/", http)
        finally:
            srv.close()
            await srv.wait_closed()

    asyncio.run(main())


@pytest.fixture()
def records_dir(tmp_path: Path) -> Path:
    lines = [{"date": f"2026-11-0{d}", "question": q, "suggested_topics": []}
             for d, q in [(1, "does acupuncture help back pain"),
                          (3, "does acupuncture help my back pain"),
                          (2, "kettle descaling <b>now</b>")]]
    (tmp_path / UNANSWERED_FILE).write_text("".join(json.dumps(x) + "\n" for x in lines))
    (tmp_path / FEEDBACK_FILE).write_text(json.dumps(
        {"date": "2026-11-04", "answer_id": "abc123", "rating": "not_helpful",
         "passage_ids": ["p1"], "question": "what is pacing", "sources": ["Title A"]}) + "\n")
    return tmp_path


def test_off_by_default_every_address_is_404(records_dir: Path) -> None:
    async def test(base: str, http: aiohttp.ClientSession) -> None:
        for path in ("", "export.csv"):
            async with http.get(base + path, headers=GOOD) as reply:
                assert reply.status == 404
                assert "acupuncture" not in await reply.text()

    serve(ReviewChannel(ReviewSettings(), records_dir, FakeEmbedder()), test)


def test_a_login_is_required_and_a_wrong_one_refused(records_dir: Path) -> None:
    async def test(base: str, http: aiohttp.ClientSession) -> None:
        for headers in ({}, basic("clinician", "wrong"), basic("someone", PASSWORD),
                        {"Authorization": "Bearer " + HASH}):
            for path in ("", "export.csv"):
                async with http.get(base + path, headers=headers) as reply:
                    assert reply.status == 401
                    assert reply.headers["WWW-Authenticate"].startswith("Basic realm=")
                    body = await reply.text()
                    assert "acupuncture" not in body and "clinician" not in body

    serve(ReviewChannel(ON, records_dir, FakeEmbedder()), test)


def test_the_page_groups_the_records_and_escapes_them(records_dir: Path) -> None:
    async def test(base: str, http: aiohttp.ClientSession) -> None:
        async with http.get(base, headers=GOOD) as reply:
            assert reply.status == 200
            assert reply.headers["Content-Type"].startswith("text/html")
            assert reply.headers["Cache-Control"] == "no-store"
            assert "Access-Control-Allow-Origin" not in reply.headers
            assert "frame-ancestors 'none'" in reply.headers["Content-Security-Policy"]
            html = await reply.text()
        assert '<td class="n">2</td><td>2026-11-01</td><td>2026-11-03</td>' in html
        assert "kettle descaling &lt;b&gt;now&lt;/b&gt;" in html and "<b>now" not in html
        assert "what is pacing" in html and "Title A (1)" in html
        assert "abc123" not in html and "p1" not in html

    serve(ReviewChannel(ON, records_dir, FakeEmbedder(dim=512)), test)


def test_the_csv_export_holds_the_same_groups(records_dir: Path) -> None:
    async def test(base: str, http: aiohttp.ClientSession) -> None:
        async with http.get(base + "export.csv", headers=GOOD) as reply:
            assert reply.status == 200
            assert reply.headers["Content-Type"].startswith("text/csv")
            assert "attachment" in reply.headers["Content-Disposition"]
            rows = list(csv.DictReader(io.StringIO(await reply.text())))
        assert [(r["list"], r["group"], r["question"]) for r in rows] == [
            ("unanswered", "1", "does acupuncture help back pain"),
            ("unanswered", "1", "does acupuncture help my back pain"),
            ("unanswered", "2", "kettle descaling <b>now</b>"),
            ("not_helpful", "1", "what is pacing")]

    serve(ReviewChannel(ON, records_dir, FakeEmbedder(dim=512)), test)


def test_repeated_failed_logins_are_slowed(records_dir: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(review, "MAX_FAILURES", 3)

    async def test(base: str, http: aiohttp.ClientSession) -> None:
        for _ in range(3):
            async with http.get(base, headers=basic("clinician", "guess")) as reply:
                assert reply.status == 401
        async with http.get(base, headers=GOOD) as reply:
            assert reply.status == 429
            assert reply.headers["Retry-After"] == "60"

    serve(ReviewChannel(ON, records_dir, FakeEmbedder()), test)


class FailingEmbedder:
    """Fails quoting what it was given, as a library error might."""

    def encode(self, texts, batch_size: int = 32):  # noqa: ANN001 - the Embedder protocol
        raise RuntimeError(f"cannot embed {texts}")


def test_a_failure_gives_a_bare_500_and_logs_no_record(
        records_dir: Path, caplog: pytest.LogCaptureFixture) -> None:
    async def test(base: str, http: aiohttp.ClientSession) -> None:
        for path in ("", "export.csv"):
            async with http.get(base + path, headers=GOOD) as reply:
                assert reply.status == 500
                assert "acupuncture" not in await reply.text()

    serve(ReviewChannel(ON, records_dir, FailingEmbedder()), test)
    assert "review.report.failed" in caplog.text
    assert "acupuncture" not in caplog.text


def test_the_embedder_is_asked_only_for_new_questions() -> None:
    inner = FakeEmbedder()
    cached = review.CachedEmbedder(lambda: inner)
    first = cached.encode(["a", "b"])
    again = cached.encode(["b", "a", "c"])
    assert inner.calls == [2, 1]
    assert (again[0] == first[1]).all() and (again[1] == first[0]).all()


def test_from_credentials_refuses_the_page_on_without_its_login(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.review.settings import ReviewSettingsError

    monkeypatch.setenv("PAIN_REVIEW_PAGE", "on")
    monkeypatch.delenv("PAIN_REVIEW_USERNAME", raising=False)
    monkeypatch.delenv("PAIN_REVIEW_PASSWORD_HASH", raising=False)
    with pytest.raises(ReviewSettingsError):
        ReviewChannel.from_credentials(None)
    monkeypatch.setenv("PAIN_REVIEW_PAGE", "off")
    assert not ReviewChannel.from_credentials(None).config.enabled

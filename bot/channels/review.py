"""The clinicians' review page, served by the bot at ``/webhooks/review/``.

Registered in ``bot/credentials.yml`` as ``bot.channels.review.ReviewChannel:``. Off by
default: every address under it answers 404 until ``review.page`` is ``on``
(``bot.review.settings``, which refuses to start the page without a username and a
password hash). Then ``/webhooks/review/`` (the page) and ``/webhooks/review/export.csv``
ask for an HTTP Basic login, checked in constant time. The records are read, embedded
and grouped on a worker thread, so patients' messages never wait for the page.
Nothing a record holds, nor the login, is ever logged.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot import settings
from bot.channels.web import _claim_cors
from bot.review import grouping, login, records
from bot.review import settings as review_settings
from bot.review.page import CSV_NAME, Report, render_csv, render_html

logger = logging.getLogger(__name__)

REALM = 'Basic realm="Library review", charset="UTF-8"'
# after this many failed logins within FAILURE_WINDOW_S, logins wait (429)
MAX_FAILURES = 10
FAILURE_WINDOW_S = 60.0
MAX_CACHED_VECTORS = 20_000
HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": ("default-src 'none'; style-src 'unsafe-inline'; "
                                "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"),
}


class CachedEmbedder:
    """An embedder that remembers each text's vector (up to ``MAX_CACHED_VECTORS``), so
    viewing the page again embeds only questions recorded since."""

    def __init__(self, factory: Callable[[], grouping.Embedder]) -> None:
        self._factory = factory
        self._embedder: grouping.Embedder | None = None
        self._vectors: dict[str, np.ndarray] = {}
        self._lock = threading.Lock()

    def encode(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        """Normalised vectors, one row per text."""
        with self._lock:
            new = [t for t in dict.fromkeys(texts) if t not in self._vectors]
            if new:
                if self._embedder is None:
                    self._embedder = self._factory()
                if len(self._vectors) + len(new) > MAX_CACHED_VECTORS:
                    self._vectors.clear()
                for text, vector in zip(new, self._embedder.encode(new, batch_size=batch_size),
                                        strict=True):
                    self._vectors[text] = np.asarray(vector, dtype=np.float32)
            return np.stack([self._vectors[t] for t in texts])


def minilm() -> grouping.Embedder:
    """all-MiniLM-L6-v2 as exported for this process (``knowledge.embedding``; no torch)."""
    from knowledge.embedding import OnnxMiniLM, installed_export

    return OnnxMiniLM(installed_export())


def data_dir() -> Path:
    """Where the records are: ``server.data_dir``."""
    return settings.resolve_path(settings.section("server").get("data_dir") or "var")


class FailedLogins:
    """Recent failed logins (times only), to slow guessing down."""

    def __init__(self) -> None:
        self._times: deque[float] = deque()

    def _trim(self, now: float) -> None:
        while self._times and now - self._times[0] > FAILURE_WINDOW_S:
            self._times.popleft()

    def too_many(self) -> bool:
        self._trim(time.monotonic())
        return len(self._times) >= MAX_FAILURES

    def add(self) -> None:
        self._times.append(time.monotonic())


class ReviewChannel(InputChannel):
    """The review page and its CSV export; see the module docstring."""

    def __init__(self, config: review_settings.ReviewSettings, records_dir: Path | None = None,
                 embedder: grouping.Embedder | None = None) -> None:
        self.config = config
        self.records_dir = records_dir
        self.embedder = embedder or CachedEmbedder(minilm)
        self.failures = FailedLogins()

    @classmethod
    def name(cls) -> str:
        return "review"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> ReviewChannel:
        """The channel as the settings say (``ReviewSettingsError`` stops Rasa starting
        when the page is on without its login)."""
        return cls(review_settings.load())

    def report(self) -> Report:
        """The records now, grouped (slow: call it off the event loop)."""
        found = records.read(self.records_dir or data_dir())
        threshold = self.config.group_similarity
        return Report(grouping.group(found.unanswered, self.embedder, threshold),
                      grouping.group(found.not_helpful, self.embedder, threshold),
                      found.skipped)

    async def _refusal(self, request: Request) -> HTTPResponse | None:
        """None when the request may see the page, else the response to give instead."""
        if not self.config.enabled:
            return response.text("Not found", status=404, headers=HEADERS)
        if self.failures.too_many():
            return response.text("Too many failed logins; try again in a minute.", status=429,
                                 headers={**HEADERS, "Retry-After": str(int(FAILURE_WINDOW_S))})
        given = login.basic_credentials(request.headers.get("authorization"))
        if given is not None:
            assert self.config.username and self.config.password_hash
            ok = await asyncio.get_running_loop().run_in_executor(
                None, login.check, given[0], given[1], self.config.username,
                self.config.password_hash)
            if ok:
                return None
            self.failures.add()
            logger.warning("review.login.failed")
        return response.text("Login required", status=401,
                             headers={**HEADERS, "WWW-Authenticate": REALM})

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """The page and its export (this channel takes no messages)."""
        review = Blueprint("pain_review_channel", __name__)

        async def guarded(request: Request, render: Callable[[Report], HTTPResponse]
                          ) -> HTTPResponse:
            _claim_cors(request)  # no site may read this page from a browser
            refusal = await self._refusal(request)
            if refusal is not None:
                return refusal
            try:
                report = await asyncio.get_running_loop().run_in_executor(None, self.report)
            except Exception:  # noqa: BLE001 - the reason may quote a record: not logged
                logger.error("review.report.failed")
                return response.text("The review could not be prepared.", status=500,
                                     headers=HEADERS)
            return render(report)

        @review.route("/", methods=["GET"])
        async def page(request: Request) -> HTTPResponse:
            clinic = str(settings.section("clinic").get("name") or "")
            return await guarded(request, lambda report: response.html(
                render_html(report, clinic), headers=HEADERS))

        @review.route(f"/{CSV_NAME}", methods=["GET"])
        async def export(request: Request) -> HTTPResponse:
            return await guarded(request, lambda report: response.text(
                render_csv(report), content_type="text/csv; charset=utf-8", headers={
                    **HEADERS, "Content-Disposition": 'attachment; filename="library-review.csv"'}))

        return review

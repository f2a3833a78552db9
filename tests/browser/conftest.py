"""Fixtures for the browser tests: the real bot stack with the web channel, and Chromium.

The stack is started once per session with ``bot.bot_stack.start_stack`` (the same code as
``make run``) on free ports, with a temporary credentials file holding the REST channel
(the supervisor's readiness check and warm-up use it) and ``bot.channels.web.WebChannel``.
The library is the frozen default library (tests/conftest.py) or, when
``tests/data/hostile_corpus/`` exists, the default library plus those documents, indexed
into a temporary folder, so planted markup can reach the widget; never the clinic's.

Chromium is Debian's (``/usr/bin/chromium``, or ``PAIN_CHROMIUM``), never a download:
run ``tests/install_browser.sh`` (``make browser-deps``) if it is missing.
"""

from __future__ import annotations

import json
import os
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.library_testkit import build, merged_library

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"
HOSTILE_DIR = ROOT / "tests" / "data" / "hostile_corpus"
SAFETY_PHRASES = ROOT / "tests" / "data" / "safety_phrases.yml"
CHROMIUM = os.environ.get("PAIN_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
OFFLINE_ENV = {"RASA_TELEMETRY_ENABLED": "false", "HF_HUB_OFFLINE": "1",
               "TRANSFORMERS_OFFLINE": "1"}


@dataclass(frozen=True)
class HostileCorpus:
    """Documents with planted markup, and a question whose answer quotes them."""

    folder: Path
    question: str
    payload: str | None      # markup that must appear as literal text, if cleaning keeps it
    source_title: str | None  # title of the planted document, to find its citation


@dataclass(frozen=True)
class WebBot:
    """The running stack as the browser tests see it."""

    rasa_url: str

    @property
    def base(self) -> str:
        return f"{self.rasa_url}/webhooks/web/"

    def post(self, path: str, payload: dict[str, Any]) -> Any:
        """POST JSON to the web channel and return the decoded reply."""
        request = urllib.request.Request(self.base + path, data=json.dumps(payload).encode(),
                                         headers={"Content-Type": "application/json"})
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(request, timeout=60) as response:
            return json.loads(response.read().decode())


def _hostile_corpus() -> HostileCorpus | None:
    probe = HOSTILE_DIR / "probe.yml"
    if not probe.exists():
        return None
    data = yaml.safe_load(probe.read_text(encoding="utf-8")) or {}
    return HostileCorpus(HOSTILE_DIR, str(data["question"]), data.get("payload"),
                         data.get("source_title"))


@pytest.fixture(scope="session")
def hostile_corpus() -> HostileCorpus:
    """The planted-markup corpus; its absence fails the test that needs it (never a skip)."""
    corpus = _hostile_corpus()
    if corpus is None:
        pytest.fail(f"{HOSTILE_DIR}/probe.yml is missing: the hostile test corpus (documents "
                    "+ manifest.yml in the knowledge/corpus format, and probe.yml with "
                    "`question`, `payload`, `source_title`) has not been provided")
    return corpus


def _library_env(tmp: Path, request: pytest.FixtureRequest) -> dict[str, str]:
    """Environment overrides pointing the knowledge layer at the test library."""
    if _hostile_corpus() is None:
        return request.getfixturevalue("default_library").env
    return build(merged_library(tmp / "corpus", HOSTILE_DIR), tmp / "index").env


@pytest.fixture(scope="session")
def web_bot(tmp_path_factory: pytest.TempPathFactory,
            request: pytest.FixtureRequest) -> Iterator[WebBot]:
    """The real action server and Rasa server, with the web channel, on free ports."""
    from bot.serving import stack as bot_stack

    model = bot_stack.rasa_paths()["model"]
    if not model.exists():
        pytest.fail(f"Missing {model}: run `make model index` first.", pytrace=False)
    tmp = tmp_path_factory.mktemp("web_stack")
    credentials = tmp / "credentials.yml"
    credentials.write_text(yaml.safe_dump(
        {"bot.channels.rest.RestChannel": None,
         "bot.channels.web.WebChannel": {"allowed_origins": "*"}}),
        encoding="utf-8")
    # the servers take the environment when they start; it is restored at once, so later
    # tests' servers (the review page's, say) never see these credentials
    with pytest.MonkeyPatch.context() as mp:
        for name, value in {**OFFLINE_ENV, **_library_env(tmp, request),
                            "RASA_CREDENTIALS": str(credentials)}.items():
            mp.setenv(name, value)
        try:
            stack = bot_stack.start_stack(bot_stack.free_port(), bot_stack.free_port(),
                                          tmp / "data")
        except bot_stack.StackError as exc:
            pytest.fail(str(exc), pytrace=False)
    try:
        yield WebBot(stack.rasa_url)
    finally:
        stack.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Headless Debian Chromium driven by Playwright."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: run `bash tests/install_browser.sh` "
                    "(or set PAIN_CHROMIUM)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class PageWatch:
    """A page plus what must never happen on it: script errors and JavaScript dialogs."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        page.on("dialog", self._dialog)

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def screenshot(self, name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=False)
        return path


@pytest.fixture
def watch(browser: Any) -> Iterator[PageWatch]:
    """A fresh browser context (no shared storage) and page, closed after the test."""
    context = browser.new_context(viewport={"width": 1280, "height": 800},
                                  reduced_motion="reduce")
    page = context.new_page()
    page.set_default_timeout(60_000)
    # Nothing leaves the machine: any request to a host other than loopback fails the test.
    outside: list[str] = []

    def guard(route: Any) -> None:
        host = route.request.url.split("/")[2].split(":")[0]
        if host in ("127.0.0.1", "localhost") or host.endswith(".localhost"):
            route.fallback()
        else:
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", guard)
    yield PageWatch(page)
    context.close()
    assert not outside, f"requests left the machine: {outside}"


@pytest.fixture(scope="session")
def safety_phrases() -> dict[str, list[str]]:
    """The team's shared safety phrases (tests/data/safety_phrases.yml)."""
    return yaml.safe_load(SAFETY_PHRASES.read_text(encoding="utf-8"))

"""The real stack for end-to-end tests: action server + Rasa on free loopback ports.

``bot_client`` talks to a healthy stack (started once for this package); ``down_client``
to a Rasa server whose action endpoint points at a closed port (started once per
module that asks for it). Both use a temporary data dir, so their tracker store,
logs and review files never touch ``var/``. Every server these tests start, and the
knowledge layer in this process, serve the frozen default library indexed into a
temporary folder (tests/conftest.py), whatever the clinic's library is.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from bot.serving import stack as bot_stack
from tests.library_testkit import IndexedLibrary, serving

KINDS = {"answer", "no_answer", "declined", "red_flag", "crisis", "check_in", "chitchat",
         "not_understood"}


def _require_model() -> None:
    """Fail (never skip) when the trained model is missing."""
    model = bot_stack.rasa_paths()["model"]
    if not model.exists():
        pytest.fail(f"Missing {model}: run `make model` first.", pytrace=False)


class Client:
    """Talks to Rasa's REST webhook; every ``ask`` without a sender is a new person."""

    def __init__(self, stack: bot_stack.Stack) -> None:
        self.stack = stack
        self.http = requests.Session()
        self.http.trust_env = False  # loopback only, never a proxy

    def ask(self, text: str, sender: str | None = None) -> list[dict[str, Any]]:
        """Send one message and return the bot's messages for that turn."""
        sender = sender or new_sender()
        reply = self.http.post(self.stack.webhook, json={"sender": sender, "message": text},
                               timeout=60)
        reply.raise_for_status()
        messages = reply.json()
        assert isinstance(messages, list), messages
        return messages

    def conversation(self) -> Conversation:
        return Conversation(self, new_sender())

    @staticmethod
    def custom(messages: list[dict[str, Any]]) -> dict[str, Any]:
        """The turn's single contract object (fails unless there is exactly one)."""
        customs = [m["custom"] for m in messages if m.get("custom") is not None]
        assert len(customs) == 1, (
            f"expected exactly one custom message, got {len(customs)}: "
            f"{json.dumps(messages, ensure_ascii=False)[:2000]}")
        body = customs[0]
        assert body.get("kind") in KINDS, body
        return body


class Conversation:
    """Several turns from one sender."""

    def __init__(self, client: Client, sender: str) -> None:
        self.client, self.sender = client, sender

    def ask(self, text: str) -> list[dict[str, Any]]:
        return self.client.ask(text, self.sender)


def new_sender() -> str:
    return f"it-{uuid.uuid4().hex}"


def texts(messages: list[dict[str, Any]]) -> list[str]:
    """The plain text messages of a turn."""
    return [m["text"] for m in messages if isinstance(m.get("text"), str) and m["text"].strip()]


def squash(text: str) -> str:
    """Text with runs of whitespace as single spaces (SMS texts reflow line breaks)."""
    return " ".join(text.split())


def _start(tmp: Path, **kwargs: Any) -> Iterator[bot_stack.Stack]:
    _require_model()
    try:
        stack = bot_stack.start_stack(bot_stack.free_port(), bot_stack.free_port(), tmp, **kwargs)
    except bot_stack.StackError as exc:
        pytest.fail(str(exc), pytrace=False)
    try:
        yield stack
    finally:
        stack.stop()


ALLOWED_ORIGIN = "https://clinic.example"  # the one site allowed to call the shared stack
# Personal details the suite sends on purpose (tests/integration/test_serving.py,
# tests/actions/test_server.py): none may reach any log any server wrote.
SEEDED_PERSONAL_DATA = ("Joan", "07700 900123", "943 476 5919", "Acacia Avenue")


@pytest.fixture(scope="session", autouse=True)
def no_seeded_personal_data_in_any_log(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """After the whole suite: every log file under the suite's temporary folders is free
    of the seeded personal details (a leak fails the run at its end)."""
    yield
    leaks = []
    for log in tmp_path_factory.getbasetemp().rglob("*.log"):
        text = log.read_text(encoding="utf-8", errors="replace")
        leaks += [f"{log}: {seed!r}" for seed in SEEDED_PERSONAL_DATA if seed in text]
    assert not leaks, "personal data in logs:\n" + "\n".join(leaks)


@pytest.fixture(scope="package", autouse=True)
def serves_default_library(default_library: IndexedLibrary) -> Iterator[IndexedLibrary]:
    """The settings name the default library for every test here and each server started."""
    with serving(default_library) as library:
        yield library


@pytest.fixture(scope="package")
def stack(tmp_path_factory: pytest.TempPathFactory,
          serves_default_library: IndexedLibrary) -> Iterator[bot_stack.Stack]:
    """The real action server and Rasa server, with a fresh data dir."""
    yield from _start(tmp_path_factory.mktemp("stack"), cors=[ALLOWED_ORIGIN])


@pytest.fixture(scope="package")
def bot_client(stack: bot_stack.Stack) -> Client:
    return Client(stack)


@pytest.fixture(scope="module")
def down_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[bot_stack.Stack]:
    """Rasa alone, its action endpoint pointing at a port where nothing listens."""
    closed = f"http://127.0.0.1:{bot_stack.free_port()}/webhook"
    yield from _start(tmp_path_factory.mktemp("down"), action_server=False, action_url=closed,
                      warm_up=False)


@pytest.fixture(scope="module")
def down_client(down_stack: bot_stack.Stack) -> Client:
    return Client(down_stack)


@pytest.fixture(scope="package")
def library(serves_default_library: IndexedLibrary) -> Any:
    """The knowledge layer's loaded index (sources and passages), in this process."""
    import knowledge

    return knowledge.get_retriever().index


@pytest.fixture(scope="package")
def clean_documents(serves_default_library: IndexedLibrary) -> dict[str, str]:
    """Document id -> cleaned text, cleaned afresh from the library by knowledge's loader."""
    from knowledge.index import clean_corpus

    return {d.source.id: d.text for d in clean_corpus(serves_default_library.corpus)}


class Contract:
    """Checks a turn against the response contract (issue 3) and the library."""

    def __init__(self, library: Any, documents: dict[str, str]) -> None:
        self.library, self.documents = library, documents
        self.passages = {p.id: p for p in library.passages}

    def turn(self, messages: list[dict[str, Any]]) -> dict[str, Any]:
        """Any turn: exactly one custom object, plain texts that carry its sentence."""
        body = Client.custom(messages)
        plain = texts(messages)
        assert plain, f"no plain text messages in {messages}"
        assert isinstance(body.get("text"), str) and body["text"].strip(), body
        return body

    def safety(self, messages: list[dict[str, Any]], kind: str) -> dict[str, Any]:
        """A safety turn opens with the safety reply (its card, or its own text just before
        the card), has exactly one contract object, and nothing from the library."""
        assert messages, "empty reply to a safety message"
        card = Client.custom(messages)
        assert card["kind"] == kind, messages
        first = messages[0]
        assert first.get("custom") is not None or first.get("text") == card["text"], (
            f"the turn does not open with the safety reply: {messages}")
        assert card["excerpts"] == [] and card["sources"] == [], card
        assert texts(messages), messages
        assert "{" not in card["text"], f"unfilled placeholder: {card['text']}"
        return card

    def answer(self, messages: list[dict[str, Any]]) -> dict[str, Any]:
        """An answer turn: verbatim excerpts, resolvable citations, disclaimer, SMS texts."""
        import knowledge

        body = self.turn(messages)
        assert body["kind"] == "answer", body
        plain = "\n".join(texts(messages))
        assert 1 <= len(body["excerpts"]) <= 3, body
        cited = {s["id"]: s for s in body["sources"]}
        for excerpt in body["excerpts"]:
            text, source_id = excerpt["text"], excerpt["source"]["id"]
            assert text.strip(), excerpt
            assert source_id in self.documents, f"unknown document {source_id}"
            assert text in self.documents[source_id], f"not verbatim in {source_id}: {text!r}"
            passage = self.passages.get(excerpt["passage_id"])
            assert passage is not None, f"unknown passage {excerpt['passage_id']}"
            assert passage.doc_id == source_id, excerpt
            assert text in passage.text, f"excerpt outside its passage: {text!r}"
            record = knowledge.get_source(source_id)
            assert record is not None, source_id
            assert excerpt["source"]["title"] == record.title
            assert source_id in cited, f"excerpt cites {source_id}, not in sources {cited}"
            assert cited[source_id]["n"] == excerpt["n"]
            assert f"[{excerpt['n']}]" in plain, "citation number missing in texts"
            assert squash(text) in squash(plain), "excerpt missing in texts"
        for source in body["sources"]:
            record = knowledge.get_source(source["id"])
            assert record is not None, source
            assert (source["title"], source["publisher"], source["url"]) == (
                record.title, record.publisher, record.url)
            assert record.title in plain, "source title missing in plain texts"
        assert isinstance(body["disclaimer"], str) and body["disclaimer"].strip(), body
        assert body["disclaimer"] in plain, "disclaimer missing in plain texts"
        assert body["text"] in plain
        assert body.get("answer_id"), body
        return body


@pytest.fixture(scope="package")
def contract(library: Any, clean_documents: dict[str, str]) -> Contract:
    return Contract(library, clean_documents)

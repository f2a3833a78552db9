"""The real action server follows a rebuilt library: a document removed and the index
rebuilt (``python -m knowledge build``) is never quoted again, without a restart, and no
request fails while the new index is swapped in (a bounded loop of requests)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests
import yaml

from bot.serving import stack
from knowledge.settings import DEFAULT_LIBRARY

pytestmark = pytest.mark.integration

QUESTION = "how is acupuncture supposed to calm persistent pain down?"
REMOVED = "acupuncture-persistent-pain"  # the default document the question is answered from
LOOP_LIMIT_S = 90.0


def _build(corpus: Path, index: Path) -> None:
    subprocess.run([sys.executable, "-m", "knowledge", "--corpus", str(corpus), "--index",
                    str(index), "build"], cwd=stack.ROOT, check=True, capture_output=True,
                   env=dict(os.environ, HF_HUB_OFFLINE="1"), timeout=300)


def _domain() -> dict:
    """The domain's responses, as Rasa sends them to the action server."""
    responses: dict = {}
    for path in sorted((stack.ROOT / "bot" / "domain").glob("*.yml")):
        responses.update(yaml.safe_load(path.read_text(encoding="utf-8")).get("responses") or {})
    return {"responses": responses}


DOMAIN = _domain()


def _ask(session: requests.Session, port: int) -> tuple[int, set[str]]:
    body = {"next_action": "action_answer", "sender_id": "reload-test",
            "tracker": {"sender_id": "reload-test", "slots": {},
                        "events": [{"event": "session_started"}, {"event": "bot", "text": "Hi"}],
                        "latest_message": {"text": QUESTION,
                                           "intent": {"name": "ask_question", "confidence": 1}}},
            "domain": DOMAIN, "version": "3.6.21"}
    reply = session.post(f"http://127.0.0.1:{port}/webhook", json=body, timeout=30)
    if reply.status_code != 200:
        return reply.status_code, set()
    cited = {source["id"] for message in reply.json().get("responses", [])
             for source in (message.get("custom") or {}).get("sources", [])}
    return 200, cited


def test_a_removed_document_is_not_quoted_after_a_rebuild_and_no_request_fails(
        tmp_path: Path) -> None:
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    shutil.copytree(DEFAULT_LIBRARY, corpus)
    _build(corpus, index)
    port = stack.free_port()
    env = dict(os.environ, HF_HUB_OFFLINE="1", LOG_LEVEL="WARNING",
               PAIN_SERVER_DATA_DIR=str(tmp_path), PAIN_KNOWLEDGE_CORPUS_DIR=str(corpus),
               PAIN_KNOWLEDGE_INDEX_DIR=str(index))
    server = stack.spawn_action_server(port, env, tmp_path / "logs")
    session = requests.Session()
    session.trust_env = False
    statuses: list[int] = []
    cited_after: list[set[str]] = []
    rebuilt = threading.Event()
    try:
        stack.wait_until_up([(f"http://127.0.0.1:{port}/health", server)], timeout=120)
        status, cited = _ask(session, port)
        assert status == 200 and REMOVED in cited  # the library quotes it today

        def rebuild() -> None:
            manifest = yaml.safe_load((corpus / "manifest.yml").read_text(encoding="utf-8"))
            entry = next(d for d in manifest["documents"] if d["id"] == REMOVED)
            (corpus / entry["file"]).unlink()
            manifest["documents"].remove(entry)
            (corpus / "manifest.yml").write_text(yaml.safe_dump(manifest), encoding="utf-8")
            _build(corpus, index)
            rebuilt.set()

        builder = threading.Thread(target=rebuild)
        builder.start()
        started = time.monotonic()
        while time.monotonic() - started < LOOP_LIMIT_S:
            status, cited = _ask(session, port)
            statuses.append(status)
            if rebuilt.is_set():
                cited_after.append(cited)
                if len(cited_after) >= 3 and REMOVED not in cited:
                    break
            time.sleep(0.1)
        builder.join(timeout=60)
    finally:
        server.stop()
    assert statuses and all(s == 200 for s in statuses), statuses
    assert rebuilt.is_set() and cited_after and REMOVED not in cited_after[-1]

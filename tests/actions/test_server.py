"""actions.server: the real action server process; an action that fails echoes nothing."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import requests

from bot.serving import stack

pytestmark = pytest.mark.integration

SECRET_TEXT = "my NHS number is 943 476 5919 and I live at 12 Acacia Avenue"


def test_a_failing_action_answers_500_with_nothing_from_the_request(tmp_path: Path) -> None:
    port = stack.free_port()
    env = dict(os.environ, HF_HUB_OFFLINE="1", LOG_LEVEL="WARNING",
               PAIN_SERVER_DATA_DIR=str(tmp_path))
    server = stack.spawn_action_server(port, env, tmp_path / "logs")
    try:
        stack.wait_until_up([(f"http://127.0.0.1:{port}/health", server)], timeout=120)
        # a tracker that is not one: action_answer fails reading it
        body = {"next_action": "action_answer", "sender_id": "+447700900123",
                "tracker": {"sender_id": "+447700900123", "latest_message": SECRET_TEXT,
                            "events": "not a list"},
                "domain": {}, "version": "3.6.21"}
        session = requests.Session()
        session.trust_env = False
        reply = session.post(f"http://127.0.0.1:{port}/webhook", json=body, timeout=60)
        assert reply.status_code == 500
        assert reply.json() == {"error": "internal error"}
        assert session.get(f"http://127.0.0.1:{port}/health", timeout=10).ok  # still serving
    finally:
        server.stop()
    log = server.log.read_text(encoding="utf-8")
    assert "action action_answer failed:" in log, log
    for secret in ("943 476 5919", "Acacia", "447700900123"):
        assert secret not in log and secret not in reply.text

"""The supervisor end to end: `python -m bot.serving.serve`, the tracker store, the logs."""

from __future__ import annotations

import http.client
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from bot import settings
from bot.serving import retention
from bot.serving import stack as bot_stack

pytestmark = pytest.mark.integration


def events_of(db: Path, sender: str) -> int:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT COUNT(*) FROM events WHERE sender_id = ?",
                            (sender,)).fetchone()[0]


def test_tracker_store_is_the_temporary_one(stack):
    assert stack.tracker_db is not None, "bot/endpoints.yml has no SQLite tracker store"
    assert stack.data_dir in stack.tracker_db.parents, (
        f"tracker store {stack.tracker_db} is not under the data dir {stack.data_dir}: "
        "bot/endpoints.yml must take its path from ${PAIN_TRACKER_DB}")


def test_retention_purges_the_live_tracker_store(stack, bot_client):
    test_tracker_store_is_the_temporary_one(stack)
    chat = bot_client.conversation()
    assert chat.ask("hello")
    assert events_of(stack.tracker_db, chat.sender) > 0
    retention.purge(stack.tracker_db, 30)  # today's conversation is inside the window
    assert events_of(stack.tracker_db, chat.sender) > 0
    assert retention.purge(stack.tracker_db, 30, now=time.time() + 31 * 86400) > 0
    assert events_of(stack.tracker_db, chat.sender) == 0
    # Rasa carries on with a fresh conversation for the same person
    assert chat.ask("hello")
    assert events_of(stack.tracker_db, chat.sender) > 0


def test_warm_up_loaded_the_library(stack):
    assert stack.warm_up_kinds == ["answer"], stack.warm_up_kinds


def test_warm_up_conversation_is_not_kept(stack):
    test_tracker_store_is_the_temporary_one(stack)
    with sqlite3.connect(stack.tracker_db) as conn:
        warm = conn.execute("SELECT COUNT(*) FROM events WHERE sender_id LIKE 'warmup-%'")
        assert warm.fetchone()[0] == 0


def test_logs_hold_no_message_text(stack, bot_client):
    secret = f"my neighbour Joan {uuid.uuid4().hex} has back pain"
    bot_client.ask(secret, sender=f"sender-{uuid.uuid4().hex}")
    # "/" messages Rasa cannot parse as an intent (it logs what it could not parse)
    for text in ("/my name is Joan, call 07700 900123", '/inform{"name": "Joan"}',
                 "/greet{Joan 07700 900123", "/Joan wants to end her life"):
        bot_client.ask(text, sender=f"sender-{uuid.uuid4().hex}")
    logs = list((stack.data_dir / "logs").glob("*.log"))
    assert {p.name for p in logs} >= {"rasa.log", "actions.log"}
    for log in logs:
        text = log.read_text(encoding="utf-8", errors="replace")
        assert secret not in text and "Joan" not in text and "900123" not in text, log
        assert bot_stack.WARMUP_QUESTION not in text, log


def loopback() -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # never a proxy
    return session


@pytest.mark.parametrize("body", [
    {"message": "what is central sensitisation"},  # no sender: was pooled into "default"
    {"sender": None, "message": "tell me more"},
    {"sender": "   ", "message": "tell me more"},
    {"sender": 42, "message": "hello"},
    {"sender": "someone", "message": None},
    ["sender", "message"],
    7,
])
def test_rest_refuses_a_body_without_its_own_sender_or_text(stack, body):
    reply = loopback().post(stack.webhook, json=body, timeout=60)
    assert reply.status_code == 400, reply.text
    assert "Traceback" not in reply.text and "File \"" not in reply.text


def test_rest_refuses_a_body_that_is_not_json(stack):
    reply = loopback().post(stack.webhook, data=b"{not json", timeout=60,
                          headers={"Content-Type": "application/json"})
    assert reply.status_code == 400
    assert "Traceback" not in reply.text


def test_rasa_refuses_a_body_over_the_limit_and_keeps_serving(stack, bot_client):
    huge = {"sender": f"sender-{uuid.uuid4().hex}", "message": "ache " * 60_000}
    reply = loopback().post(stack.webhook, json=huge, timeout=60)
    assert reply.status_code == 413
    assert "Traceback" not in reply.text
    assert bot_client.ask("hello", sender=f"sender-{uuid.uuid4().hex}")
    fits = {"sender": f"sender-{uuid.uuid4().hex}",
            "message": "why does my back hurt " * 250}  # 5,500 characters: still served
    assert loopback().post(stack.webhook, json=fits, timeout=120).status_code == 200


LONG_STORY = ("I have had back pain for years and I walk every day and try to keep going "
              "with work and the kids even on the bad days. ") * 30  # about 3,700 characters


def test_a_long_message_is_answered_from_its_beginning_with_a_notice(
        stack, bot_client, contract):
    assert len(LONG_STORY) > settings.section("server")["max_message_chars"]
    question = "Why does pain last after an injury has healed? "
    started = time.monotonic()
    answer = contract.answer(bot_client.ask(question + LONG_STORY))
    assert time.monotonic() - started < 10
    assert answer["text"].startswith("Your message was long, so I read only the first part")


def test_a_crisis_after_the_cut_still_gets_the_crisis_reply(stack, bot_client, contract):
    contract.safety(bot_client.ask(LONG_STORY + " I have decided to end my life tonight."),
                    "crisis")


def test_the_root_route_does_not_tell_the_version(stack):
    reply = loopback().get(f"{stack.rasa_url}/", timeout=10)
    assert reply.status_code == 200 and reply.text == "Hello"


def post_from(stack, address: str, body: dict) -> tuple[int, dict, dict]:
    """POST to the REST webhook from a chosen loopback source address."""
    host, port = stack.rasa_url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=60, source_address=(address, 0))
    try:
        conn.request("POST", "/webhooks/rest/webhook", json.dumps(body),
                     {"Content-Type": "application/json"})
        reply = conn.getresponse()
        return reply.status, dict(reply.getheaders()), json.loads(reply.read() or b"null")
    finally:
        conn.close()


def test_a_sender_over_its_rate_limit_gets_a_429_and_others_go_on(stack, bot_client):
    server = settings.section("server")
    sender = f"sender-{uuid.uuid4().hex}"
    statuses = [loopback().post(stack.webhook, json={"sender": sender, "message": "hi"},
                                timeout=60) for _ in range(server["rate_limit_sender_burst"] + 3)]
    refused = [r for r in statuses if r.status_code == 429]
    assert refused, [r.status_code for r in statuses]
    assert refused[0].json() == {"error": "too_many_requests",
                                 "message": server["rate_limit_message"]}
    assert int(refused[0].headers["Retry-After"]) >= 1
    assert bot_client.ask("hello")  # another person is not held up


def test_an_address_over_its_rate_limit_gets_a_429(stack):
    burst = settings.section("server")["rate_limit_address_burst"]
    # twice the burst: the bucket also refills while they are answered one by one
    codes = [post_from(stack, "127.0.0.2", {"sender": uuid.uuid4().hex, "message": "hi"})[0]
             for _ in range(2 * burst)]
    assert codes[0] == 200 and codes[-1] == 429, codes


@pytest.mark.parametrize("method", ["POST", "OPTIONS"])
def test_only_the_allowed_site_may_call_and_no_response_allows_credentials(stack, method):
    from tests.integration.conftest import ALLOWED_ORIGIN

    for origin, allowed in ((ALLOWED_ORIGIN, ALLOWED_ORIGIN), ("https://elsewhere.example", None)):
        reply = loopback().request(method, stack.webhook, timeout=60,
                                   json={"sender": uuid.uuid4().hex, "message": "hi"},
                                   headers={"Origin": origin,
                                            "Access-Control-Request-Method": "POST"})
        assert reply.headers.get("Access-Control-Allow-Origin") == allowed, reply.headers
        assert "Access-Control-Allow-Credentials" not in reply.headers, reply.headers


def test_socket_io_is_not_served(stack):
    assert loopback().get(f"{stack.rasa_url}/socket.io/", timeout=10).status_code == 404


def test_rest_still_answers_a_well_formed_message(stack, bot_client):
    messages = bot_client.ask("hello", sender=f"sender-{uuid.uuid4().hex}")
    assert messages and all(isinstance(m, dict) for m in messages)


def children_of(pid: int) -> set[int]:
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.add(int(stat.parent.name))
    return found


def test_make_run_supervisor_serves_and_stops_cleanly_on_sigterm(tmp_path):
    rasa_port, action_port = bot_stack.free_port(), bot_stack.free_port()
    env = dict(os.environ, PAIN_SERVER_DATA_DIR=str(tmp_path))
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.serving.serve", "--rasa-port", str(rasa_port), "--action-port",
         str(action_port), "--health-port", "0"], cwd=bot_stack.ROOT, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    output = []
    try:
        deadline = time.monotonic() + 300
        for line in proc.stdout:
            output.append(line)
            if "Press Ctrl-C" in line or time.monotonic() > deadline:
                break
        assert "Press Ctrl-C" in "".join(output), "".join(output)
        assert "/webhooks/rest/webhook" in "".join(output)
        children = children_of(proc.pid)
        assert len(children) == 2, children
        reply = requests.post(f"http://127.0.0.1:{rasa_port}/webhooks/rest/webhook",
                              json={"sender": "s", "message": "hello"}, timeout=60)
        assert reply.ok and reply.json(), reply.text
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0, "".join(output) + proc.stdout.read()
        for child in children:
            assert not Path(f"/proc/{child}").exists(), f"server {child} outlived serve"
        with pytest.raises(requests.ConnectionError):
            requests.get(f"http://127.0.0.1:{rasa_port}/", timeout=5)
        assert (tmp_path / "logs" / "rasa.log").exists()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


CRISIS = "I want to end my life"
QUESTION = "What is central sensitisation?"


def start_supervisor(tmp_path, **settings_env):
    """``python -m bot.serving.serve`` on free ports; returns (process, rasa port, health URL)."""
    rasa_port, action_port, health_port = (bot_stack.free_port() for _ in range(3))
    env = dict(os.environ, PAIN_SERVER_DATA_DIR=str(tmp_path), **settings_env)
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.serving.serve", "--rasa-port", str(rasa_port), "--action-port",
         str(action_port), "--health-port", str(health_port)], cwd=bot_stack.ROOT, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    for line in proc.stdout:
        if "Press Ctrl-C" in line:
            break
    return proc, rasa_port, f"http://127.0.0.1:{health_port}/health"


def child(proc, name: str) -> int:
    """The supervisor's ``actions`` or ``rasa`` child process."""
    def is_actions(pid: int) -> bool:
        return b"actions.server" in Path(f"/proc/{pid}/cmdline").read_bytes()
    return next(c for c in children_of(proc.pid) if is_actions(c) == (name == "actions"))


def ask(rasa_port: int, text: str, timeout: float = 60,
        sender: str | None = None) -> tuple[list, float]:
    started = time.monotonic()
    reply = requests.post(f"http://127.0.0.1:{rasa_port}/webhooks/rest/webhook",
                          json={"sender": sender or uuid.uuid4().hex, "message": text},
                          timeout=timeout)
    reply.raise_for_status()
    return reply.json(), time.monotonic() - started


def kinds(messages: list) -> list:
    return [m["custom"].get("kind") for m in messages if isinstance(m.get("custom"), dict)]


def wait_for_health(url: str, status: str, timeout: float, restarts: dict | None = None) -> dict:
    """The status page once it shows ``status`` (and these restart counts), or at timeout."""
    deadline = time.monotonic() + timeout
    while True:
        body = requests.get(url, timeout=10).json()
        counted = all(body["parts"][name]["restarts"] == n for name, n in (restarts or {}).items())
        if (body["status"] == status and counted) or time.monotonic() > deadline:
            return body
        time.sleep(0.5)


def test_a_dead_or_hung_action_server_is_restarted_while_rasa_keeps_answering(tmp_path):
    proc, rasa_port, health = start_supervisor(
        tmp_path, PAIN_SERVER_HUNG_AFTER_S="6", PAIN_SERVER_RESTART_BACKOFF_S="1",
        PAIN_SERVER_ACTION_TIMEOUT_S="3")
    try:
        assert requests.get(health, timeout=10).json()["status"] == "up"
        rasa = child(proc, "rasa")
        # the server dies (its Sanic worker left behind), then hangs (all its processes)
        for restarts, fault in enumerate((signal.SIGKILL, signal.SIGSTOP), 1):
            actions = child(proc, "actions")
            (os.kill if fault == signal.SIGKILL else os.killpg)(actions, fault)
            messages, seconds = ask(rasa_port, CRISIS)
            assert kinds(messages) == ["crisis"] and seconds < 2, (messages, seconds)
            if fault == signal.SIGSTOP:  # a question waits the action budget, then is told;
                # the same person's crisis, sent meanwhile, does not wait behind it
                person = uuid.uuid4().hex
                with ThreadPoolExecutor(1) as pool:
                    pending = pool.submit(ask, rasa_port, QUESTION, sender=person)
                    time.sleep(0.5)  # the question now holds the person's conversation
                    messages, seconds = ask(rasa_port, CRISIS, sender=person)
                    assert kinds(messages) == ["crisis"] and seconds < 2, (messages, seconds)
                    messages, seconds = pending.result()
                assert kinds(messages) == ["no_answer"], messages
                assert "can't reach my library" in messages[-1]["custom"]["text"]
                assert 2.5 < seconds < 5, seconds
            body = wait_for_health(health, "up", 120, restarts={"actions": restarts})
            assert body["status"] == "up" and body["parts"]["actions"]["restarts"] == restarts
            assert child(proc, "actions") != actions
            assert kinds(ask(rasa_port, QUESTION)[0]) == ["answer"]
            assert child(proc, "rasa") == rasa, "Rasa was restarted with the action server"
        assert body["parts"]["actions"]["restarts"] == 2
        assert proc.poll() is None
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
    log = proc.stdout.read()
    assert "actions exited with code -9" in log and "actions did not answer for 6 s" in log


def test_a_dead_rasa_is_restarted_and_the_action_server_left_alone(tmp_path):
    proc, rasa_port, health = start_supervisor(tmp_path, PAIN_SERVER_RESTART_BACKOFF_S="1")
    try:
        actions, rasa = child(proc, "actions"), child(proc, "rasa")
        os.killpg(rasa, signal.SIGKILL)
        body = wait_for_health(health, "degraded", timeout=10)
        assert body["parts"]["rasa"]["state"] in ("down", "starting"), body
        assert body["parts"]["actions"]["state"] == "up", body
        body = wait_for_health(health, "up", 240, restarts={"rasa": 1})
        assert body["status"] == "up" and body["parts"]["rasa"]["restarts"] == 1, body
        assert kinds(ask(rasa_port, QUESTION)[0]) == ["answer"]
        assert child(proc, "actions") == actions
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0

"""bot.serving.serve's process handling with small stand-in processes (no Rasa, no network)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from bot.serving import serve, stack


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie still has a pid: look at its state
    status = Path(f"/proc/{pid}/status")
    return status.exists() and "\nState:\tZ" not in status.read_text()


def wait_gone(pid: int, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not alive(pid):
            return True
        time.sleep(0.05)
    return False


def test_redact_blanks_text_and_sender_in_json_log_lines() -> None:
    line = json.dumps({"event": "rest.message.received.failure", "text": "my pain is 9/10",
                       "sender_id": "+447700900123", "log_level": "error"})
    redacted = json.loads(stack.redact(line))
    assert redacted["text"] == redacted["sender_id"] == "[redacted]"
    assert redacted["event"] == "rest.message.received.failure"
    assert stack.redact("plain warning line\n") == "plain warning line\n"
    assert stack.redact("[1, 2]\n") == "[1, 2]\n"


def test_redact_cuts_the_tracker_echoed_by_a_failed_action() -> None:
    """rasa_sdk's error body quotes the whole request; Rasa logs it in a traceback."""
    line = ("rasa.utils.endpoints.ClientResponseError: 500, Internal Server Error, "
            "body='b'{\"error\":\"\\'utter_x\\'\",\"request_body\":{\"sender_id\":"
            "\"+447700900123\",\"tracker\":{\"latest_message\":{\"text\":"
            "\"I cannot sleep\"}}}}'\n")
    redacted = stack.redact(line)
    assert "ClientResponseError: 500" in redacted
    assert "447700900123" not in redacted and "cannot sleep" not in redacted
    assert redacted.endswith("\n")


def test_redact_blanks_a_slash_message_rasa_could_not_parse() -> None:
    line = ("/x/rasa/shared/utils/io.py:100: UserWarning: Failed to parse arguments in line "
            "'/my name is Joan, call 07700 900123'. Expected the intent to be one of [...]\n")
    redacted = stack.redact(line)
    assert "Joan" not in redacted and "900123" not in redacted
    assert redacted.startswith("/x/rasa/shared/utils/io.py:100: UserWarning: Failed to parse")
    assert redacted.endswith("[redacted]\n")


def test_redact_blanks_quoted_fields_in_plain_lines() -> None:
    line = """failed for {'text': 'my \\'bad\\' back', "sender_id": "+4477"} and text='x'\n"""
    redacted = stack.redact(line)
    assert "bad" not in redacted and "4477" not in redacted and "'x'" not in redacted
    assert redacted.startswith("failed for {")


def test_redact_blanks_an_unclosed_quoted_value_to_the_end_of_the_line() -> None:
    line = "warning: parse failed for text='I have not slept in days, call me on 07700\n"
    redacted = stack.redact(line)
    assert "07700" not in redacted and "slept" not in redacted
    assert redacted.startswith("warning: parse failed for text=")


def test_redact_blanks_conversation_ids_rasa_names_in_prose() -> None:
    line = ('2026-11-29 03:39:33 ERROR rasa.core.channels.rest - {"exc_value": "Could not '
            "acquire lock for conversation_id 'tg-55501234'.\", \"more\": 1} Tracker with "
            "sender id '+447700900123' stored; for conversation ID 'Joan Smith' waiting\n")
    redacted = stack.redact(line)
    assert "55501234" not in redacted and "447700900123" not in redacted
    assert "Joan" not in redacted and "Could not acquire lock for conversation_id" in redacted
    assert redacted.endswith("waiting\n")


LONG_LINES = [
    '"conversation id \'" + "a" * 200_000 + " sender id \'b" * 50_000',  # ids never closed
    '"x" * 1_000_000',  # no field at all: the old request_body scan was quadratic
    '"text=\'" + "a" * 300_000 + " text=\'b" * 50_000',  # fields, none closed
    '"ERROR " + "{\'sender_id\': \'abc\', " * 40_000',
]


@pytest.mark.parametrize("expression", LONG_LINES)
def test_redact_handles_megabyte_lines_without_stalling(expression: str) -> None:
    """A very long line must not stall the log copier (the supervisor sat at 100% CPU in
    redact() on a 100,000-character message). The regex engine holds the GIL, so it runs
    in a child process that a regression makes time out instead of hanging the suite."""
    code = (f"from bot.serving import stack; line = {expression} + '\\n'; "
            "out = stack.redact(line); print(len(out), 'abc' in out, 'aaaa' in out)")
    done = subprocess.run([sys.executable, "-c", code], cwd=stack.ROOT, capture_output=True,
                          text=True, timeout=30, check=True)
    assert done.stdout.split()[1:] == ["False", "False"]


def test_spawned_output_reaches_the_log_redacted(tmp_path: Path) -> None:
    code = ("import json; print('started'); "
            "print(json.dumps({'event': 'x', 'text': 'hello secret'}))")
    server = stack.spawn("demo", [sys.executable, "-c", code], os.environ, tmp_path, tmp_path)
    server.proc.wait(timeout=30)
    deadline = time.monotonic() + 5
    while "event" not in server.tail() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "started" in server.tail()
    assert "hello secret" not in (tmp_path / "demo.log").read_text()


def test_stop_ends_the_whole_process_group(tmp_path: Path) -> None:
    script = "sleep 300 & echo $! > child.pid; trap '' TERM; sleep 300"
    server = stack.spawn("group", ["bash", "-c", script], os.environ, tmp_path, tmp_path)
    pid_file = tmp_path / "child.pid"
    deadline = time.monotonic() + 10
    while not pid_file.exists() or not pid_file.read_text().strip():
        assert time.monotonic() < deadline
        time.sleep(0.05)
    child = int(pid_file.read_text())
    started = time.monotonic()
    server.stop(timeout=1.0)  # the leader ignores SIGTERM: it gets SIGKILL after 1 s
    assert time.monotonic() - started < 10
    assert server.proc.returncode is not None
    assert wait_gone(child), "grandchild survived stop()"


def test_children_die_with_the_supervisor(tmp_path: Path) -> None:
    """Even a SIGKILLed supervisor leaves no orphans behind."""
    script = textwrap.dedent(f"""
        import os, signal, sys
        sys.path.insert(0, {str(stack.ROOT)!r})
        from pathlib import Path
        from bot.serving import stack
        s = stack.spawn("sleeper", ["sleep", "300"], os.environ, Path({str(tmp_path)!r}))
        print(s.proc.pid, flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         timeout=60)
    pid = int(out.stdout.split()[0])
    assert wait_gone(pid), "child outlived its killed supervisor"


def test_wait_until_up_reports_a_dead_server_with_its_log(tmp_path: Path) -> None:
    code = "print('model file is corrupt'); raise SystemExit(3)"
    server = stack.spawn("rasa", [sys.executable, "-c", code], os.environ, tmp_path, tmp_path)
    url = f"http://127.0.0.1:{stack.free_port()}/"
    with pytest.raises(stack.StackError, match="exited with code 3") as info:
        stack.wait_until_up([(url, server)], timeout=60)
    assert "model file is corrupt" in str(info.value)


def test_wait_until_up_gives_up_after_the_timeout(tmp_path: Path) -> None:
    server = stack.spawn("slow", ["sleep", "300"], os.environ, tmp_path, tmp_path)
    try:
        with pytest.raises(stack.StackError, match="did not answer"):
            stack.wait_until_up([(f"http://127.0.0.1:{stack.free_port()}/", server)], 1.0)
    finally:
        server.stop()


def test_start_stack_without_a_model_says_what_to_run(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("RASA_MODEL_DIR", str(tmp_path / "no-models"))
    with pytest.raises(stack.StackError, match="make model"):
        stack.start_stack(stack.free_port(), stack.free_port(), tmp_path)


def test_paths_come_from_the_makefile_variables(monkeypatch) -> None:
    env = {"RASA_MODEL_DIR": "/m", "RASA_MODEL_NAME": "x", "RASA_ENDPOINTS": "e.yml",
           "RASA_CREDENTIALS": "/c.yml"}
    paths = stack.rasa_paths(env)
    assert paths["model"] == Path("/m/x.tar.gz")
    assert paths["endpoints"] == stack.ROOT / "e.yml"
    assert paths["credentials"] == Path("/c.yml")
    defaults = stack.rasa_paths({})
    assert defaults["model"] == stack.ROOT / "models" / "pain-assistant.tar.gz"
    assert defaults["endpoints"] == stack.ROOT / "bot" / "endpoints.yml"


def test_channel_urls_list_configured_channels(tmp_path: Path) -> None:
    creds = tmp_path / "credentials.yml"
    creds.write_text("rest:\nsocketio:\n  session_persistence: true\ntelegram:\n"
                     "  access_token: x\n")
    (tmp_path / "bot" / "web").mkdir(parents=True)
    urls = dict(serve.channel_urls("http://localhost:5005", creds, tmp_path))
    assert urls["REST webhook"] == "http://localhost:5005/webhooks/rest/webhook"
    creds.write_text("bot.channels.rest.RestChannel:\n")  # the shipped REST channel
    assert dict(serve.channel_urls("http://x", creds, tmp_path))["REST webhook"] == \
        "http://x/webhooks/rest/webhook"
    creds.write_text("rest:\nsocketio:\n  session_persistence: true\ntelegram:\n"
                     "  access_token: x\n")
    urls = dict(serve.channel_urls("http://localhost:5005", creds, tmp_path))
    assert urls["socket.io"] == "http://localhost:5005/socket.io/"
    assert urls["telegram"] == "http://localhost:5005/webhooks/telegram/webhook"
    assert urls["web widget demo"] == "http://localhost:5005/webhooks/web/demo"
    assert urls["kiosk"] == "http://localhost:5005/webhooks/web/kiosk"


def test_api_without_a_token_refuses_to_start(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "RASA_API_TOKEN"}
    env.update(PAIN_SERVER_ENABLE_API="true", PAIN_SERVER_DATA_DIR=str(tmp_path))
    out = subprocess.run([sys.executable, "-m", "bot.serving.serve", "--rasa-port",
                          str(stack.free_port()), "--action-port", str(stack.free_port())],
                         cwd=stack.ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 2, out
    assert "RASA_API_TOKEN" in out.stderr
    assert "Starting" not in out.stdout


def test_review_page_on_without_its_login_refuses_to_start(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAIN_REVIEW_")}
    env.update(PAIN_REVIEW_PAGE="on", PAIN_REVIEW_USERNAME="clinician",
               PAIN_SERVER_DATA_DIR=str(tmp_path))
    out = subprocess.run([sys.executable, "-m", "bot.serving.serve", "--rasa-port",
                          str(stack.free_port()), "--action-port", str(stack.free_port())],
                         cwd=stack.ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 2, out
    assert "review.password_hash" in out.stderr
    assert "Starting" not in out.stdout


def test_start_warns_loudly_without_a_country(monkeypatch, capsys) -> None:
    from bot import settings

    monkeypatch.setenv("PAIN_SAFETY_COUNTRY", "")
    settings.get.cache_clear()
    serve.warn_about_helplines()
    assert "safety.country is not set" in capsys.readouterr().err
    monkeypatch.setenv("PAIN_SAFETY_COUNTRY", "GB")
    settings.get.cache_clear()
    serve.warn_about_helplines()
    assert capsys.readouterr().err == ""
    settings.get.cache_clear()


def test_allowed_origins_come_from_the_settings_and_never_everyone() -> None:
    assert serve.allowed_origins({}) == []
    assert serve.allowed_origins({"allowed_origins": ["https://a.example"]}) == [
        "https://a.example"]
    assert serve.allowed_origins({"allowed_origins": "https://a.example https://b.example"}) \
        == ["https://a.example", "https://b.example"]  # from PAIN_SERVER_ALLOWED_ORIGINS
    with pytest.raises(SystemExit, match="refused"):
        serve.allowed_origins({"allowed_origins": ["*"]})

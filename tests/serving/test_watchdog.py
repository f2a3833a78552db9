"""bot.serving.watchdog with small stand-in servers (python -m http.server on loopback)."""

from __future__ import annotations

import json
import os
import signal
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.serving import stack, watchdog

OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback only


def web_server(name: str, tmp_path: Path) -> tuple[stack.Server, str]:
    port = stack.free_port()
    server = stack.spawn(name, [sys.executable, "-m", "http.server", str(port), "--bind",
                                "127.0.0.1", "--directory", str(tmp_path)],
                         os.environ, tmp_path / "logs", tmp_path)
    url = f"http://127.0.0.1:{port}/"
    stack.wait_until_up([(url, server)], timeout=30)
    return server, url


@pytest.fixture()
def two(tmp_path: Path) -> Iterator[list[watchdog.Watched]]:
    items = [watchdog.Watched(*web_server(name, tmp_path)) for name in ("actions", "rasa")]
    yield items
    for item in items:
        item.server.stop(timeout=2)


def run_until(dog: watchdog.Watchdog, done, timeout: float) -> None:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < deadline, dog.status()
        dog.check()
        time.sleep(0.1)


def test_a_dead_server_is_restarted_and_the_other_left_alone(two) -> None:
    lines: list[str] = []
    dog = watchdog.Watchdog(two, backoff_s=0.5, hung_after_s=5, log=lines.append)
    actions, rasa = two
    rasa_pid, old_pid = rasa.server.proc.pid, actions.server.proc.pid
    actions.server.proc.kill()
    actions.server.proc.wait()
    dog.check()
    assert dog.status() == {"status": "degraded", "parts": {
        "actions": {"state": "down", "restarts": 0}, "rasa": {"state": "up", "restarts": 0}}}
    run_until(dog, lambda: dog.status()["status"] == "up", timeout=30)
    assert actions.server.proc.pid != old_pid and actions.restarts == 1
    assert rasa.server.proc.pid == rasa_pid and rasa.restarts == 0
    assert "actions exited with code -9; restarting it in 0 s" in lines[0]
    assert lines[1] == "actions restarted (restart 1)."


def test_a_hung_server_is_killed_and_restarted(two) -> None:
    dog = watchdog.Watchdog(two, backoff_s=0.5, hung_after_s=3, start_timeout_s=3,
                            log=lambda _line: None)
    actions, rasa = two
    old = actions.server
    os.kill(old.proc.pid, signal.SIGSTOP)  # alive, but answers nothing
    started = time.monotonic()
    run_until(dog, lambda: actions.state == "down", timeout=20)
    assert time.monotonic() - started >= 3  # not before hung_after_s
    assert old.proc.poll() is not None  # the hung one was killed
    run_until(dog, lambda: dog.status()["status"] == "up", timeout=30)
    assert actions.restarts == 1 and rasa.restarts == 0


def test_a_silent_but_busy_server_is_given_longer_before_a_restart(tmp_path: Path) -> None:
    """The last replica standing, swamped, answers its health check late; killing it
    would leave nothing. It is restarted only after BUSY_FACTOR times hung_after_s."""
    busy = stack.spawn("rasa", [sys.executable, "-c", "while True: pass"], os.environ,
                       tmp_path, tmp_path)  # burns CPU, answers nothing
    now = [100.0]
    item = watchdog.Watched(busy, f"http://127.0.0.1:{stack.free_port()}/")
    dog = watchdog.Watchdog([item], hung_after_s=3, start_timeout_s=3,
                            log=lambda _line: None, clock=lambda: now[0])
    try:
        for _ in range(int(3 * watchdog.BUSY_FACTOR) - 1):
            time.sleep(0.15)  # real CPU time passes between checks
            now[0] += 1.0
            dog.check()
            assert item.state == "up", f"restarted after {now[0] - 100:.0f} s of being busy"
        now[0] += 2.0
        time.sleep(0.15)
        dog.check()
        assert item.state == "down" and busy.proc.poll() is not None
    finally:
        busy.stop(timeout=2)


def test_restarts_in_a_row_back_off_and_an_answer_resets_it(tmp_path: Path) -> None:
    crasher = stack.spawn("actions", [sys.executable, "-c", "raise SystemExit(2)"],
                          os.environ, tmp_path, tmp_path)
    crasher.proc.wait()
    now = [100.0]
    item = watchdog.Watched(crasher, f"http://127.0.0.1:{stack.free_port()}/")
    dog = watchdog.Watchdog([item], backoff_s=1, backoff_max_s=4, hung_after_s=10,
                            log=lambda _line: None, clock=lambda: now[0])
    waits = []
    for _ in range(4):
        dog.check()  # it has exited: down, restart scheduled
        assert item.state == "down"
        waits.append(item.restart_at - now[0])
        now[0] = item.restart_at
        dog.check()  # restarted (and exits again at once)
        item.server.proc.wait()
    assert waits == [1, 2, 4, 4]
    assert [dog.backoff(n) for n in (1, 2, 3, 9)] == [1, 2, 4, 4]


def test_settings_are_checked_when_the_watchdog_is_built() -> None:
    with pytest.raises(ValueError, match="back-off"):
        watchdog.Watchdog([], backoff_s=10, backoff_max_s=5)
    with pytest.raises(ValueError, match="hung_after_s"):
        watchdog.Watchdog([], hung_after_s=1)


def test_health_page_says_which_part_is_down(two) -> None:
    dog = watchdog.Watchdog(two, backoff_s=60, log=lambda _line: None)
    port = stack.free_port()
    page = watchdog.serve_health(dog, port)
    try:
        url = f"http://127.0.0.1:{port}/health"
        dog.check()
        assert stack.http(url)["status"] == "up"
        two[1].server.proc.kill()
        two[1].server.proc.wait()
        dog.check()
        with pytest.raises(urllib.error.HTTPError) as info:
            OPENER.open(url, timeout=5)
        assert info.value.code == 503
        body = json.loads(info.value.read())
        assert body["parts"]["rasa"]["state"] == "down"
        assert body["parts"]["actions"]["state"] == "up"
        with pytest.raises(urllib.error.HTTPError, match="404"):
            OPENER.open(f"http://127.0.0.1:{port}/", timeout=5)
    finally:
        page.shutdown()

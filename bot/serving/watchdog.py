"""Keeps the stack's servers up: a server that exits or stops answering is restarted.

The supervisor (``bot.serving.serve``) calls ``Watchdog.check()`` about twice a second. A
server that has exited is started again after a back-off that doubles with each
restart in a row (``backoff_s`` up to ``backoff_max_s``) and resets once the server has
answered its health check; a server whose health check has not answered for
``hung_after_s`` is killed and restarted the same way (a server just started gets
``start_timeout_s`` to answer first: Rasa loads its model for a while). A server that is
silent but still using CPU is busy, not hung (a replica left alone with all the load
answers its health check late): it is given ``BUSY_FACTOR`` times as long, so the
watchdog never finishes off the last replica standing. The other server is never
touched, so Rasa keeps giving the safety replies while the action server is down.
``status()`` is what ``/health`` shows. Never imports Rasa.
"""

from __future__ import annotations

import json
import socket
import sys
import threading
import time
import urllib.error
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Literal

from bot.serving import processes
from bot.serving.stack import Server, http

State = Literal["up", "starting", "down"]
PROBE_TIMEOUT_S = 2.0
BUSY_FACTOR = 4  # a silent server still using CPU gets this many times hung_after_s
CPU_PROGRESS_S = 0.05  # CPU seconds between checks that count as working


@dataclass
class Watched:
    """One server under watch, with the URL that says it is serving."""

    server: Server
    health_url: str  # http://... answers a GET; tcp://host:port accepts a connection
    state: State = "up"
    restarts: int = 0  # in this run of the supervisor
    in_a_row: int = 0  # restarts since it last answered
    last_answer: float = 0.0  # monotonic time of the last answered health check
    last_progress: float = 0.0  # when its processes were last seen using CPU
    cpu: float = 0.0  # CPU seconds its processes had used at that check
    restart_at: float | None = None  # when a down server is started again


class Watchdog:
    """Restarts dead or hung servers with back-off; settings are checked when built."""

    def __init__(self, watched: list[Watched], backoff_s: float = 1.0,
                 backoff_max_s: float = 60.0, hung_after_s: float = 30.0,
                 start_timeout_s: float = 240.0, log: Callable[[str], None] = print,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if not 0 < backoff_s <= backoff_max_s:
            raise ValueError(f"restart back-off must be 0 < {backoff_s} <= {backoff_max_s}")
        if hung_after_s <= PROBE_TIMEOUT_S:
            raise ValueError(f"hung_after_s must exceed the {PROBE_TIMEOUT_S} s probe timeout")
        self.watched = watched
        self.backoff_s, self.backoff_max_s = backoff_s, backoff_max_s
        self.hung_after_s, self.start_timeout_s = hung_after_s, max(start_timeout_s, hung_after_s)
        self._log, self._clock = log, clock
        self._lock = threading.Lock()
        now = clock()
        for item in watched:
            item.last_answer = item.last_progress = now

    @classmethod
    def from_settings(cls, watched: list[Watched], server_cfg: dict) -> Watchdog:
        """A watchdog with the ``server`` settings' timings, logging to stderr."""
        return cls(watched,
                   backoff_s=float(server_cfg.get("restart_backoff_s", 1.0)),
                   backoff_max_s=float(server_cfg.get("restart_backoff_max_s", 60.0)),
                   hung_after_s=float(server_cfg.get("hung_after_s", 30.0)),
                   log=lambda line: print(line, file=sys.stderr, flush=True))

    def backoff(self, in_a_row: int) -> float:
        """Seconds to wait before the ``in_a_row``-th restart in a row (1-based)."""
        return min(self.backoff_max_s, self.backoff_s * 2 ** max(0, in_a_row - 1))

    def check(self) -> None:
        """One round: probe each server, and stop or start the ones that need it."""
        for item in self.watched:
            self._check_one(item)

    def _check_one(self, item: Watched) -> None:
        now = self._clock()
        if item.state == "down":
            if item.restart_at is not None and now >= item.restart_at:
                self._restart(item)
            return
        if item.server.proc.poll() is not None:
            item.server.stop(timeout=5.0)  # its workers may outlive it, holding the port
            self._down(item, f"exited with code {item.server.proc.returncode}")
            return
        if self._answers(item.health_url):
            with self._lock:
                item.state, item.in_a_row, item.last_answer = "up", 0, now
            return
        limit = self.start_timeout_s if item.state == "starting" else self.hung_after_s
        cpu = processes.cpu_seconds(item.server.proc.pid)
        if cpu - item.cpu >= CPU_PROGRESS_S:
            item.cpu, item.last_progress = cpu, now
        silent = now - item.last_answer
        stuck = now - max(item.last_answer, item.last_progress)
        if stuck > limit or silent > BUSY_FACTOR * limit:
            item.server.stop(timeout=5.0)
            self._down(item, f"did not answer for {limit:.0f} s" if stuck > limit else
                       f"did not answer for {BUSY_FACTOR * limit:.0f} s, busy all that time")

    def _down(self, item: Watched, why: str) -> None:
        with self._lock:
            item.state = "down"
            item.in_a_row += 1
            wait = self.backoff(item.in_a_row)
            item.restart_at = self._clock() + wait
        self._log(f"{item.server.name} {why}; restarting it in {wait:.0f} s "
                  f"(log: {item.server.log}):\n{item.server.tail(10)}")

    def _restart(self, item: Watched) -> None:
        server = item.server.respawn()
        with self._lock:
            item.server, item.state, item.restart_at = server, "starting", None
            item.restarts += 1
            item.last_answer = self._clock()  # it gets start_timeout_s to come up
            item.last_progress, item.cpu = item.last_answer, 0.0
        self._log(f"{server.name} restarted (restart {item.restarts}).")

    @staticmethod
    def _answers(url: str) -> bool:
        """An HTTP URL answers a GET; a ``tcp://host:port`` one accepts a connection
        (PostgreSQL, Redis)."""
        try:
            if url.startswith("tcp://"):
                host, port = url[len("tcp://"):].rsplit(":", 1)
                socket.create_connection((host, int(port)), timeout=PROBE_TIMEOUT_S).close()
            else:
                http(url, timeout=PROBE_TIMEOUT_S)
        except (OSError, urllib.error.URLError, ValueError):
            return False
        return True

    def status(self) -> dict[str, object]:
        """``{"status": "up" | "degraded", "parts": {name: {state, restarts}}}``."""
        with self._lock:
            parts = {item.server.name: {"state": item.state, "restarts": item.restarts}
                     for item in self.watched}
        up = all(part["state"] == "up" for part in parts.values())
        return {"status": "up" if up else "degraded", "parts": parts}

    def pids(self) -> list[int]:
        """The current process ids of the watched servers."""
        return [item.server.proc.pid for item in self.watched]


def serve_health(watchdog: Watchdog, port: int, host: str = "127.0.0.1") -> ThreadingHTTPServer:
    """Serve ``GET /health`` (200 when every part is up, else 503, with ``status()`` as
    JSON) on ``host:port`` from a daemon thread; ``shutdown()`` the result to stop."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the http.server interface
            if self.path.split("?")[0] != "/health":
                self.send_error(404)
                return
            status = watchdog.status()
            body = json.dumps(status).encode()
            self.send_response(200 if status["status"] == "up" else 503)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:  # no access log: nothing to keep
            return

    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server

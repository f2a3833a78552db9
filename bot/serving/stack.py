"""The two servers as one stack: start on given ports, wait until healthy, stop cleanly.

Used by the supervisor (``bot.serving.serve``, what ``make run`` ends with), the integration and
browser tests, and the benchmarks, so there is one way to run the stack. Never imports
Rasa: the Rasa server runs from ``.venv-rasa`` as a child process. Child output goes to
log files with what people wrote (and their ids) blanked out.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from bot import settings
from bot.serving import retention

ROOT = settings.REPO_ROOT
WARMUP_QUESTION = "How does pain work?"
RETENTION_EVERY_S = 3600.0
# Fields of Rasa's structured log lines that can hold what a person wrote or who they are.
REDACTED_KEYS = frozenset({
    "text", "response_text", "user_text", "message", "user_message", "json_message",
    "parse_data_text", "parse_data_entities", "slot_values", "tracker_latest_message",
    "sender_id", "conversation_id", "rasa_event", "rasa_events", "prediction_events",
    "entity", "token_text", "tracker_states", "current_states", "states"})
_REQUEST_BODY = re.compile(r"\\?[\"']request_body\b")
# Rasa's warning about a "/intent" message it cannot parse quotes the whole message
_UNPARSED_LINE = re.compile(r"(Failed to parse arguments in line ).*")
# a quoted value that is never closed is blanked to the end of the line: the match
# always succeeds once started, so the scan stays linear in the line's length
_QUOTED_FIELD = re.compile(
    r"(\b(?:" + "|".join(sorted(REDACTED_KEYS)) + r")\W{0,3}[:=]\s*)"
    r"(\"(?:[^\"\\]|\\.)*(?:\"|\\?$)|'(?:[^'\\]|\\.)*(?:'|\\?$))")
# Rasa's own prose names conversations ("Could not acquire lock for conversation_id 'x'",
# "sender id 'x'"); same always-succeeding quoted tail as above
_ID_IN_PROSE = re.compile(r"(\b(?:conversation|sender)(?:[ _]id)?\s+)'[^'\n]*(?:'|$)",
                          re.IGNORECASE)
# The largest request body Rasa accepts (Sanic answers 413 above it): far above any real
# channel's message (Telegram's 4,096 characters, JSON-escaped, are under 25 KiB), far
# below the megabyte bodies that took a whole Rasa process down. The action server, which
# receives whole trackers, is not limited.
MAX_BODY_BYTES = 64 * 1024
_HTTP = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback only


class StackError(RuntimeError):
    """A server would not start, or stopped on its own."""


@dataclass
class Server:
    """One child process in its own process group, logging to ``log``."""

    name: str
    proc: subprocess.Popen
    log: Path
    copier: threading.Thread | None = None
    cmd: list[str] = field(default_factory=list)  # how it was started, to start it again
    env: dict[str, str] = field(default_factory=dict, repr=False)
    root: Path = ROOT
    user: str | None = None  # the account it runs as (PostgreSQL refuses root)

    def respawn(self) -> Server:
        """The same command started again (its log goes on in the same file)."""
        return spawn(self.name, self.cmd, self.env, self.log.parent, self.root, self.user)

    def tail(self, lines: int = 25) -> str:
        """The last lines of this server's log; once the process has exited, everything
        it printed is in the log before this reads it."""
        if self.copier is not None and self.proc.poll() is not None:
            self.copier.join(timeout=5)
        text = self.log.read_text(encoding="utf-8", errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM the whole process group, then SIGKILL what is left after ``timeout``."""
        self._signal(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=timeout)
        self._signal(signal.SIGKILL)  # a hung leader, or stragglers that outlived it
        self.proc.wait()

    def _signal(self, sig: int) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, sig)


@dataclass
class Stack:
    """The running servers; ``stop()`` ends them all (also via ``with``)."""

    rasa_url: str
    action_url: str
    servers: list[Server]
    data_dir: Path
    tracker_db: Path | None
    warm_up_kinds: list[str | None] = field(default_factory=list)  # kinds the warm-up got

    @property
    def webhook(self) -> str:
        return f"{self.rasa_url}/webhooks/rest/webhook"

    def health_urls(self) -> dict[str, str]:
        """For each server, a URL that answers while it is serving."""
        actions = self.action_url.rsplit("/webhook", 1)[0] + "/health"
        return {"actions": actions, "rasa": f"{self.rasa_url}/"}

    def stop(self) -> None:
        for server in reversed(self.servers):
            server.stop()

    def __enter__(self) -> Stack:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rasa_paths(environ: Mapping[str, str] = os.environ, root: Path = ROOT) -> dict[str, Path]:
    """Model, endpoints and credentials, named by the Makefile's variables."""
    def path(value: str) -> Path:
        return Path(value) if Path(value).is_absolute() else root / value
    model = Path(environ.get("RASA_MODEL_DIR", "models")) / (
        environ.get("RASA_MODEL_NAME", "pain-assistant") + ".tar.gz")
    return {"model": path(str(model)),
            "endpoints": path(environ.get("RASA_ENDPOINTS", "bot/endpoints.yml")),
            "credentials": path(environ.get("RASA_CREDENTIALS", "bot/credentials.yml")),
            "rasa": path(environ.get("RASA_BIN", ".venv-rasa/bin/rasa"))}


def http(url: str, payload: object | None = None, timeout: float = 30.0) -> object:
    """GET (or POST ``payload`` as JSON) and return the decoded JSON or text."""
    data = None if payload is None else json.dumps(payload).encode()
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    with _HTTP.open(request, timeout=timeout) as response:
        body = response.read().decode()
    try:
        return json.loads(body)
    except ValueError:
        return body


LIBRARY_ENV = ("PAIN_KNOWLEDGE_CORPUS_DIR", "PAIN_KNOWLEDGE_INDEX_DIR")


@contextlib.contextmanager
def serving_library(corpus_dir: Path, index_dir: Path) -> Iterator[None]:
    """Stacks started inside serve this library (its corpus and a current index of it)
    instead of the clinic's; the environment is restored afterwards."""
    saved = {key: os.environ.get(key) for key in LIBRARY_ENV}
    os.environ.update(dict(zip(LIBRARY_ENV, (str(corpus_dir), str(index_dir)), strict=True)))
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def child_env(data_dir: Path, action_url: str) -> dict[str, str]:
    """The environment both servers share; the data dir reaches settings and endpoints."""
    env = dict(os.environ, RASA_TELEMETRY_ENABLED="false", HF_HUB_OFFLINE="1",
               TRANSFORMERS_OFFLINE="1", ACTION_SERVER_URL=action_url,
               PAIN_SERVER_DATA_DIR=str(data_dir), PAIN_TRACKER_DB=str(data_dir / "tracker.db"),
               PYTHONDONTWRITEBYTECODE="1",
               LOG_LEVEL="WARNING", LOG_LEVEL_LIBRARIES="ERROR", TF_CPP_MIN_LOG_LEVEL="2",
               SQLALCHEMY_SILENCE_UBER_WARNING="1", PYTHONUNBUFFERED="1",
               PYTHONWARNINGS="ignore::DeprecationWarning")
    env.pop("RASA_API_TOKEN", None)  # passed on the command line only when the API is on
    return env


def redact(line: str) -> str:
    """A log line with message text and sender ids blanked.

    Rasa logs JSON lines (fields blanked by name); tracebacks of a failed custom action
    quote the action server's error body, which echoes the whole tracker: everything
    from ``request_body`` to the end of the line goes, and so does any quoted value of
    a sensitive field, a conversation id Rasa names in prose ("conversation_id 'x'"), and
    whatever follows Rasa's "Failed to parse arguments in line" (a "/" message it could
    not read as an intent). Linear in the line's length (a
    megabyte line takes milliseconds).
    """
    try:
        event = json.loads(line)
    except ValueError:
        event = None
    if isinstance(event, dict):
        for key in REDACTED_KEYS.intersection(event):
            event[key] = "[redacted]"
        return json.dumps(event) + "\n"
    line = _UNPARSED_LINE.sub(r"\1[redacted]", line)
    body = _REQUEST_BODY.search(line)
    if body is not None:
        line = line[:body.start()] + '"request_body": "[redacted]"\n'
    line = _ID_IN_PROSE.sub(r"\1'[redacted]'", line)
    return _QUOTED_FIELD.sub(r'\1"[redacted]"', line)


def _copy_redacted(pipe: IO[bytes], log: Path) -> None:
    with pipe, log.open("a", encoding="utf-8") as out:
        for raw in pipe:
            out.write(redact(raw.decode("utf-8", errors="replace")))
            out.flush()


def _die_with_parent() -> None:
    """In the child: get SIGTERM if the supervisor dies, so nothing is orphaned (Linux)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def spawn(name: str, cmd: list[str], env: Mapping[str, str], log_dir: Path,
          root: Path = ROOT, user: str | None = None) -> Server:
    """Start ``cmd`` in its own process group (as ``user``, when given and we are root);
    its output goes, redacted, to ``log_dir/name.log``."""
    log_dir.mkdir(parents=True, exist_ok=True)
    log = log_dir / f"{name}.log"
    proc = subprocess.Popen(cmd, cwd=root, env=dict(env), stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True, preexec_fn=_die_with_parent, user=user)
    copier = threading.Thread(target=_copy_redacted, args=(proc.stdout, log), daemon=True)
    copier.start()
    return Server(name, proc, log, copier, list(cmd), dict(env), root, user)


def spawn_action_server(port: int, env: Mapping[str, str], log_dir: Path,
                        root: Path = ROOT, name: str = "actions") -> Server:
    """The action server (``actions.server``: rasa_sdk's, with private errors) on
    127.0.0.1:``port``, one thread for numerical libraries."""
    return spawn(name, [sys.executable, "-m", "actions.server", "--port", str(port)],
                 dict(env, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", SANIC_HOST="127.0.0.1"),
                 log_dir, root)


def wait_until_up(checks: list[tuple[str, Server]], timeout: float) -> None:
    """Poll each URL until it answers; raise StackError if its server exits or time runs out."""
    deadline = time.monotonic() + timeout
    for url, server in checks:
        while True:
            if server.proc.poll() is not None:
                raise StackError(f"{server.name} exited with code {server.proc.returncode}; "
                                 f"last log lines ({server.log}):\n{server.tail()}")
            try:
                http(url, timeout=5)
                break
            except (OSError, urllib.error.URLError):
                if time.monotonic() > deadline:
                    raise StackError(f"{server.name} did not answer {url} within {timeout:.0f} s;"
                                     f" last log lines ({server.log}):\n{server.tail()}") from None
                time.sleep(0.25)


def start_stack(rasa_port: int, action_port: int, data_dir: Path, *, action_server: bool = True,
                action_url: str | None = None, interface: str = "127.0.0.1",
                cors: Sequence[str] = (), api_token: str | None = None, root: Path = ROOT,
                timeout: float = 240.0, warm_up: bool = True) -> Stack:
    """Start the action server (unless ``action_server`` is False) and Rasa (allowing
    the browser origins in ``cors`` to call it; none by default), wait until both
    answer, and warm the knowledge layer up with one question. On failure nothing is
    left running."""
    paths = rasa_paths(root=root)
    for what in ("model", "endpoints", "credentials", "rasa"):
        if not paths[what].exists():
            raise StackError(f"{what} not found at {paths[what]} (run `make model`)")
    data_dir = Path(data_dir).resolve()
    log_dir = data_dir / "logs"
    action_url = action_url or f"http://127.0.0.1:{action_port}/webhook"
    env = child_env(data_dir, action_url)
    host = "127.0.0.1" if interface in ("0.0.0.0", "::", "") else interface
    stack = Stack(f"http://{host}:{rasa_port}", action_url, [], data_dir,
                  retention.tracker_db_path(paths["endpoints"], root, env))
    try:
        checks = []
        if action_server:
            actions = spawn_action_server(action_port, env, log_dir, root)
            stack.servers.append(actions)
            checks.append((f"http://127.0.0.1:{action_port}/health", actions))
        rasa = spawn("rasa", rasa_command(paths, interface, rasa_port, cors, api_token),
                     dict(env, SANIC_REQUEST_MAX_SIZE=str(MAX_BODY_BYTES)), log_dir, root)
        stack.servers.append(rasa)
        checks += [(f"{stack.rasa_url}/", rasa), (f"{stack.rasa_url}/webhooks/rest/", rasa)]
        wait_until_up(checks, timeout)
        if warm_up:
            sender = f"warmup-{uuid.uuid4().hex}"
            stack.warm_up_kinds = ask_warm_up(stack.webhook, sender, stack.servers, timeout)
            if stack.tracker_db:
                retention.forget_sender(stack.tracker_db, sender)
    except BaseException:
        stack.stop()
        raise
    return stack


def rasa_command(paths: Mapping[str, Path], interface: str, port: int,
                 cors: Sequence[str] = (), api_token: str | None = None) -> list[str]:
    """``rasa run`` with the model, endpoints and credentials in ``paths``."""
    api = ["--enable-api", "--auth-token", api_token] if api_token else []
    return [str(paths["rasa"]), "run", "--model", str(paths["model"]),
            "--endpoints", str(paths["endpoints"]), "--credentials", str(paths["credentials"]),
            "--interface", interface, "--port", str(port),
            *(["--cors", *cors] if cors else []), "--quiet", *api]


def ask_warm_up(webhook: str, sender: str, servers: Sequence[Server],
                timeout: float) -> list[str | None]:
    """Ask the warm-up question as ``sender``; the kinds of reply it got (StackError
    when it failed or got nothing, which means Rasa has no model loaded)."""
    try:
        reply = http(webhook, {"sender": sender, "message": WARMUP_QUESTION}, timeout=timeout)
    except OSError as exc:
        raise StackError(f"the warm-up question failed ({exc}); last log lines:\n"
                         + "\n".join(s.tail(10) for s in servers)) from exc
    if not reply:  # Rasa answers HTTP without a model, but then says nothing
        raise StackError("Rasa answered the warm-up question with nothing (was its "
                         "model loaded?); last log lines:\n"
                         + "\n".join(s.tail(10) for s in servers))
    return [m["custom"].get("kind") for m in reply
            if isinstance(m, dict) and isinstance(m.get("custom"), dict)]

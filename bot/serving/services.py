"""PostgreSQL and Redis from the distribution's packages, run on loopback for the
scale-out profile on one machine (``bot.serving.cluster``).

``apt-get install postgresql redis-server nginx-light`` (as root) provides them; each runs
as a child process of the cluster supervisor, in its own folder, on the port it is
given, listening on 127.0.0.1 only. PostgreSQL refuses to run as root, so when we are
root it runs as the ``postgres`` account the package created (its folder must be
reachable by that account: a folder under ``/tmp`` or ``/var/lib`` is). Never imports
Rasa.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import time
from pathlib import Path

from bot.serving.stack import Server, StackError, spawn

POSTGRES_ACCOUNT = "postgres"
PACKAGES = "postgresql redis-server nginx-light"
DATABASE = "pain"


def postgres_bin(name: str) -> Path:
    """A PostgreSQL server program from the newest installed major version."""
    for folder in sorted(Path("/usr/lib/postgresql").glob("*/bin"),
                         key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
                         reverse=True):
        if (folder / name).is_file():
            return folder / name
    found = shutil.which(name)
    if found:
        return Path(found)
    raise StackError(f"PostgreSQL's {name} not found: apt-get install {PACKAGES}")


def _account() -> str | None:
    """The account PostgreSQL runs as: ``postgres`` when we are root, else ourselves."""
    return POSTGRES_ACCOUNT if os.geteuid() == 0 else None


def _run_as(account: str | None, cmd: list[str], what: str) -> None:
    done = subprocess.run(cmd, user=account, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise StackError(f"{what} failed ({done.returncode}): {done.stderr.strip()[-800:]}")


def init_postgres(folder: Path) -> None:
    """An empty PostgreSQL cluster in ``folder`` (kept if one is there), trusting local
    connections only: it listens on 127.0.0.1 and its own socket folder."""
    if (folder / "PG_VERSION").is_file():
        return
    folder.mkdir(parents=True, exist_ok=True)
    account = _account()
    if account:
        entry = pwd.getpwnam(account)
        os.chown(folder, entry.pw_uid, entry.pw_gid)
    folder.chmod(0o700)
    _run_as(account, [str(postgres_bin("initdb")), "-D", str(folder), "-U", "postgres",
                      "--auth=trust", "-E", "UTF8", "--no-instructions"],
            f"initdb in {folder} (it must be reachable by the {account or 'current'} account)")


def start_postgres(folder: Path, port: int, log_dir: Path) -> Server:
    """PostgreSQL on 127.0.0.1:``port`` with its data in ``folder``."""
    init_postgres(folder)
    return spawn("postgres", [str(postgres_bin("postgres")), "-D", str(folder), "-p", str(port),
                              "-c", "listen_addresses=127.0.0.1",
                              "-c", f"unix_socket_directories={folder}",
                              "-c", "max_connections=300", "-c", "log_min_messages=warning",
                              # never a statement in the log: it would carry messages
                              "-c", "log_statement=none", "-c", "log_min_error_statement=panic"],
                 os.environ, log_dir, user=_account())


def create_database(port: int, name: str = DATABASE, timeout: float = 60.0) -> None:
    """Wait for PostgreSQL on ``port`` and create database ``name`` unless it exists."""
    psql = [shutil.which("psql") or "psql", "-h", "127.0.0.1", "-p", str(port),
            "-U", "postgres", "-v", "ON_ERROR_STOP=1", "-Atq"]
    deadline = time.monotonic() + timeout
    while True:
        done = subprocess.run([*psql, "-c", f"SELECT 1 FROM pg_database WHERE datname='{name}'"],
                              capture_output=True, text=True, check=False)
        if done.returncode == 0:
            break
        if time.monotonic() > deadline:
            raise StackError(f"PostgreSQL on port {port} did not answer: {done.stderr.strip()}")
        time.sleep(0.25)
    if done.stdout.strip() != "1":
        _run_as(None, [*psql, "-c", f'CREATE DATABASE "{name}"'], f"creating database {name}")


def start_redis(folder: Path, port: int, log_dir: Path) -> Server:
    """Redis on 127.0.0.1:``port``, in memory only (locks and delivery ids are transient)."""
    folder.mkdir(parents=True, exist_ok=True)
    binary = shutil.which("redis-server")
    if binary is None:
        raise StackError(f"redis-server not found: apt-get install {PACKAGES}")
    return spawn("redis", [binary, "--port", str(port), "--bind", "127.0.0.1",
                           "--save", "", "--appendonly", "no", "--dir", str(folder),
                           "--protected-mode", "yes", "--loglevel", "warning"],
                 os.environ, log_dir)


def answers_tcp(port: int, timeout: float = 1.0) -> bool:
    """Whether something accepts connections on 127.0.0.1:``port``."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout):
            return True
    except OSError:
        return False


def wait_for_port(server: Server, port: int, timeout: float = 60.0) -> None:
    """Until ``server`` accepts connections on ``port`` (StackError if it exits)."""
    deadline = time.monotonic() + timeout
    while not answers_tcp(port):
        if server.proc.poll() is not None or time.monotonic() > deadline:
            raise StackError(f"{server.name} did not start on port {port}; last log lines "
                             f"({server.log}):\n{server.tail()}")
        time.sleep(0.1)

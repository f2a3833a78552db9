"""Delete old conversations from Rasa's SQLite tracker store (standard library only).

Rasa 3.6's ``SQLTrackerStore`` keeps one row per event in the table ``events``
(``id, sender_id, type_name, timestamp, intent_name, action_name, data``) and, when it
loads a conversation, reads only the events since the sender's latest
``session_started`` event. So for each sender we delete every event older than the
cutoff when the whole conversation is older than the cutoff, and otherwise only the
old events that precede its current session (which Rasa no longer reads).
"""

from __future__ import annotations

import os
import re
import sqlite3
import time
from collections.abc import Iterator, Mapping
from contextlib import closing, contextmanager
from pathlib import Path

import yaml

SECONDS_PER_DAY = 86400

# A sender's rows go when the whole conversation is old, or when the
# row is old and precedes the sender's latest session start.
DELETE_OLD = """
DELETE FROM events
WHERE timestamp < :cutoff
  AND (
    (SELECT MAX(e.timestamp) FROM events AS e WHERE e.sender_id = events.sender_id)
        < :cutoff
    OR timestamp < (SELECT MAX(e.timestamp) FROM events AS e
                    WHERE e.sender_id = events.sender_id
                      AND e.type_name = 'session_started')
  )
"""

_ENV_VAR = re.compile(r"\$\{([^}]+)\}")


def tracker_db_path(endpoints_file: str | os.PathLike[str], root: str | os.PathLike[str],
                    environ: Mapping[str, str] | None = None) -> Path | None:
    """The SQLite file of the endpoints' tracker store, or None if it is not SQLite.

    ``${VAR}`` references are expanded the way Rasa does; a relative path is taken
    relative to ``root`` (the directory Rasa runs in).
    """
    environ = os.environ if environ is None else environ
    config = yaml.safe_load(Path(endpoints_file).read_text(encoding="utf-8")) or {}
    store = config.get("tracker_store") or {}
    if str(store.get("type", "")).lower() != "sql":
        return None
    if str(store.get("dialect", "sqlite")).lower() != "sqlite":
        return None
    raw = str(store.get("db", "rasa.db"))
    db = _ENV_VAR.sub(lambda m: environ.get(m.group(1), m.group(0)), raw)
    if "${" in db:
        raise ValueError(f"tracker store path {db!r} names an unset environment variable")
    path = Path(db)
    return path if path.is_absolute() else Path(root) / path


@contextmanager
def _connect(path: Path) -> Iterator[sqlite3.Connection]:
    """One committed transaction; deleted rows are overwritten on disk, not just unlinked."""
    with closing(sqlite3.connect(path, timeout=30)) as db:
        db.execute("PRAGMA secure_delete = ON")
        with db:
            yield db


def purge(db_path: str | os.PathLike[str], retention_days: float,
          now: float | None = None) -> int:
    """Delete conversation events older than ``retention_days``; returns rows deleted.

    A missing database or one without an ``events`` table (Rasa has not started yet)
    is left alone and counts as zero.
    """
    path = Path(db_path)
    if not path.exists():
        return 0
    cutoff = (time.time() if now is None else now) - float(retention_days) * SECONDS_PER_DAY
    with _connect(path) as db:
        exists = db.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'events'"
        ).fetchone()
        if not exists:
            return 0
        deleted = db.execute(DELETE_OLD, {"cutoff": cutoff}).rowcount
    return max(deleted, 0)


def forget_sender(db_path: str | os.PathLike[str], sender_id: str) -> int:
    """Delete every event of one conversation (used for the supervisor's warm-up)."""
    path = Path(db_path)
    if not path.exists():
        return 0
    with _connect(path) as db:
        try:
            return db.execute("DELETE FROM events WHERE sender_id = ?", (sender_id,)).rowcount
        except sqlite3.OperationalError:  # no events table yet
            return 0


def main(argv: list[str] | None = None) -> int:
    """``python -m bot.serving.retention erase --sender ID [--channel twilio|whatsapp|telegram]``:
    delete one person's conversation from the tracker store (on a person's request).
    For the messaging channels, give their phone number or chat id and the channel: the
    store keeps only a keyed pseudonym of it (``bot.pseudonyms``)."""
    import argparse

    from bot import pseudonyms
    from bot.serving.stack import ROOT, rasa_paths

    parser = argparse.ArgumentParser(prog="python -m bot.serving.retention",
                                     description=main.__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    erase = commands.add_parser("erase", help="delete one person's conversation")
    erase.add_argument("--sender", required=True, help="the sender id, phone number or chat id")
    erase.add_argument("--channel", help="the messaging channel the number or chat id wrote on")
    erase.add_argument("--db", type=Path, help="the tracker store (default: as the bot runs)")
    args = parser.parse_args(argv)
    env = dict(os.environ)
    env.setdefault("PAIN_TRACKER_DB", str(pseudonyms.data_dir() / "tracker.db"))
    db = args.db or tracker_db_path(rasa_paths()["endpoints"], ROOT, env)
    if db is None:
        print("the tracker store is not a SQLite file; erase it with its own tools")
        return 2
    sender = pseudonyms.pseudonym(args.channel, args.sender) if args.channel else args.sender
    print(f"deleted {forget_sender(db, sender)} events of that conversation from {db}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

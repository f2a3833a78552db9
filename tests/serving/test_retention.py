"""bot.serving.retention on a real SQLite file shaped like Rasa 3.6's SQLTrackerStore."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.serving import retention

DAY = retention.SECONDS_PER_DAY
NOW = 1_800_000_000.0

# The DDL SQLAlchemy emits for rasa.core.tracker_store.SQLTrackerStore.SQLEvent (3.6).
RASA_SCHEMA = """
CREATE TABLE events (
    id INTEGER NOT NULL,
    sender_id VARCHAR(255) NOT NULL,
    type_name VARCHAR(255) NOT NULL,
    timestamp FLOAT,
    intent_name VARCHAR(255),
    action_name VARCHAR(255),
    data TEXT,
    PRIMARY KEY (id)
);
CREATE INDEX ix_events_sender_id ON events (sender_id);
"""


def session(db: sqlite3.Connection, sender: str, start: float, turns: int = 2) -> None:
    """One Rasa session: session start events, then user/bot turns a minute apart."""
    rows = [("action", start, None, "action_session_start"),
            ("session_started", start, None, None),
            ("action", start, None, "action_listen")]
    for i in range(turns):
        t = start + 60 * (i + 1)
        rows += [("user", t, "ask_question", None), ("action", t + 1, None, "action_answer"),
                 ("bot", t + 1, None, None), ("action", t + 2, None, "action_listen")]
    db.executemany(
        "INSERT INTO events (sender_id, type_name, timestamp, intent_name, action_name, data)"
        " VALUES (?, ?, ?, ?, ?, '{}')",
        [(sender, kind, t, intent, action) for kind, t, intent, action in rows])


@pytest.fixture
def tracker_db(tmp_path: Path) -> Path:
    path = tmp_path / "tracker.db"
    with sqlite3.connect(path) as db:
        db.executescript(RASA_SCHEMA)
        session(db, "old", NOW - 40 * DAY)
        session(db, "old", NOW - 35 * DAY)
        session(db, "recent", NOW - 2 * DAY)
        session(db, "returning", NOW - 60 * DAY)  # came back yesterday: old session goes
        session(db, "returning", NOW - 1 * DAY)
        session(db, "straddling", NOW - 30 * DAY - 30)  # session started just before the cutoff
    return path


def senders(path: Path) -> dict[str, tuple[int, float]]:
    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT sender_id, COUNT(*), MIN(timestamp) FROM events "
                          "GROUP BY sender_id").fetchall()
    return {s: (n, t) for s, n, t in rows}


def test_purge_deletes_old_conversations_and_old_sessions_only(tracker_db: Path) -> None:
    before = senders(tracker_db)
    deleted = retention.purge(tracker_db, 30, now=NOW)
    after = senders(tracker_db)
    assert "old" not in after
    assert after["recent"] == before["recent"]
    # the returning user keeps exactly their current session, which starts yesterday
    assert after["returning"] == (11, NOW - DAY)
    # a session whose last event is inside the window is still the live one: kept whole
    assert after["straddling"] == before["straddling"]
    assert deleted == before["old"][0] + before["returning"][0] - 11


def test_purge_is_idempotent_and_respects_the_window(tracker_db: Path) -> None:
    assert retention.purge(tracker_db, 365, now=NOW) == 0
    first = retention.purge(tracker_db, 30, now=NOW)
    assert first > 0
    assert retention.purge(tracker_db, 30, now=NOW) == 0
    remaining = sum(n for n, _ in senders(tracker_db).values())
    assert retention.purge(tracker_db, 0, now=NOW + 1) == remaining
    assert senders(tracker_db) == {}


def test_deleted_text_does_not_stay_in_the_file(tracker_db: Path) -> None:
    with sqlite3.connect(tracker_db) as db:
        db.execute("UPDATE events SET data = '{\"text\": \"my secret pain story\"}' "
                   "WHERE sender_id = 'old'")
    retention.purge(tracker_db, 30, now=NOW)
    assert b"my secret pain story" not in tracker_db.read_bytes()


def test_missing_database_or_table_is_left_alone(tmp_path: Path) -> None:
    assert retention.purge(tmp_path / "absent.db", 30) == 0
    assert not (tmp_path / "absent.db").exists()
    empty = tmp_path / "empty.db"
    sqlite3.connect(empty).close()
    assert retention.purge(empty, 30) == 0
    assert retention.forget_sender(empty, "x") == 0


def test_forget_sender_removes_one_conversation(tracker_db: Path) -> None:
    before = senders(tracker_db)
    assert retention.forget_sender(tracker_db, "recent") == before["recent"][0]
    assert set(senders(tracker_db)) == set(before) - {"recent"}


def test_erase_command_finds_a_messaging_conversation_by_its_number(
        tracker_db: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    from bot import pseudonyms

    monkeypatch.setenv(pseudonyms.KEY_ENV, "erase-test-key")
    pseudonyms.key.cache_clear()
    kept = pseudonyms.pseudonym("twilio", "+447700900123")
    with sqlite3.connect(tracker_db) as db:
        session(db, kept, NOW - DAY)
    before = senders(tracker_db)
    assert retention.main(["erase", "--channel", "twilio", "--sender", "+447700900123",
                           "--db", str(tracker_db)]) == 0
    assert f"deleted {before[kept][0]} events" in capsys.readouterr().out
    assert set(senders(tracker_db)) == set(before) - {kept}
    assert retention.main(["erase", "--sender", "recent", "--db", str(tracker_db)]) == 0
    assert "recent" not in senders(tracker_db)
    pseudonyms.key.cache_clear()


def test_tracker_db_path_follows_the_endpoints_file(tmp_path: Path) -> None:
    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text("tracker_store:\n  type: SQL\n  dialect: sqlite\n"
                         "  db: ${PAIN_SERVER_DATA_DIR}/tracker.db\n")
    env = {"PAIN_SERVER_DATA_DIR": "/srv/pain"}
    assert retention.tracker_db_path(endpoints, tmp_path, env) == Path("/srv/pain/tracker.db")
    endpoints.write_text("tracker_store:\n  type: sql\n  db: var/rasa.db\n")
    assert retention.tracker_db_path(endpoints, tmp_path, {}) == tmp_path / "var" / "rasa.db"
    with pytest.raises(ValueError, match="unset"):
        endpoints.write_text("tracker_store:\n  type: SQL\n  db: ${NOPE}/t.db\n")
        retention.tracker_db_path(endpoints, tmp_path, {})
    endpoints.write_text("tracker_store:\n  type: redis\n")
    assert retention.tracker_db_path(endpoints, tmp_path, {}) is None
    endpoints.write_text("action_endpoint:\n  url: http://127.0.0.1:5055/webhook\n")
    assert retention.tracker_db_path(endpoints, tmp_path, {}) is None

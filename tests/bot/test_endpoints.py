"""bot/endpoints.yml as Rasa reads it: env substitution, custom NLG, local SQLite store."""

from __future__ import annotations

from pathlib import Path

import pytest
from rasa.utils.endpoints import read_endpoint_config

ENDPOINTS = str(Path(__file__).resolve().parents[2] / "bot" / "endpoints.yml")


def test_urls_and_paths_come_from_the_environment(monkeypatch: pytest.MonkeyPatch,
                                                  tmp_path: Path) -> None:
    monkeypatch.setenv("ACTION_SERVER_URL", "http://127.0.0.1:5999/webhook")
    monkeypatch.setenv("PAIN_TRACKER_DB", str(tmp_path / "tracker.db"))
    action = read_endpoint_config(ENDPOINTS, "action_endpoint")
    assert action.url == "http://127.0.0.1:5999/webhook"
    store = read_endpoint_config(ENDPOINTS, "tracker_store")
    assert store.type == "SQL"
    assert store.kwargs == {"dialect": "sqlite", "db": str(tmp_path / "tracker.db")}
    assert read_endpoint_config(ENDPOINTS, "nlg").type == "bot.nlg.SettingsNLG"
    assert read_endpoint_config(ENDPOINTS, "lock_store").type == "in_memory"

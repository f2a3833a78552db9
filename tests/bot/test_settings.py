"""bot.settings: the one settings loader and its environment rules."""

from __future__ import annotations

from pathlib import Path

from bot import settings


def test_variables_override_by_type_and_reach_keys_the_file_lacks(tmp_path: Path) -> None:
    path = tmp_path / "settings.yml"
    path.write_text("server:\n  rasa_port: 5005\n  enable_api: false\n  data_dir: var\n"
                    "kiosk:\n  idle_seconds: 90\n", encoding="utf-8")
    env = {"PAIN_SERVER_RASA_PORT": "6005", "PAIN_SERVER_ENABLE_API": "yes",
           "PAIN_SERVER_ALLOWED_ORIGINS": "[https://a.example, https://b.example]",
           "PAIN_SERVER_HUNG_AFTER_S": "12.5", "PAIN_KIOSK_NOTE": "",
           "PAIN_SENDER_KEY": "not a section", "PAIN_NOPE_X": "1"}
    data = settings.load(path, env)
    assert data["server"]["rasa_port"] == 6005 and data["server"]["enable_api"] is True
    assert data["server"]["allowed_origins"] == ["https://a.example", "https://b.example"]
    assert data["server"]["hung_after_s"] == 12.5
    assert data["kiosk"] == {"idle_seconds": 90, "note": None}
    assert set(data) == {"server", "kiosk"}


def test_the_knowledge_layer_reads_through_the_same_loader(tmp_path: Path, monkeypatch) -> None:
    from knowledge.settings import load_settings

    path = tmp_path / "settings.yml"
    path.write_text("knowledge:\n  embedding: base\n", encoding="utf-8")
    monkeypatch.setenv("PAIN_SETTINGS", str(path))
    monkeypatch.setenv("PAIN_KNOWLEDGE_INDEX_DIR", str(tmp_path / "index"))
    loaded = load_settings()
    assert loaded.embedding == "base" and loaded.index_dir == tmp_path / "index"
    assert loaded.corpus_dir == settings.REPO_ROOT / "knowledge" / "corpus"

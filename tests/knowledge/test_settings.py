"""The knowledge settings: the embedding mode is validated when read."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge.settings import KnowledgeSettings, load_settings


def test_the_embedding_model_comes_from_the_settings_and_is_validated(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = tmp_path / "settings.yml"
    settings.write_text("knowledge:\n  embedding: base\n", encoding="utf-8")
    monkeypatch.setenv("PAIN_SETTINGS", str(settings))
    monkeypatch.delenv("PAIN_KNOWLEDGE_EMBEDDING", raising=False)
    assert load_settings().embedding == "base"
    settings.write_text("knowledge:\n  embedding: tuned\n", encoding="utf-8")
    with pytest.raises(ValueError, match="knowledge.embedding"):
        load_settings()
    with pytest.raises(ValueError, match="knowledge.embedding"):
        KnowledgeSettings(tmp_path, tmp_path, "fine-tuned")  # type: ignore[arg-type]

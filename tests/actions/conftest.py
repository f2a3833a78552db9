"""Fixtures for the action tests: the real domain wording, trackers, a private data dir.

The actions run against the real knowledge layer (``knowledge/index`` must be built).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot import settings

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def domain() -> dict[str, Any]:
    """The domain as Rasa sends it to the action server (responses from every file)."""
    responses: dict[str, Any] = {}
    for path in sorted((REPO / "bot" / "domain").glob("*.yml")):
        responses.update(yaml.safe_load(path.read_text(encoding="utf-8")).get("responses") or {})
    return {"responses": responses}


@pytest.fixture()
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Review and feedback records go to a temporary directory; recording is on."""
    monkeypatch.setenv("PAIN_SERVER_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("PAIN_PRIVACY_RECORD_UNANSWERED", "true")
    monkeypatch.setenv("PAIN_PRIVACY_RECORD_FEEDBACK", "true")
    settings.get.cache_clear()
    yield tmp_path
    settings.get.cache_clear()

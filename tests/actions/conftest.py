"""Fixtures for the action tests: the real domain wording, trackers, a private data dir.

The actions run against the real knowledge layer, serving the frozen default library
indexed into a temporary folder (tests/conftest.py), whatever the clinic's library is.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot import settings
from tests.library_testkit import IndexedLibrary, serving

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="package", autouse=True)
def serves_default_library(default_library: IndexedLibrary) -> Iterator[IndexedLibrary]:
    """Every action test (and an action server one starts) searches the default library."""
    with serving(default_library) as library:
        yield library


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

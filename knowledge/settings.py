"""Where the knowledge layer finds its corpus and index.

Read from the ``knowledge`` section of the clinic settings file (``bot/settings.yml``,
or the file named by ``PAIN_SETTINGS``), with ``PAIN_KNOWLEDGE_CORPUS_DIR`` and
``PAIN_KNOWLEDGE_INDEX_DIR`` overriding it. Relative paths are from the repository root.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent
SETTINGS_FILE = REPO_ROOT / "bot" / "settings.yml"


@dataclass(frozen=True)
class KnowledgeSettings:
    corpus_dir: Path
    index_dir: Path


def _path(value: str) -> Path:
    p = Path(value)
    return p if p.is_absolute() else REPO_ROOT / p


def load_settings() -> KnowledgeSettings:
    """The corpus and index folders, from the settings file and the environment."""
    path = Path(os.environ.get("PAIN_SETTINGS", SETTINGS_FILE))
    section = {}
    if path.exists():
        section = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("knowledge") or {}
    env = os.environ
    corpus = env.get("PAIN_KNOWLEDGE_CORPUS_DIR", section.get("corpus_dir", "knowledge/corpus"))
    index = env.get("PAIN_KNOWLEDGE_INDEX_DIR", section.get("index_dir", "knowledge/index"))
    return KnowledgeSettings(_path(corpus), _path(index))

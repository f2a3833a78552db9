"""Where the knowledge layer finds its corpus and index.

Read from the ``knowledge`` section of the clinic settings file (``bot/settings.yml``,
or the file named by ``PAIN_SETTINGS``), with ``PAIN_KNOWLEDGE_CORPUS_DIR`` and
``PAIN_KNOWLEDGE_INDEX_DIR`` (and ``PAIN_KNOWLEDGE_EMBEDDING``) overriding it.
Relative paths are from the repository root.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, get_args

import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent
SETTINGS_FILE = REPO_ROOT / "bot" / "settings.yml"


# the knowledge layer's embedding model: all-MiniLM-L6-v2 fine-tuned for patient questions
# (knowledge.finetune), or the package's own
EmbeddingModel = Literal["fine_tuned", "base"]


@dataclass(frozen=True)
class KnowledgeSettings:
    corpus_dir: Path
    index_dir: Path
    embedding: EmbeddingModel = "fine_tuned"

    def __post_init__(self) -> None:
        if self.embedding not in get_args(EmbeddingModel):
            raise ValueError(f"knowledge.embedding must be one of {get_args(EmbeddingModel)}, "
                             f"not {self.embedding!r}")


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
    embedding = env.get("PAIN_KNOWLEDGE_EMBEDDING", section.get("embedding", "fine_tuned"))
    return KnowledgeSettings(_path(corpus), _path(index), embedding)

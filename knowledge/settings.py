"""Where the knowledge layer finds its corpus and index, and which search model it uses.

Read from the ``knowledge`` section of the clinic settings (``bot/settings.yml``, or the
file named by ``PAIN_SETTINGS``) through the project's one settings loader,
``bot.settings`` (Rasa-free), so ``PAIN_KNOWLEDGE_CORPUS_DIR``,
``PAIN_KNOWLEDGE_INDEX_DIR`` and ``PAIN_KNOWLEDGE_EMBEDDING`` override it by the same
rules as every other setting. Relative paths are from the repository root.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal, get_args

from bot import settings

REPO_ROOT = settings.REPO_ROOT
# The library the project ships, frozen: its evaluation sets (knowledge/eval/data) and the
# retrieval model's training bank (knowledge/training) were written against these files.
# The clinic's library (``corpus_dir``, knowledge/corpus) starts as a copy of it and is
# the clinic's to change; this one is not.
DEFAULT_LIBRARY = REPO_ROOT / "knowledge" / "default_library"


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
    """The corpus and index folders and the search model, read now (never cached)."""
    section = settings.load().get("knowledge") or {}
    return KnowledgeSettings(_path(section.get("corpus_dir") or "knowledge/corpus"),
                             _path(section.get("index_dir") or "knowledge/index"),
                             section.get("embedding") or "fine_tuned")

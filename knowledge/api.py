"""The process-wide library behind ``knowledge.search`` and friends."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import TYPE_CHECKING

from knowledge.schema import SearchResult, Source

if TYPE_CHECKING:
    from knowledge.retriever import Retriever

_lock = threading.Lock()
_retriever: Retriever | None = None


def get_retriever() -> Retriever:
    """The default retriever (settings' corpus and index), loaded once on first use."""
    global _retriever
    with _lock:
        if _retriever is None:
            from knowledge.embedding import MiniLMEmbedder
            from knowledge.retriever import Retriever
            from knowledge.settings import load_settings

            settings = load_settings()
            _retriever = Retriever.open(settings.index_dir, settings.corpus_dir, MiniLMEmbedder())
        return _retriever


def set_retriever(retriever: Retriever | None) -> None:
    """Replace the default retriever (tests use a tiny corpus); None resets it."""
    global _retriever
    with _lock:
        _retriever = retriever


def search(query: str, k: int = 3, context: str | None = None,
           exclude: Iterable[str] = (), seen: Iterable[str] = ()) -> SearchResult:
    """Best ``k`` passages with excerpts, a confidence and an answerable decision; a
    follow-up prefers passages not in ``seen`` (those just shown)."""
    return get_retriever().search(query, k=k, context=context, exclude=exclude, seen=seen)


def list_topics() -> list[str]:
    """Topics the library covers, from its section headings."""
    return get_retriever().topics()


def suggest_topics(query: str, n: int = 3) -> list[str]:
    """Covered topics closest to ``query``."""
    return get_retriever().suggest_topics(query, n)


def library_terms(query: str) -> list[str]:
    """Content terms of ``query`` that occur in the library (empty: nothing matches)."""
    return get_retriever().library_terms(query)


def missing_words(query: str) -> list[str]:
    """The words of ``query`` naming something the library never mentions (may be empty)."""
    return get_retriever().missing_words(query)


def missing_subject(query: str) -> list[str]:
    """The subject ``query`` names that the library never mentions ("what is CRPS" ->
    ["CRPS"]); empty unless the question's grammar names it as its subject."""
    return get_retriever().missing_subject(query)


def get_source(source_id: str) -> Source | None:
    """The source record for a document id, or None."""
    return get_retriever().index.sources.get(source_id)

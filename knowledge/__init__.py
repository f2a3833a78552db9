"""The knowledge layer: a cleaned, cited, searchable library (never imports Rasa).

    from knowledge import search
    result = search("why do I hurt when my scans are normal", k=3)

The model and index load on the first call, once per process.
"""

from __future__ import annotations

from knowledge.api import (
    get_retriever,
    get_source,
    library_terms,
    list_topics,
    missing_subject,
    missing_words,
    search,
    set_retriever,
    suggest_topics,
)

__all__ = [
    "get_retriever", "get_source", "library_terms", "list_topics", "missing_subject",
    "missing_words", "search", "set_retriever", "suggest_topics",
]

"""Lexical search: BM25 (bm25s) over stemmed words, English stopwords removed."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np

_WORDS = re.compile(r"(?u)\b\w\w+\b")
WORDS_FILE = "words.json"
# BM25 scores are unbounded; s / (s + BM25_SQUASH) maps them into 0..1 for fusion and
# for the confidence model's lexical feature.
BM25_SQUASH = 5.0


@lru_cache(maxsize=1)
def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("english")


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    from bm25s.stopwords import STOPWORDS_EN

    return frozenset(STOPWORDS_EN)


def squash(scores, k: float = BM25_SQUASH):
    """BM25 score(s) mapped into 0..1: s / (s + k)."""
    return scores / (scores + k)


def words(text: str) -> list[str]:
    """Lower-cased word tokens, as the index sees them before stemming."""
    return _WORDS.findall(text.lower())


def terms(text: str) -> list[str]:
    """Stemmed content terms of ``text`` (stopwords removed)."""
    stop = stopwords()
    return _stemmer().stemWords([w for w in words(text) if w not in stop])


class LexicalIndex:
    """BM25 over passages; ``scores(query)`` gives one score per passage."""

    def __init__(self, bm25, vocabulary: frozenset[str]) -> None:
        self._bm25 = bm25
        self.vocabulary = vocabulary  # every lower-cased surface word in the corpus
        self.terms = frozenset(_stemmer().stemWords(sorted(vocabulary)))

    @classmethod
    def build(cls, texts: Sequence[str]) -> LexicalIndex:
        import bm25s

        bm25 = bm25s.BM25(method="lucene", k1=1.2, b=0.75)
        bm25.index([terms(t) for t in texts], show_progress=False)
        vocabulary = frozenset(w for t in texts for w in words(t))
        return cls(bm25, vocabulary)

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self._bm25.save(str(folder), show_progress=False)
        (folder / WORDS_FILE).write_text(json.dumps(sorted(self.vocabulary)), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> LexicalIndex:
        import bm25s

        bm25 = bm25s.BM25.load(str(folder), show_progress=False, verbosity=0)
        vocabulary = frozenset(json.loads((folder / WORDS_FILE).read_text(encoding="utf-8")))
        return cls(bm25, vocabulary)

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every passage for ``query`` (zeros if no term is known)."""
        known = [t for t in terms(query) if t in self.terms]
        if not known:
            return np.zeros(self._bm25.scores["num_docs"], dtype=np.float32)
        return np.asarray(self._bm25.get_scores(known), dtype=np.float32)

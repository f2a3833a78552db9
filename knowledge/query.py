"""Query handling: spelling repair against the library's words, and follow-ups.

A word that is neither in the library nor a whole word of the embedding model's
vocabulary (so, not ordinary English) is replaced by the closest library word
within one or two edits ("acupunture" -> "acupuncture"). A short question that
leans on the previous one ("what about acupuncture?", "how many got better in
that study?") is searched together with that previous question.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml
from rapidfuzz import process
from rapidfuzz.distance import OSA

from knowledge.lexical import stopwords, words

TERMS_PATH = Path(__file__).with_name("query_terms.yml")
FOLLOWUP_MAX_WORDS = 10
_FOLLOWUP_OPENERS = re.compile(
    r"^\s*(and|but|so|also|what about|how about|what else|why is that|is that|does that|"
    r"can you explain|tell me more|more about|same for|and for)\b", re.I)
_ANAPHORA = re.compile(
    r"\b(that|this|those|these|it|its|they|them|their|there|the study|the trial|the research|"
    r"the same|the other|such|he|she)\b", re.I)
_WORD = re.compile(r"[A-Za-z][A-Za-z'’]+")


@dataclass(frozen=True)
class PreparedQuery:
    """The query as searched: repaired text, and with its context if a follow-up."""

    original: str
    repaired: str  # spelling repaired, nothing added
    text: str  # repaired, with expansions: what is searched
    corrections: dict[str, str]
    followup: bool
    with_context: str | None


@lru_cache(maxsize=2)
def query_terms(path: Path = TERMS_PATH) -> dict:
    """The expansions and out-of-scope examples in ``query_terms.yml``."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    expansions = {str(k).lower(): str(v) for k, v in (data.get("expansions") or {}).items()}
    return {"expansions": expansions, "out_of_scope": list(data.get("out_of_scope") or [])}


def expand(text: str) -> str:
    """``text`` with the library's words for any patient words it uses appended."""
    expansions = query_terms()["expansions"]
    extra = [expansions[w] for w in dict.fromkeys(words(text)) if w in expansions]
    return f"{text} ({'; '.join(extra)})" if extra else text


class SpellRepair:
    """Repairs misspelt words to library words; leaves ordinary English alone."""

    def __init__(self, library_words: frozenset[str], english: frozenset[str]) -> None:
        self._library = sorted(w for w in library_words if w.isalpha() and len(w) >= 4)
        self._library_set = frozenset(library_words)
        self._english = english | frozenset(query_terms()["expansions"])

    def _fix(self, word: str) -> str | None:
        low = word.lower()
        if len(low) < 4 or low in self._library_set or low in self._english:
            return None
        max_edits = 1 if len(low) <= 5 else 2
        match = process.extractOne(low, self._library, scorer=OSA.distance,
                                   score_cutoff=max_edits)
        return match[0] if match else None

    def __call__(self, text: str) -> tuple[str, dict[str, str]]:
        corrections: dict[str, str] = {}

        def replace(m: re.Match[str]) -> str:
            fixed = self._fix(m.group(0))
            if fixed is None:
                return m.group(0)
            corrections[m.group(0)] = fixed
            return fixed

        return _WORD.sub(replace, text), corrections


def is_followup(query: str) -> bool:
    """Short and leaning on something said before."""
    n = len(words(query))
    if n == 0 or n > FOLLOWUP_MAX_WORDS:
        return False
    if _FOLLOWUP_OPENERS.search(query) or _ANAPHORA.search(query):
        return True
    content = [w for w in words(query) if w not in stopwords()]
    return len(content) <= 1


def prepare(query: str, context: str | None, repair: SpellRepair | None) -> PreparedQuery:
    """Repair spelling; join the context when the query is a follow-up."""
    text, corrections = repair(query) if repair else (query, {})
    followup = bool(context and context.strip()) and is_followup(text)
    with_context = None
    if followup:
        ctx_text = repair(context)[0] if repair else context
        with_context = expand(f"{ctx_text.strip()} {text.strip()}")
    return PreparedQuery(query, text, expand(text), corrections, followup, with_context)

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

from knowledge.lexical import stopwords, terms, words

TERMS_PATH = Path(__file__).with_name("query_terms.yml")
FOLLOWUP_MAX_WORDS = 14
_FOLLOWUP_OPENERS = re.compile(
    r"^\s*(and|but|so|also|what about|how about|what else|why is that|is that|does that|"
    r"can you explain|tell me more|more about|same for|and for)\b", re.I)
_ANAPHORA = re.compile(
    r"\b(that|this|those|these|it|its|they|them|their|there|the study|the trial|the research|"
    r"the same|the other|such|he|she)\b", re.I)
# "it" that points at nothing: "how long will it take", "is it normal to ...", and
# idioms where "it" is the pain itself ("making it up", "more than it should").
_DUMMY_IT = re.compile(
    r"\bit(?:'s|’s| is| was| will| would| does| did)?\s+(?:(?:take|takes|taking)\b|"
    r"(?:normal|possible|ok|okay|safe|true|worth|common|likely|usual|too late)\s+(?:to|that)\b)"
    r"|\b(?:making|make|made|faking|fake|imagining)\s+it\b|\bthan\s+it\s+(?:should|used)\b"
    r"|\bit(?:'s|’s| is)?\s+(?:all\s+)?in\s+my\s+head\b"
    r"|\b(?:live|cope|deal|put up)\s+with\s+it\b",
    re.I)
# "does yoga help ...", "is swimming good for ...", "can a TENS machine help ...": the
# words between the verb and "help" name what the question is about.
_EFFECT_QUESTION = re.compile(
    r"\b(?:does|do|can|could|is|are|would|will|should|might)\s+((?:[\w'’-]+\s+){1,4}?)"
    r"(?:help|helps|work|works|good for|bad for|worth|useful|effective|safe)\b", re.I)
_PRONOUN = re.compile(r"(?:it|this|that|these|those|they|he|she|you|i|we)\b", re.I)
# "what is X", "what about X", "what causes X", "tell me about X": X is the subject
_SUBJECT_QUESTION = re.compile(
    r"\b(?:what(?:'s|’s|s| is| are| was)|what about|how about|what causes|what does|"
    r"tell me about|explain|anything on|info on|information on)\s+(?:an?\s+|the\s+)?"
    r"((?:[\w'’-]+\s*){1,4})", re.I)
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
    context: str | None = None  # the previous question, repaired and expanded (follow-ups)


@lru_cache(maxsize=2)
def query_terms(path: Path = TERMS_PATH) -> dict:
    """The expansions, real-word errors and out-of-scope examples in ``query_terms.yml``."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    expansions = {str(k).lower(): str(v) for k, v in (data.get("expansions") or {}).items()}
    confusions = [(re.compile(str(k), re.I), str(v))
                  for k, v in (data.get("real_word_errors") or {}).items()]
    openings = sorted((str(p).lower() for key in ("pleasantries", "request_openings")
                       for p in data.get(key) or []), key=len, reverse=True)
    opening = re.compile(r"^\s*(?:(?:" + "|".join(re.escape(p) for p in openings)
                         + r")\b[\s,.!:;)-]*)+", re.I) if openings else None
    evidence = [str(rx) for rx in data.get("evidence_questions") or []]
    return {"expansions": expansions, "out_of_scope": list(data.get("out_of_scope") or []),
            "real_word_errors": confusions, "openings": opening,
            "function_words": frozenset(str(w).lower() for w in data.get("function_words") or []),
            "generic_words": frozenset(str(w).lower() for w in data.get("generic_words") or []),
            "evidence_questions": re.compile("|".join(f"(?:{rx})" for rx in evidence), re.I)
            if evidence else None,
            "evidence_terms": frozenset(t for w in data.get("evidence_words") or []
                                        for t in terms(str(w)))}


def without_openings(text: str) -> str:
    """``text`` less the thanks, greetings and request wrappers it opens with ("thanks.
    what is pacing?" -> "what is pacing?", "tell me about sleep" -> "sleep"), which say
    nothing about what is asked; unchanged when no content word would remain ("thanks so
    much", "hi there")."""
    terms = query_terms()
    match = terms["openings"].match(text) if terms["openings"] else None
    rest = text[match.end():] if match else ""
    if not any(w not in terms["function_words"] for w in words(rest)):
        return text
    return rest


def expand(text: str) -> str:
    """``text`` with the library's words appended for any patient words or phrases it uses.

    A key of one word matches a whole word; a key of several words matches them in
    order, with up to two other words between ("hurts more than it should" matches
    "more than should").
    """
    expansions = query_terms()["expansions"]
    present = set(words(text))
    joined = " ".join(words(text))
    extra = [library for key, library in expansions.items()
             if (key in present if " " not in key else _phrase(key).search(joined))]
    return f"{text} ({'; '.join(dict.fromkeys(extra))})" if extra else text


@lru_cache(maxsize=512)
def _phrase(key: str) -> re.Pattern[str]:
    gap = r"(?: \w+){0,2} "
    return re.compile(r"\b" + gap.join(re.escape(w) for w in words(key)) + r"\b")


class SpellRepair:
    """Repairs misspelt words to library words; leaves ordinary English alone."""

    def __init__(self, library_words: frozenset[str], english: frozenset[str]) -> None:
        self._library = sorted(w for w in library_words if w.isalpha() and len(w) >= 4)
        self._library_set = frozenset(library_words)
        self._english = english | frozenset(query_terms()["expansions"])

    def _fix(self, word: str) -> str | None:
        low = word.lower()
        if (len(low) < 4 or low in self._library_set or low in self._english
                or "'" in low or "’" in low):  # contractions are not misspellings
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

        for pattern, fixed in query_terms()["real_word_errors"]:
            for m in pattern.finditer(text):
                corrections[m.group(0)] = pattern.sub(fixed, m.group(0))
            text = pattern.sub(fixed, text)
        return _WORD.sub(replace, text), corrections


def asked_about(text: str) -> list[str]:
    """Content words naming what a "does X help / is X good for" question asks about."""
    match = _EFFECT_QUESTION.search(text)
    if not match or _PRONOUN.match(match.group(1)):  # "is it meant to help": about "it"
        return []
    return [w for w in words(match.group(1)) if w not in stopwords()]


def asks_for_evidence(text: str) -> bool:
    """Whether a question asks if something works or for its evidence
    (``evidence_questions`` in ``query_terms.yml``)."""
    pattern = query_terms()["evidence_questions"]
    return bool(pattern and pattern.search(text or ""))


def subject_words(text: str) -> set[str]:
    """The lower-cased words a question names as its subject, where its grammar says so
    ("what is CRPS", "what about yoga?", "does CBD oil help"): empty otherwise."""
    found = [m.group(1) for m in _SUBJECT_QUESTION.finditer(text)]
    effect = _EFFECT_QUESTION.search(text)
    if effect and not _PRONOUN.match(effect.group(1)):
        found.append(effect.group(1))
    return {w.lower() for chunk in found for w in _WORD.findall(chunk)}


def is_followup(query: str) -> bool:
    """Short and leaning on something said before."""
    n = len(words(query))
    if n == 0 or n > FOLLOWUP_MAX_WORDS:
        return False
    if _FOLLOWUP_OPENERS.search(query) or _ANAPHORA.search(_DUMMY_IT.sub(" ", query)):
        return True
    content = [w for w in words(query) if w not in stopwords()]
    return len(content) <= 1


def prepare(query: str, context: str | None, repair: SpellRepair | None) -> PreparedQuery:
    """Drop empty openings (``without_openings``), repair spelling; join the context
    when the query is a follow-up."""
    core = without_openings(query)
    text, corrections = repair(core) if repair else (core, {})
    followup = bool(context and context.strip()) and is_followup(text)
    with_context = ctx = None
    if followup:
        ctx_text = (repair(context)[0] if repair else context).strip()
        with_context = expand(f"{ctx_text} {text.strip()}")
        ctx = expand(ctx_text)
    return PreparedQuery(query, text, expand(text), corrections, followup, with_context, ctx)

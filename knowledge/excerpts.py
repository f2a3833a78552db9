"""Excerpts: the one to three sentences inside a passage that best answer a query.

Sentences are scored by cosine similarity to the query (their vectors are built
with the index) plus a little for shared words. The best sentence is widened to a
neighbour that scores nearly as well, or when it is too short to stand alone; a
line that introduces a list ("It does not:") always brings its list along, and a
list item brings its introduction. The excerpt is cut from the cleaned document,
so it is verbatim, and keeps its offsets.
"""

from __future__ import annotations

import re

import numpy as np

from knowledge.chunking import Sentence, words
from knowledge.lexical import terms
from knowledge.schema import Excerpt

MAX_SENTENCES = 3
MAX_EXCERPT_WORDS = 90
SHORT_SENTENCE_WORDS = 12
# a neighbour joins the excerpt when it scores this share of the best sentence; chosen on
# the tuning conversations (answered with evidence 0.742 at 0.85, 0.768 at 0.8, 0.788 at
# 0.75 down to 0.65: the highest ratio of the plateau keeps excerpts shortest)
NEIGHBOUR_RATIO = 0.75
SHORT_INTRO_WORDS = 8
LEXICAL_WEIGHT = 0.15
# see evidence_bonus; chosen on the tuning conversations (0.2: one follow-up fewer)
EVIDENCE_WEIGHT = 0.3
PROMOTIONAL = "promotional"  # a sentence kind (chunking.Sentence): never quoted
_BARE_LINK = re.compile(r"^\s*(https?://|www\.)\S+\s*$")  # a web address alone: not quoted
# A sentence opening like this leans on the one before it ("The results were striking
# enough..."), so an excerpt never starts with it when the previous sentence is there.
_LEANS_BACK = re.compile(
    r"^(this|that|these|those|it|its|they|their|such|the results?|the same|however|but|"
    r"instead|both|yet|so|thus|therefore|as a result|in contrast|importantly|over time)\b",
    re.I)


def _ends_on_lead_in(doc_text: str, sentence: Sentence) -> bool:
    """Whether a (non-list) sentence ends on a colon, leading into what follows."""
    return sentence.kind not in {"item"} and doc_text[sentence.start:sentence.end].rstrip(
        ).endswith(":")


def sentence_terms(texts: list[str]) -> list[frozenset[str]]:
    """The stemmed content terms of each sentence (what ``sentence_scores`` compares)."""
    return [frozenset(terms(t)) for t in texts]


def sentence_scores(query_vector: np.ndarray, sentence_vectors: np.ndarray,
                    query_terms: set[str], term_sets: list[frozenset[str]]) -> np.ndarray:
    """Cosine to the query plus a small bonus for the share of query terms present."""
    dense = sentence_vectors @ query_vector
    if not query_terms:
        return dense
    overlap = np.array([len(query_terms & t) / len(query_terms) for t in term_sets])
    return dense + LEXICAL_WEIGHT * overlap


def evidence_bonus(term_sets: list[frozenset[str]], evidence_terms: frozenset[str]) -> np.ndarray:
    """``EVIDENCE_WEIGHT`` for each sentence that has an evidence word (a trial, a study,
    what was found), else 0: added to a passage's sentence scores when the question asks
    whether something works, so its excerpt quotes the evidence, not the description."""
    return EVIDENCE_WEIGHT * np.array([bool(t & evidence_terms) for t in term_sets], dtype=float)


def _with_list(doc_text: str, sentences: list[Sentence], lo: int, hi: int) -> tuple[int, int]:
    """Widen [lo, hi] so a list and its introducing line are not separated. A list too
    long to quote whole (over ``MAX_EXCERPT_WORDS``) is quoted from its introducing line
    to the items chosen when that fits: an item never appears without the line that
    gives it its sense ("Do not use it if you:" … "are pregnant"); when it does not
    fit, the whole list is quoted."""
    whole_lo, whole_hi = lo, hi
    while whole_lo > 0 and sentences[whole_lo].kind == "item":
        whole_lo -= 1
    if sentences[whole_hi].kind in {"intro", "item"}:
        while whole_hi + 1 < len(sentences) and sentences[whole_hi + 1].kind == "item":
            whole_hi += 1

    def fits(a: int, b: int) -> bool:
        return words(doc_text[sentences[a].start:sentences[b].end]) <= MAX_EXCERPT_WORDS

    if fits(whole_lo, whole_hi):
        return whole_lo, whole_hi
    if sentences[whole_lo].kind != "intro" or sentences[lo].kind != "item":
        return lo, hi  # no introducing line to lose (or the excerpt starts before it)
    if fits(whole_lo, hi):
        return whole_lo, hi
    return whole_lo, whole_hi


def select(doc_text: str, sentences: list[Sentence], scores: np.ndarray) -> Excerpt | None:
    """The best window of whole sentences, as a verbatim excerpt with offsets. It never
    holds a promotional sentence, and never ends on a line that leads into a missing
    one ("That leads to:") when the next sentence fits. A web address on its own line is
    never quoted either; ``None`` when a passage holds nothing quotable."""
    quotable = np.array([s.kind != PROMOTIONAL
                         and not _BARE_LINK.match(doc_text[s.start:s.end]) for s in sentences])
    if not quotable.any():
        return None
    scores = np.where(quotable, scores, -np.inf)
    best = int(np.argmax(scores))
    lo = hi = best
    length = lambda a, b: words(doc_text[sentences[a].start:sentences[b].end])  # noqa: E731
    while hi - lo + 1 < MAX_SENTENCES:
        candidates = []
        if lo > 0 and quotable[lo - 1]:
            candidates.append((scores[lo - 1], lo - 1, hi))
        if hi + 1 < len(sentences) and quotable[hi + 1]:
            candidates.append((scores[hi + 1], lo, hi + 1))
        if not candidates:
            break
        score, new_lo, new_hi = max(candidates)
        short = length(lo, hi) < SHORT_SENTENCE_WORDS
        if not (short or score >= NEIGHBOUR_RATIO * scores[best]):
            break
        if length(new_lo, new_hi) > MAX_EXCERPT_WORDS:
            break
        lo, hi = new_lo, new_hi
    while lo > 0 and quotable[lo - 1] and _LEANS_BACK.match(
            doc_text[sentences[lo].start:sentences[lo].end]):
        lo -= 1
        if hi - lo + 1 > MAX_SENTENCES and hi > best:
            hi -= 1
        if hi - lo + 1 > MAX_SENTENCES:
            break
    # "…what acupuncture does not do. It does not:" - a short line that opens a list
    # right after the excerpt belongs to it, list and all.
    if hi + 1 < len(sentences) and sentences[hi + 1].kind == "intro" and length(
            hi + 1, hi + 1) <= SHORT_INTRO_WORDS:
        hi += 1
    lo, hi = _with_list(doc_text, sentences, lo, hi)
    # "But here's the uncomfortable truth:" - an excerpt does not stop on a lead-in
    while (_ends_on_lead_in(doc_text, sentences[hi]) and hi + 1 < len(sentences)
           and quotable[hi + 1] and length(lo, hi + 1) <= MAX_EXCERPT_WORDS):
        hi += 1
        lo, hi = _with_list(doc_text, sentences, lo, hi)
    if _ends_on_lead_in(doc_text, sentences[hi]) and hi > best:
        hi -= 1  # the lead-in's continuation does not fit: leave the lead-in out
    start, end = sentences[lo].start, sentences[hi].end
    return Excerpt(doc_text[start:end], start, end)

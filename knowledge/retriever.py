"""Hybrid retrieval over the index: dense (faiss) + BM25, fused, sentence-reranked.

``Retriever.search`` returns the best passages with a verbatim excerpt each, a
calibrated confidence, and whether the library answers the question at all.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, NamedTuple, get_args

import numpy as np

from knowledge import excerpts
from knowledge.confidence import UNCALIBRATED, Calibration, Signals, from_dict, load_calibration
from knowledge.embedding import Embedder
from knowledge.index import Index, StaleIndexError, load
from knowledge.lexical import BM25_SQUASH, squash, stopwords, terms, words
from knowledge.query import (
    PreparedQuery,
    SpellRepair,
    asked_about,
    asks_for_evidence,
    prepare,
    query_terms,
    subject_words,
)
from knowledge.schema import Hit, SearchResult

_TYPED_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*[A-Za-z]")

RRF_K = 60
NO_SIGNALS = Signals(0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)  # a message with no words
# a follow-up's fresh passages may come from this many ranks past the ``k`` shown:
# on the tuning conversations, 46 of 117 follow-up excerpts repeated the previous
# answer's with 0; 7 of 114 with 2, and as many follow-ups answered with evidence.
# Keeping the best passage first whether shown or not (in-process replay of the tuning
# conversations): follow-ups with evidence 17 -> 19 of 27, answers repeating a quote
# 5 -> 10 of 32
FOLLOWUP_FRESH_DEPTH = 2
# a word the library never uses, left by the spelling repair, this long or longer names a
# subject ("hypnotherapy") even when it is not an everyday word: a typo of a library word
# is repaired first, and a short unknown word may be a typo still
RARE_SUBJECT_LETTERS = 8


SearchMode = Literal["dense", "bm25", "hybrid"]
Fusion = Literal["weighted", "rrf"]


@dataclass(frozen=True)
class SearchConfig:
    """How search ranks; the evaluation compares these and the best is the default.
    Checked when built."""

    mode: SearchMode = "hybrid"
    fusion: Fusion = "weighted"
    dense_weight: float = 0.8
    rerank: bool = True  # add the best sentence's score inside each candidate
    rerank_weight: float = 0.3
    candidates: int = 20
    rerank_depth: int = 0  # how many fused candidates get sentence scores (0: all)
    lexical_squash: float = BM25_SQUASH  # 0: BM25 / best BM25; K > 0: BM25 / (BM25 + K)

    def __post_init__(self) -> None:
        if self.mode not in get_args(SearchMode):
            raise ValueError(f"mode must be one of {get_args(SearchMode)}, not {self.mode!r}")
        if self.fusion not in get_args(Fusion):
            raise ValueError(f"fusion must be one of {get_args(Fusion)}, not {self.fusion!r}")
        if not 0.0 <= self.dense_weight <= 1.0:
            raise ValueError(f"dense_weight must be within [0, 1], not {self.dense_weight}")
        if self.candidates < 1 or self.rerank_depth < 0 or self.lexical_squash < 0:
            raise ValueError(f"candidates >= 1, rerank_depth >= 0, lexical_squash >= 0: {self}")


DEFAULT_CONFIG = SearchConfig()


class _Ranking(NamedTuple):
    """One query's ranking (see ``Retriever._rank``); arrays are per candidate row."""

    rows: list[int]
    dense: np.ndarray
    lexical: np.ndarray  # raw BM25
    fused: np.ndarray
    sentence_best: dict[int, tuple[float, np.ndarray]]  # candidate -> (best, all scores)
    final: np.ndarray  # fused plus the rerank bonus
    order: list[int]  # candidates, best first


class Retriever:
    """Searches one loaded index with one embedder."""

    def __init__(self, index: Index, embedder: Embedder, calibration: Calibration | None = None,
                 config: SearchConfig = DEFAULT_CONFIG, english: frozenset[str] | None = None):
        self.index = index
        self.embedder = embedder
        self.calibration = calibration or _calibration_of(index)
        fitted_dim = len(self.calibration.embedding_weights)
        if fitted_dim and fitted_dim != embedder.dim:
            raise ValueError(
                f"the calibration was fitted on {fitted_dim}-dimensional query embeddings but "
                f"the embedder {embedder.name!r} makes {embedder.dim}; pass a calibration "
                "for this embedder or refit with `python -m knowledge eval --calibrate`")
        fitted_model = self.calibration.embedding_model
        if fitted_dim and fitted_model and fitted_model != embedder.version:
            raise ValueError(
                f"the calibration was fitted on query embeddings of {fitted_model}, not of "
                f"{embedder.version}; refit with `python -m knowledge eval --calibrate`")
        self.config = config
        vocab = english if english is not None else getattr(embedder, "vocabulary", frozenset)()
        self._english = vocab
        self._repair = SpellRepair(index.lexical.vocabulary, vocab)
        self._scope_vectors: np.ndarray | None = None
        self._ids = {p.id: i for i, p in enumerate(index.passages)}
        self._topics: list[str] | None = None
        self._topic_vectors: np.ndarray | None = None
        self._sentence_terms: dict[int, list[frozenset[str]]] = {}

    @classmethod
    def open(cls, index_dir: Path, corpus_dir: Path, embedder: Embedder,
             config: SearchConfig = DEFAULT_CONFIG,
             calibration: Calibration | None = None) -> Retriever:
        """Load a current index (StaleIndexError otherwise) and make a retriever."""
        return cls(load(index_dir, corpus_dir, embedder), embedder, calibration, config)

    def with_config(self, config: SearchConfig) -> Retriever:
        """The same index and model, ranked another way (for the evaluation)."""
        clone = object.__new__(Retriever)
        clone.__dict__.update(self.__dict__)
        clone.config = config
        return clone

    # ---- ranking -----------------------------------------------------------
    def _query_vectors(self, q: PreparedQuery) -> tuple[np.ndarray, np.ndarray]:
        texts = [q.text] + ([q.context] if q.context else [])
        vectors = self.embedder.encode(texts)
        search_vector = vectors.mean(axis=0)
        search_vector /= np.linalg.norm(search_vector) or 1.0
        return vectors[0], search_vector.astype(np.float32)

    def _candidates(self, q: PreparedQuery, vector: np.ndarray, excluded: set[int]):
        """Candidate rows with their dense, BM25 and fused scores."""
        cfg, n = self.config, len(self.index.passages)
        lexical_all = self.index.lexical.scores(q.with_context or q.text)
        depth = min(n, cfg.candidates + len(excluded))
        _, dense_rows = self.index.dense.search(vector[None, :], depth)
        rows = [int(r) for r in dense_rows[0] if r >= 0] if cfg.mode != "bm25" else []
        if cfg.mode != "dense":
            rows += [int(r) for r in np.argsort(-lexical_all)[:depth] if lexical_all[r] > 0]
        rows = [r for r in dict.fromkeys(rows) if r not in excluded]
        if not rows:
            return [], np.zeros(0), np.zeros(0), np.zeros(0)
        dense = self.index.vectors[rows] @ vector
        if cfg.lexical_squash > 0:
            lexical = squash(lexical_all[rows], cfg.lexical_squash)
        else:
            lexical = lexical_all[rows] / (float(lexical_all.max()) or 1.0)
        if cfg.mode == "dense":
            fused = dense.copy()
        elif cfg.mode == "bm25":
            fused = lexical.copy()
        elif cfg.fusion == "rrf":
            fused = _rrf(dense) + _rrf(lexical)
        else:
            fused = cfg.dense_weight * dense + (1 - cfg.dense_weight) * lexical
        return rows, dense, lexical_all[rows], fused

    def _term_sets(self, row: int) -> list[frozenset[str]]:
        """The stemmed terms of each sentence of passage ``row`` (stemmed once, on first use)."""
        term_sets = self._sentence_terms.get(row)
        if term_sets is None:
            text = self.index.documents[self.index.passages[row].doc_id]
            term_sets = excerpts.sentence_terms(
                [text[s.start:s.end] for s in self.index.sentences[row]])
            self._sentence_terms[row] = term_sets
        return term_sets

    def _sentence_scores(self, row: int, query_vector: np.ndarray, query_terms: set[str]):
        lo, hi = self.index.sentence_rows[row]
        return excerpts.sentence_scores(query_vector, self.index.sentence_vectors[lo:hi],
                                        query_terms, self._term_sets(row))

    def _sentence_depth(self, k: int, candidates: int) -> int:
        """How many of the best fused candidates get sentence scores (search and signals
        must agree, or the calibration would be fitted on other features)."""
        if not self.config.rerank:
            return k
        return max(k, self.config.rerank_depth or candidates)

    def _rank(self, q: PreparedQuery, search_vector: np.ndarray, excluded: set[int],
              k: int) -> _Ranking | None:
        """The one ranking both ``search`` and ``signals`` use: candidates, their best
        sentence scores, the reranked scores and the order (``None``: no candidates)."""
        rows, dense, lexical, fused = self._candidates(q, search_vector, excluded)
        if not rows:
            return None
        query_terms = set(terms(q.with_context or q.text))
        order = np.argsort(-fused)
        sentence_best: dict[int, tuple[float, np.ndarray]] = {}
        for i in order[:self._sentence_depth(k, len(order))]:
            scores = self._sentence_scores(rows[i], search_vector, query_terms)
            sentence_best[int(i)] = (float(scores.max()), scores)
        final = fused.copy()
        if self.config.rerank:
            for i, (best, _) in sentence_best.items():
                final[i] += self.config.rerank_weight * best
            order = sorted(sentence_best, key=lambda i: -final[i])
        return _Ranking(rows, dense, lexical, fused, sentence_best, final, list(order))

    def search(self, query: str, k: int = 3, context: str | None = None,
               exclude: Iterable[str] = (), seen: Iterable[str] = ()) -> SearchResult:
        """Best ``k`` passages for ``query`` (after ``context`` if it is a follow-up).
        A follow-up keeps its best passage first, shown before or not, and fills the
        other places with quotes the person has not just been shown (``seen``: quote
        ids, ``Hit.quote_id``, or whole passage ids) when any of the best
        ``k + FOLLOWUP_FRESH_DEPTH`` is new; a passage shown before counts as new when
        the new question quotes another part of it ("does it actually work?" after "what
        is PRT": the trial next to the description). A new question about the
        same subject is not given all the same quotes again, nor pushed off its subject
        ("so it doesn't make the pain go away?" after ACT had been answered with three
        acupuncture passages)."""
        q = prepare(query, context, self._repair)
        excluded = {self._ids[i] for i in exclude if i in self._ids}
        if not words(q.text):
            return SearchResult(query, [], 0.0, False, context, signals=NO_SIGNALS)
        query_vector, search_vector = self._query_vectors(q)
        ranking = self._rank(q, search_vector, excluded, k)
        if ranking is None:
            signals = self._signals(q, search_vector, np.zeros(0), np.zeros(0), {})
            return SearchResult(query, [], 0.0, False, context, signals=signals)
        rows, dense, lexical, fused, sentence_best, final, order = ranking
        seen = set(seen) if q.followup else set()
        wanted = k + FOLLOWUP_FRESH_DEPTH if seen else k
        hits = []
        evidence = query_terms()["evidence_terms"] if asks_for_evidence(q.repaired) else None
        for i in self._about_first(q, rows, order):
            if len(hits) == wanted:
                break
            row = rows[i]
            passage = self.index.passages[row]
            if int(i) in sentence_best:
                scores = sentence_best[int(i)][1]
            else:  # below the scored depth (without rerank), reached past an unquotable one
                scores = self._sentence_scores(row, search_vector,
                                               set(terms(q.with_context or q.text)))
            best = float(scores.max())
            if q.followup:  # the excerpt answers the new question, read in its context
                scores = (scores + self._sentence_scores(row, query_vector,
                                                         set(terms(q.text)))) / 2
            if evidence:  # "does it actually work?": quote the evidence in the passage
                scores = scores + excerpts.evidence_bonus(self._term_sets(row), evidence)
            excerpt = excerpts.select(self.index.documents[passage.doc_id],
                                      self.index.sentences[row], scores)
            if excerpt is None:  # nothing quotable (a link and an advert)
                continue
            hits.append(Hit(passage, self.index.sources[passage.doc_id], excerpt, float(final[i]),
                            {"dense": float(dense[i]), "bm25": float(lexical[i]),
                             "fused": float(fused[i]), "sentence": best}))
        if seen and hits:  # the best stays first; then fresh quotes, each group in rank order
            hits = hits[:1] + sorted(hits[1:], key=lambda h: h.quote_id in seen
                                     or h.passage_id in seen)[:k - 1]
        signals = self._signals(q, search_vector, dense, lexical, sentence_best)
        confidence = self.calibration.probability(signals)
        answerable = confidence >= self.calibration.threshold \
            and not self._unmentioned(q) and not self._new_unknown_subject(q)
        return SearchResult(query, hits, confidence, answerable, context, q.followup,
                            signals=signals)

    def _about_first(self, q: PreparedQuery, rows: list[int], order: list[int]) -> list[int]:
        """``order`` kept to the passages that mention what a "does X help" question asks
        about, when any does: evidence about one treatment is never shown under a
        question about another ("is chiropractic good for back pain" is not answered
        with a trial of a different therapy)."""
        about = {t for w in asked_about(q.repaired) for t in terms(w)}
        about &= self.index.lexical.terms
        if not about:
            return order
        mentioning = [i for i in order
                      if any(about & sentence for sentence in self._term_sets(rows[i]))]
        return mentioning or order

    def _unmentioned(self, q: PreparedQuery) -> list[str]:
        """Everyday words naming what a "does X help" question is about that the library
        never uses ("does yoga help back pain?" when no document mentions yoga): the
        library cannot answer it, however close its passages about back pain are.
        Nothing when any word of X is one the library uses; misspellings are not
        counted (they are not everyday words)."""
        known, vocabulary = self.index.lexical.terms, self.index.lexical.vocabulary
        expansions, generic = query_terms()["expansions"], query_terms()["generic_words"]
        about = [w for w in asked_about(q.repaired) if w not in generic]
        never = [w for w in about if w not in vocabulary and w not in expansions
                 and not (terms(w) and terms(w)[0] in known)]
        if len(never) < len(about):  # "is breathwork or cold showers worth a try"
            return []  # names something the library does discuss
        return [w for w in never if w in self._english or len(w) >= RARE_SUBJECT_LETTERS]

    def _new_unknown_subject(self, q: PreparedQuery) -> bool:
        """Whether a follow-up turns to a subject the library never mentions and that is
        not an everyday word ("what about for CRPS specifically?" after acupuncture): the
        context would otherwise answer it with the previous subject's passages. Everyday
        missing words ("what's the point of it") are left to the confidence."""
        if not q.followup:
            return False
        subject = self.missing_subject(q.original)
        return bool(subject) and any(w.lower() not in self._english for w in subject)

    def unmentioned(self, query: str, context: str | None = None) -> list[str]:
        """What ``query`` asks about that the library never mentions (see ``_unmentioned``)."""
        return self._unmentioned(prepare(query, context, self._repair))

    def _out_of_scope(self, query_vector: np.ndarray) -> float:
        if self._scope_vectors is None:
            examples = query_terms()["out_of_scope"]
            self._scope_vectors = (self.embedder.encode(examples) if examples
                                   else np.zeros((0, len(query_vector)), dtype=np.float32))
        if not len(self._scope_vectors):
            return 0.0
        return float((self._scope_vectors @ query_vector).max())

    def _signals(self, q: PreparedQuery, query_vector, dense, lexical, sentence_best) -> Signals:
        content = [w for w in words(q.repaired) if w not in stopwords()]
        known = self.index.lexical.terms
        stems = terms(" ".join(content))
        coverage = sum(t in known for t in stems) / len(stems) if stems else 0.0
        unknown = [w for w in content if w not in self.index.lexical.vocabulary
                   and terms(w) and terms(w)[0] not in known]
        rare = [w for w in unknown if w not in self._english]
        best_lex = float(lexical.max()) if len(lexical) else 0.0
        return Signals(
            dense_top=float(dense.max()) if len(dense) else 0.0,
            sentence_top=max((b for b, _ in sentence_best.values()), default=0.0),
            lexical_top=float(squash(best_lex)),
            coverage=coverage,
            unknown_terms=float(len(unknown)),
            unknown_rare=float(len(rare)),
            out_of_scope=self._out_of_scope(query_vector),
            missing_subject=1.0 if self.missing_subject(q.original) else 0.0,
            query_vector=query_vector,
        )

    def signals(self, query: str, context: str | None = None, k: int = 3) -> Signals:
        """The confidence features for one query (used to fit the calibration): those
        ``search(query, k, context)`` computes its confidence from."""
        return self.search(query, k=k, context=context).signals

    # ---- topics ------------------------------------------------------------
    def topics(self) -> list[str]:
        """Section headings of the library, in order, without near-repeats."""
        if self._topics is None:
            from knowledge.topics import distinct_headings

            self._topics = distinct_headings(self.index.passages, self.embedder)
            self._topic_vectors = self.embedder.encode(self._topics) if self._topics else None
        return list(self._topics)

    def library_terms(self, query: str) -> list[str]:
        """The content terms of ``query`` (spelling repaired, stemmed) that occur in the
        library: empty when nothing in the message matches anything the library says."""
        return [t for t in terms(prepare(query, None, self._repair).text)
                if t in self.index.lexical.terms]

    def missing_words(self, query: str) -> list[str]:
        """The first run of adjacent words of ``query`` (as typed, spelling repaired)
        that the library never mentions: content words whose stem it lacks ("what is
        CRPS" -> ["CRPS"]). Empty when every content word occurs in the library. A word
        with a capital first letter inside a sentence may be a person's name and is
        never returned ("I'm Ann, what is gout" -> ["gout"])."""
        run: list[str] = []
        function_words = query_terms()["function_words"]
        text = prepare(query, None, self._repair).repaired
        for match in _TYPED_WORD.finditer(text):
            word = match.group(0)
            before = text[:match.start()].rstrip()
            if word[0].isupper() and not word.isupper() and before and before[-1] not in ".?!":
                if run:
                    break
                continue
            stems = [] if word.lower() in function_words else terms(word)
            expansion = query_terms()["expansions"].get(word.lower())
            if expansion and any(t in self.index.lexical.terms for t in terms(expansion)):
                stems = []  # "fibro": the library says "fibromyalgia"
            if stems and stems[0] not in self.index.lexical.terms:
                run.append(word)
            elif run:
                break
        return run

    def missing_subject(self, query: str) -> list[str]:
        """``missing_words``, but only when the question's grammar names them as its
        subject ("what is CRPS", "is yoga good for back pain"): a missing word elsewhere
        ("4 hours sleep", "my mum") is not what the question is about, and naming it
        would say something false. The next word of the subject joins them ("dry
        needling", not "dry")."""
        run = self.missing_words(query)
        as_typed = subject_words(query)
        subject = as_typed | subject_words(prepare(query, None, self._repair).repaired)
        if not run or not all(w.lower() in subject for w in run):
            return []
        typed = [m.group(0) for m in _TYPED_WORD.finditer(query)]  # as the person typed
        for i in range(len(typed) - len(run)):  # "dry needling", "cupping therapy": the
            if typed[i:i + len(run)] == run:      # subject goes on past the missing words
                following = typed[i + len(run)]
                if following.lower() in as_typed and following.lower() not in \
                        query_terms()["function_words"]:
                    return [*run, following]
                break
        return run

    def suggest_topics(self, query: str, n: int = 3) -> list[str]:
        """The ``n`` covered topics closest to ``query``."""
        topics = self.topics()
        if not topics:
            return []
        vector = self.embedder.encode([prepare(query, None, self._repair).text])[0]
        order = np.argsort(-(self._topic_vectors @ vector))
        return [topics[i] for i in order[:n]]


def _calibration_of(index: Index) -> Calibration:
    """The calibration built with ``index`` for its library; an index made in memory
    without one gets the stored labelled calibration only if it was fitted for this very
    library, else the rough default."""
    from knowledge.library_calibration import library_hash

    digest = library_hash(index.documents)
    if index.calibration is not None:
        if index.calibration.get("library_hash") != digest:
            raise StaleIndexError("the index's calibration was fitted for another library; "
                                  "rebuild with `python -m knowledge build`")
        return from_dict(index.calibration)
    stored = load_calibration()
    return stored if stored.library_hash == digest else UNCALIBRATED


def _rrf(scores: np.ndarray) -> np.ndarray:
    ranks = np.empty(len(scores))
    ranks[np.argsort(-scores)] = np.arange(1, len(scores) + 1)
    return 1.0 / (RRF_K + ranks)

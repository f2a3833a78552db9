"""The answerable decision for the library being built: chosen or fitted at build time.

``for_library(index, embedder)`` promises a calibration dictionary (``confidence.from_dict``
reads it) for exactly this library's text, recorded as ``library_hash``:

- **labelled**: ``calibration.json``, fitted by ``python -m knowledge eval --calibrate``
  on questions labelled against the default library (its signals and the query's own
  embedding), when this library is that library, text for text, and the embedder is the
  one it was fitted on. Its labels are only true of that library.
- **transferable**, for any other library: logistic weights over the retrieval signals
  alone, which say how well a question matches this library and nothing about what it is
  about (no query embedding; no similarity to the out-of-scope examples, which name
  topics such as medicines that a clinic's library may cover). Fitted on
  (1) the shipped match-quality bank, ``calibration_bank.json``: the signals the
  labelled default-library questions had against their library, with their labels;
  (2) this library's own section headings (answerable); (3) the general out-of-scope
  examples of ``query_terms.yml`` that this library does not itself match well (not
  answerable). The threshold declines at most ``MAX_FALSE_DECLINES`` of the bank's
  answerable questions under cross-validation.

Nothing here is labelled against a clinic's documents; a clinic adds no data.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from knowledge.confidence import CALIBRATION_PATH, UNCALIBRATED
from knowledge.embedding import Embedder
from knowledge.query import query_terms

BANK_PATH = Path(__file__).with_name("calibration_bank.json")
TRANSFER_FEATURES = ("dense_top", "sentence_top", "lexical_top", "coverage", "unknown_terms",
                     "unknown_rare", "missing_subject")
REGULARISATION = 1.0  # logistic regression C
# decline at most this share of the bank's answerable questions (cross-validated). Chosen
# on the tuning half of the second library (eval/data/library2): see knowledge/README.md
MAX_FALSE_DECLINES = 0.20
# an out-of-scope example is kept as a negative only if its best sentence matches this
# library less well than this quantile of the library's own headings do
SCOPE_QUANTILE = 0.25


def library_hash(documents: dict[str, str]) -> str:
    """A digest of the library's cleaned text by document id (metadata left out: a
    calibration depends on what the documents say, not on how they are cited)."""
    h = hashlib.sha256()
    for doc_id in sorted(documents):
        h.update(hashlib.sha256(f"{doc_id}\0{documents[doc_id]}".encode()).digest())
    return h.hexdigest()[:16]


def for_library(index, embedder: Embedder) -> dict:  # noqa: ANN001 (knowledge.index.Index)
    """The calibration to serve with ``index`` (see the module docstring)."""
    digest = library_hash(index.documents)
    if CALIBRATION_PATH.exists():
        labelled = json.loads(CALIBRATION_PATH.read_text(encoding="utf-8"))
        if labelled.get("library_hash") == digest and \
                labelled.get("embedding_model") in (None, embedder.version):
            return {**labelled, "kind": "labelled"}
    return fit_transferable(index, embedder, digest)


def is_current(stored: dict) -> bool:
    """Whether a calibration written with an index is still the one ``for_library`` would
    choose: false once ``eval --calibrate`` has refitted the labelled calibration of
    that library."""
    if not CALIBRATION_PATH.exists():
        return stored.get("kind") != "labelled"
    labelled = json.loads(CALIBRATION_PATH.read_text(encoding="utf-8"))
    if labelled.get("library_hash") != stored.get("library_hash") or \
            labelled.get("embedding_model") != stored.get("embedding_model"):
        return stored.get("kind") != "labelled"
    return stored.get("kind") == "labelled" and stored.get("fitted_at") == labelled.get("fitted_at")


def fit_transferable(index, embedder: Embedder, digest: str) -> dict:  # noqa: ANN001
    """Logistic weights over the signals, fitted on the bank and this library's own rows."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold

    from knowledge.retriever import Retriever

    retriever = Retriever(index, embedder, calibration=UNCALIBRATED)

    def row(text: str) -> list[float]:
        return retriever.signals(text).vector(TRANSFER_FEATURES)

    bank_X, bank_y = _bank(embedder)
    headings = retriever.topics()
    heading_rows = [row(h) for h in headings]
    sentence = TRANSFER_FEATURES.index("sentence_top")
    ceiling = float(np.quantile([r[sentence] for r in heading_rows], SCOPE_QUANTILE)) \
        if heading_rows else 1.0
    scope_rows = [r for r in map(row, query_terms()["out_of_scope"]) if r[sentence] < ceiling]
    extra_X = np.array(heading_rows + scope_rows, dtype=float).reshape(-1, len(TRANSFER_FEATURES))
    extra_y = np.array([1] * len(heading_rows) + [0] * len(scope_rows), dtype=int)

    def fitted(rows: np.ndarray) -> LogisticRegression:
        model = LogisticRegression(C=REGULARISATION, class_weight="balanced", max_iter=5000)
        X, y = np.vstack([bank_X[rows], extra_X]), np.concatenate([bank_y[rows], extra_y])
        return model.fit(X, y)

    threshold = 0.5
    if len(bank_y) and bank_y.sum() >= 5 and (1 - bank_y).sum() >= 5:
        scores = np.zeros(len(bank_y))
        for train, test in StratifiedKFold(5, shuffle=True, random_state=0).split(bank_X, bank_y):
            scores[test] = fitted(train).predict_proba(bank_X[test])[:, 1]
        answerable = np.sort(scores[bank_y == 1])
        threshold = float(answerable[int(np.floor(MAX_FALSE_DECLINES * len(answerable)))])
    if len(set(np.concatenate([bank_y, extra_y]))) < 2:
        return {**UNCALIBRATED.to_dict(), "kind": "uncalibrated", "library_hash": digest,
                "embedding_model": embedder.version,
                "method": "too few examples to fit: the rough default"}
    model = fitted(np.arange(len(bank_y)))
    return {
        "features": list(TRANSFER_FEATURES),
        "weights": [float(w) for w in model.coef_[0]],
        "intercept": float(model.intercept_[0]),
        "threshold": threshold,
        "kind": "transferable",
        "library_hash": digest,
        "embedding_model": embedder.version,
        "out_of_scope_kept": len(scope_rows),
        "method": f"logistic regression (class-balanced, C={REGULARISATION:g}) over "
                  f"{', '.join(TRANSFER_FEATURES)}; {len(bank_y)} bank questions, "
                  f"{len(heading_rows)} headings of this library, {len(scope_rows)} general "
                  f"out-of-scope examples it does not match; threshold declines at most "
                  f"{MAX_FALSE_DECLINES:.0%} of the bank's answerable questions (5-fold)",
        "fitted_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def _bank(embedder: Embedder) -> tuple[np.ndarray, np.ndarray]:
    """The bank's signal rows and labels; none when it was made with another embedder
    (its signals would not be comparable)."""
    empty = np.zeros((0, len(TRANSFER_FEATURES))), np.zeros(0, dtype=int)
    if not BANK_PATH.exists():
        return empty
    bank = json.loads(BANK_PATH.read_text(encoding="utf-8"))
    if bank.get("embedding_model") != embedder.version or \
            tuple(bank["features"]) != TRANSFER_FEATURES:
        return empty
    rows = bank["rows"]
    return (np.array([r["signals"] for r in rows], dtype=float),
            np.array([int(r["answerable"]) for r in rows], dtype=int))


def write_bank(retriever, questions: list) -> dict:  # noqa: ANN001
    """The match-quality bank: each labelled question's signals (TRANSFER_FEATURES) against
    the library it was labelled for, and its label. Written by ``eval --calibrate``."""
    rows = []
    for q in questions:
        vector = retriever.signals(q.text, q.context).vector(TRANSFER_FEATURES)
        rows.append({"signals": [round(x, 5) for x in vector],
                     "answerable": bool(q.answerable)})
    bank = {"features": list(TRANSFER_FEATURES), "embedding_model": retriever.embedder.version,
            "library_hash": library_hash(retriever.index.documents),
            "made_from": f"{len(rows)} labelled questions of the default library (dev and "
                         "calibration sets)", "rows": rows}
    BANK_PATH.write_text(json.dumps(bank) + "\n", encoding="utf-8")
    return bank

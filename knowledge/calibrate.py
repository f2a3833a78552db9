"""Fit the confidence model (``knowledge.confidence``) on labelled questions.

``calibrate(retriever, dev, labelled)`` promises the dictionary ``calibration.json``
stores: logistic weights over the retriever's own signals (``Retriever.signals``, the
same ranking ``search`` uses) and the query embedding, and the answerable threshold
chosen from cross-validated probabilities. ``python -m knowledge eval --calibrate``
calls it and writes the file.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol

import numpy as np

from knowledge.confidence import FEATURES
from knowledge.eval.metrics import abstention
from knowledge.query import query_terms
from knowledge.retriever import Retriever

EMBEDDING_SCALE = 2.0  # the query embedding's weight against the scalar signals
REGULARISATION = 3.0  # logistic regression C
CV_REPEATS = 10  # shuffles of the 5-fold cross-validation
MAX_FALSE_DECLINES = 0.05  # threshold choice: decline at most 5% of answerable questions


class LabelledQuestion(Protocol):
    """A question with its answerable label (``knowledge.eval.dataset.Query`` is one)."""

    text: str
    context: str | None
    answerable: bool


def calibrate(retriever: Retriever, dev: list[LabelledQuestion],
              labelled: list[LabelledQuestion]) -> dict:
    """Fit the logistic confidence; threshold from cross-validated scores.

    The model learns from every labelled development question: the dev set and the
    calibration set (``eval/data/calibration``, labels only), plus two kinds of example
    that come from the library and its configuration: its own section headings
    (answerable) and the general out-of-scope examples in ``query_terms.yml`` (not
    answerable). Cross-validation folds split the dev and calibration questions
    (stratified by set and label); the headings and examples are in every fold.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold

    def design(text: str, context: str | None = None) -> list[float]:
        return retriever.signals(text, context).design(EMBEDDING_SCALE)

    questions = dev + labelled
    X = np.array([design(q.text, q.context) for q in questions])
    y = np.array([q.answerable for q in questions], dtype=int)
    in_dev = np.arange(len(questions)) < len(dev)
    headings, out_of_scope = retriever.topics(), query_terms()["out_of_scope"]
    X_extra = np.array([design(t) for t in headings + out_of_scope]).reshape(-1, X.shape[1])
    y_extra = np.array([1] * len(headings) + [0] * len(out_of_scope), dtype=int)

    def fitted(rows: np.ndarray) -> LogisticRegression:
        model = LogisticRegression(C=REGULARISATION, class_weight="balanced", max_iter=5000)
        return model.fit(np.vstack([X[rows], X_extra]), np.concatenate([y[rows], y_extra]))

    # Repeated 5-fold cross-validation: every question gets a score from a model that
    # did not see it, once per repeat; the threshold comes from all of them.
    cv = np.zeros((CV_REPEATS, len(y)))
    strata = 2 * in_dev + y
    for repeat in range(CV_REPEATS):
        folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=repeat)
        for train, test in folds.split(X, strata):
            cv[repeat, test] = fitted(train).predict_proba(X[test])[:, 1]
    # the false-decline budget holds on each labelled set, not just on the two pooled
    threshold = min(_threshold(cv[:, in_dev & (y == 1)].ravel()),
                    _threshold(cv[:, ~in_dev & (y == 1)].ravel()))
    # search() also declines a "does X help" question about something never mentioned
    unmentioned = np.array([bool(retriever.unmentioned(q.text, q.context)) for q in questions])
    declined = (cv < threshold) | unmentioned

    def cross_validated(rows: np.ndarray) -> dict[str, float]:
        return abstention(list(np.tile(y[rows] == 1, CV_REPEATS)),
                          list(declined[:, rows].ravel()))

    model = fitted(np.arange(len(y)))
    n = len(FEATURES)
    return {
        "features": list(FEATURES),
        "weights": [float(w) for w in model.coef_[0][:n]],
        "intercept": float(model.intercept_[0]),
        "threshold": float(threshold),
        "embedding_scale": EMBEDDING_SCALE,
        "embedding_weights": [round(float(w), 6) for w in model.coef_[0][n:]],
        "embedding_model": retriever.embedder.version,
        "method": f"logistic regression (class-balanced, C={REGULARISATION:g}) over the signals "
                  f"and {EMBEDDING_SCALE:g} x the query embedding, fitted on {len(dev)} dev and "
                  f"{len(labelled)} calibration-set questions plus {len(headings)} library "
                  f"headings (answerable) and {len(out_of_scope)} general out-of-scope "
                  "examples; threshold = highest value that declines at most "
                  f"{MAX_FALSE_DECLINES:.0%} of the answerable questions of each set (dev, "
                  "calibration) under 5-fold cross-validated probabilities "
                  f"({CV_REPEATS} repeats)",
        "cross_validated": cross_validated(np.flatnonzero(in_dev)),
        "cross_validated_calibration_set": cross_validated(np.flatnonzero(~in_dev)),
        "fitted_on": f"dev set, {len(dev)} questions, {int(y[in_dev].sum())} answerable; "
                     f"calibration set, {len(labelled)} questions, "
                     f"{int(y[~in_dev].sum())} answerable; {len(headings)} headings; "
                     f"{len(out_of_scope)} out-of-scope examples",
        "fitted_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def _threshold(answerable_scores: np.ndarray) -> float:
    """Highest threshold that keeps false declines within MAX_FALSE_DECLINES."""
    ordered = np.sort(answerable_scores)
    allowed = int(np.floor(MAX_FALSE_DECLINES * len(ordered)))
    return float(ordered[allowed]) if len(ordered) else 0.5



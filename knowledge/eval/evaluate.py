"""``python -m knowledge eval``: retrieval and abstention quality, every configuration.

Ranking metrics (hit@1, hit@3, MRR, nDCG@10) are over answerable questions; a
passage counts as relevant from grade 1 ("direct" columns need grade 2). Abstention
is over all questions. The held-out set is reported for the default configuration
only and is never used to choose anything.
"""

from __future__ import annotations

import json
from dataclasses import asdict, replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from knowledge.confidence import CALIBRATION_PATH, FEATURES
from knowledge.eval.dataset import Query, load_calibration_set, load_set, relevance
from knowledge.eval.metrics import abstention, hit_at, ndcg_at, reciprocal_rank
from knowledge.query import query_terms
from knowledge.retriever import DEFAULT_CONFIG, Retriever, SearchConfig

RESULTS_PATH = Path(__file__).with_name("results.json")
CONFIGS = {
    "dense": SearchConfig(mode="dense", rerank=False),
    "bm25": SearchConfig(mode="bm25", rerank=False),
    "hybrid_rrf": SearchConfig(mode="hybrid", fusion="rrf", rerank=False),
    "hybrid": replace(DEFAULT_CONFIG, rerank=False),
    "hybrid_reranked": DEFAULT_CONFIG,
}
EMBEDDING_SCALE = 2.0  # the query embedding's weight against the scalar signals
REGULARISATION = 3.0  # logistic regression C
CV_REPEATS = 10  # shuffles of the 5-fold cross-validation
MAX_FALSE_DECLINES = 0.05  # threshold choice: decline at most 5% of answerable questions


def _ideal(query: Query, retriever: Retriever) -> list[int]:
    grades = [relevance(query, retriever.index.documents, p) for p in retriever.index.passages]
    return [g for g in grades if g > 0]


def rank_metrics(retriever: Retriever, queries: list[Query]) -> dict[str, float]:
    rows = []
    for q in queries:
        if not q.answerable:
            continue
        result = retriever.search(q.text, k=10, context=q.context)
        grades = [relevance(q, retriever.index.documents, h.passage) for h in result.hits]
        rows.append([hit_at(grades, 1), hit_at(grades, 3), hit_at(grades, 3, minimum=2),
                     reciprocal_rank(grades), ndcg_at(grades, _ideal(q, retriever))])
    m = np.mean(rows, axis=0)
    return {"hit@1": m[0], "hit@3": m[1], "hit@3_direct": m[2], "mrr": m[3], "ndcg@10": m[4],
            "queries": len(rows)}


def abstention_metrics(retriever: Retriever, queries: list[Query]) -> dict[str, float]:
    declined = [not retriever.search(q.text, k=3, context=q.context).answerable for q in queries]
    return abstention([q.answerable for q in queries], declined)


def calibrate(retriever: Retriever, dev: list[Query], labelled: list[Query]) -> dict:
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


def main(index_dir: Path, corpus_dir: Path, calibrate_first: bool = False,
         out: Path | None = None) -> int:
    from knowledge.confidence import UNCALIBRATED, load_calibration
    from knowledge.embedding import MiniLMEmbedder

    retriever = Retriever.open(index_dir, corpus_dir, MiniLMEmbedder(),
                               calibration=UNCALIBRATED if calibrate_first else None)
    dev, heldout = load_set("dev"), load_set("heldout")
    report: dict = {"index": {k: retriever.index.manifest[k] for k in
                              ("passage_count", "corpus_hash", "model_version")}}
    if calibrate_first:
        fitted = calibrate(retriever, dev, load_calibration_set())
        CALIBRATION_PATH.write_text(json.dumps(fitted, indent=2) + "\n", encoding="utf-8")
        retriever.calibration = load_calibration()
        report["calibration"] = fitted
        print(f"calibration written to {CALIBRATION_PATH}")
    report["configs"] = {}
    print("Abstention on dev is in-sample (the calibration was fitted on dev): read the "
          "cross-validated line and the held-out set instead.")
    print(f"{'config':18} {'hit@1':>6} {'hit@3':>6} {'h@3dir':>6} {'MRR':>6} {'nDCG10':>6} "
          f"{'abstP':>6} {'abstR':>6} {'ansDecl':>7}")
    for name, config in CONFIGS.items():
        r = retriever.with_config(config)
        metrics = {**rank_metrics(r, dev), **abstention_metrics(r, dev), "config": asdict(config)}
        report["configs"][name] = metrics
        print(f"{name:18} {metrics['hit@1']:6.3f} {metrics['hit@3']:6.3f} "
              f"{metrics['hit@3_direct']:6.3f} {metrics['mrr']:6.3f} {metrics['ndcg@10']:6.3f} "
              f"{metrics['abstention_precision']:6.3f} {metrics['abstention_recall']:6.3f} "
              f"{metrics['answerable_declined']:7.3f}")
    if CALIBRATION_PATH.exists():
        stored = json.loads(CALIBRATION_PATH.read_text(encoding="utf-8"))
        for key, label in (("cross_validated", "dev, 5-fold CV"),
                           ("cross_validated_calibration_set", "calib set, 5-fold")):
            cv = stored.get(key)
            if cv:
                report[f"abstention_{key}"] = cv
                print(f"{label:18} {'':>6} {'':>6} {'':>6} {'':>6} {'':>6} "
                      f"{cv['abstention_precision']:6.3f} {cv['abstention_recall']:6.3f} "
                      f"{cv['answerable_declined']:7.3f}")
    held = {**rank_metrics(retriever, heldout), **abstention_metrics(retriever, heldout)}
    report["heldout_default"] = held
    print(f"{'heldout (default)':18} {held['hit@1']:6.3f} {held['hit@3']:6.3f} "
          f"{held['hit@3_direct']:6.3f} {held['mrr']:6.3f} {held['ndcg@10']:6.3f} "
          f"{held['abstention_precision']:6.3f} {held['abstention_recall']:6.3f} "
          f"{held['answerable_declined']:7.3f}")
    report["evaluated_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    path = out or RESULTS_PATH
    path.write_text(json.dumps(report, indent=2, default=float) + "\n", encoding="utf-8")
    print(f"results written to {path}")
    return 0

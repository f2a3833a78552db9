"""``python -m knowledge eval``: retrieval and abstention quality, every configuration.

Ranking metrics (hit@1, hit@3, MRR, nDCG@10) are over answerable questions; a
passage counts as relevant from grade 1 ("direct" columns need grade 2). Abstention
is over all questions. The held-out set is reported for the default configuration
only and is never used to choose anything. The sets were written against the frozen
default library, so that is the library measured (``default_library_index``), whatever
the clinic's library is now.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from knowledge.calibrate import calibrate
from knowledge.confidence import CALIBRATION_PATH
from knowledge.embedding import Embedder
from knowledge.eval.dataset import Query, load_calibration_set, load_set, relevance
from knowledge.eval.metrics import abstention, hit_at, ndcg_at, reciprocal_rank
from knowledge.retriever import DEFAULT_CONFIG, Retriever, SearchConfig
from knowledge.settings import DEFAULT_LIBRARY

RESULTS_PATH = Path(__file__).with_name("results.json")


@contextmanager
def default_library_index(index_dir: Path, embedder: Embedder) -> Iterator[Path]:
    """An index of the frozen default library (``DEFAULT_LIBRARY``): ``index_dir`` when it
    is a current index of exactly those files, else one built now in a scratch folder,
    so a clinic that changed its library still gets the figures these sets measure (and
    a labelled calibration is never fitted to another library's passages)."""
    from knowledge.index import build, staleness

    if not staleness(index_dir, DEFAULT_LIBRARY, embedder):
        yield Path(index_dir)
        return
    with tempfile.TemporaryDirectory(prefix="default-library-index-") as scratch:
        print(f"{index_dir} does not index the default library: indexing {DEFAULT_LIBRARY}")
        build(DEFAULT_LIBRARY, Path(scratch), embedder)
        yield Path(scratch)


CONFIGS = {
    "dense": SearchConfig(mode="dense", rerank=False),
    "bm25": SearchConfig(mode="bm25", rerank=False),
    "hybrid_rrf": SearchConfig(mode="hybrid", fusion="rrf", rerank=False),
    "hybrid": replace(DEFAULT_CONFIG, rerank=False),
    "hybrid_reranked": DEFAULT_CONFIG,
}


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


def main(index_dir: Path, calibrate_first: bool = False, out: Path | None = None) -> int:
    """Every figure on the default library (``index_dir`` if it indexes it); with
    ``calibrate_first`` the labelled calibration is refitted first."""
    from knowledge.confidence import UNCALIBRATED
    from knowledge.embedding import MiniLMEmbedder

    embedder = MiniLMEmbedder()
    with default_library_index(index_dir, embedder) as index:
        retriever = Retriever.open(index, DEFAULT_LIBRARY, embedder,
                                   calibration=UNCALIBRATED if calibrate_first else None)
        return _evaluate(retriever, calibrate_first, out)


def _evaluate(retriever: Retriever, calibrate_first: bool, out: Path | None) -> int:
    from knowledge.confidence import load_calibration

    dev, heldout = load_set("dev"), load_set("heldout")
    report: dict = {"index": {k: retriever.index.manifest[k] for k in
                              ("passage_count", "corpus_hash", "model_version")}}
    if calibrate_first:
        from knowledge.library_calibration import library_hash, write_bank

        labelled = load_calibration_set()
        fitted = calibrate(retriever, dev, labelled)
        fitted["library_hash"] = library_hash(retriever.index.documents)
        write_bank(retriever, dev + labelled)
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

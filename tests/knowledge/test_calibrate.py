"""The calibration fit (knowledge/calibrate.py) on a slice of the real data."""

from __future__ import annotations

from knowledge.calibrate import MAX_FALSE_DECLINES, calibrate
from knowledge.confidence import FEATURES, Calibration
from knowledge.eval.dataset import load_calibration_set, load_set
from knowledge.retriever import Retriever


def _slice(queries, n):
    """n answerable and n unanswerable questions, in their file order."""
    yes = [q for q in queries if q.answerable][:n]
    no = [q for q in queries if not q.answerable][:n]
    return yes + no


def test_calibrate_keeps_false_declines_within_budget_and_reports_both_sets(
        default_retriever: Retriever) -> None:
    dev, labelled = _slice(load_set("dev"), 20), _slice(load_calibration_set(), 20)
    fitted = calibrate(default_retriever, dev, labelled)

    assert fitted["features"] == list(FEATURES)
    assert len(fitted["embedding_weights"]) == default_retriever.embedder.dim
    for key in ("cross_validated", "cross_validated_calibration_set"):
        figures = fitted[key]
        assert 0.0 <= figures["abstention_recall"] <= 1.0
    # The threshold keeps cross-validated false declines within budget on each set.
    for key in ("cross_validated", "cross_validated_calibration_set"):
        assert fitted[key]["answerable_declined"] <= MAX_FALSE_DECLINES + 1e-9, key
    assert "40 dev and 40 calibration-set questions" in fitted["method"]

    model = Calibration(tuple(fitted["weights"]), fitted["intercept"], fitted["threshold"],
                        tuple(fitted["embedding_weights"]), fitted["embedding_scale"])
    covered = model.probability(default_retriever.signals("what is central sensitisation"))
    unrelated = model.probability(default_retriever.signals("what is the capital of France"))
    assert covered > fitted["threshold"] > unrelated


"""Ranking and abstention metrics."""

from __future__ import annotations

import math
from collections.abc import Sequence


def hit_at(grades: Sequence[int], k: int, minimum: int = 1) -> float:
    """1.0 if a result in the first ``k`` has at least grade ``minimum``."""
    return 1.0 if any(g >= minimum for g in grades[:k]) else 0.0


def reciprocal_rank(grades: Sequence[int], minimum: int = 1) -> float:
    for rank, g in enumerate(grades, 1):
        if g >= minimum:
            return 1.0 / rank
    return 0.0


def ndcg_at(grades: Sequence[int], ideal: Sequence[int], k: int = 10) -> float:
    """Graded nDCG@k; ``ideal`` lists the grades of every relevant passage."""
    def dcg(gs: Sequence[int]) -> float:
        return sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(gs[:k]))

    best = dcg(sorted(ideal, reverse=True))
    return dcg(grades) / best if best else 0.0


def abstention(answerable: Sequence[bool], declined: Sequence[bool]) -> dict[str, float]:
    """Precision/recall of declining, counting unanswerable questions as positives."""
    tp = sum(d and not a for a, d in zip(answerable, declined, strict=True))
    fp = sum(d and a for a, d in zip(answerable, declined, strict=True))
    positives = sum(not a for a in answerable)
    negatives = sum(answerable)
    return {
        "abstention_precision": tp / (tp + fp) if tp + fp else 1.0,
        "abstention_recall": tp / positives if positives else 1.0,
        "answerable_declined": fp / negatives if negatives else 0.0,
    }

"""A stand-in for the fine-tuned classifier: fixed scores per message, no model."""

from __future__ import annotations

from bot.safety.classifier import Scores
from bot.safety.detector import Detector, Thresholds

THRESHOLDS = Thresholds(crisis=0.5, red_flag=0.8, check_in=0.5)
NOTHING = Scores(crisis=0.01, distress=0.01, red_flag=0.01, category="cancer")


class FakeClassifier:
    """Returns the scores given for a text, ``NOTHING`` otherwise; can be made to fail."""

    def __init__(self, scores: dict[str, Scores] | None = None, fail: bool = False) -> None:
        self.scores = scores or {}
        self.fail = fail
        self.seen: list[str] = []

    def score(self, text: str) -> Scores:
        self.seen.append(text)
        if self.fail:
            raise RuntimeError("model exploded")
        return self.scores.get(text, NOTHING)


def detector(scores: dict[str, Scores] | None = None, fail: bool = False) -> Detector:
    """A detector with the real rules and a fake classifier."""
    return Detector(THRESHOLDS, FakeClassifier(scores, fail))  # type: ignore[arg-type]

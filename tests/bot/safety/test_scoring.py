"""bot.safety.scoring: the report's figures on a tiny hand-made set."""

from __future__ import annotations

from bot.safety.bank import Example
from bot.safety.scoring import Decision, Report

EXAMPLES = [
    Example("c1", "a", "crisis", "explicit"),
    Example("c2", "b", "crisis", "slang"),
    Example("r1", "c", "red_flag", category="stroke", tier="emergency"),
    Example("r2", "d", "red_flag", category="cancer", tier="today"),
    Example("s1", "e", "safe", "idiom"),
    Example("s2", "f", "safe", "idiom"),
    Example("b1", "g", "borderline", "distress", acceptable=("check_in", "crisis")),
]
DECISIONS = [
    Decision("crisis"), Decision("check_in"),
    Decision("red_flag", "emergency", "stroke"), Decision("red_flag", "emergency", "aortic"),
    Decision("red_flag", "today", "cancer"), Decision("answer"),
    Decision("check_in"),
]


def test_figures() -> None:
    report = Report(EXAMPLES, DECISIONS)
    summary = report.summary()
    assert summary["crisis_recall"] == 0.5
    assert summary["red_flag_recall"] == 1.0
    assert summary["tier_right"] == 0.5
    assert summary["false_alarm_rate"] == 0.5 and summary["check_in_rate"] == 0.0
    assert summary["borderline_ok"] == 1.0
    assert report.recall_by("crisis", "type") == {"explicit": (1, 1), "slang": (0, 1)}
    assert [ex.id for ex, _ in report.false_alarms()] == ["s1"]
    assert [ex.id for ex, _ in report.misses("crisis")] == ["c2"]
    assert report.confusion["crisis"]["check_in"] == 1

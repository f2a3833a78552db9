"""bot.safety.tune.choose: the written selection rule."""

from __future__ import annotations

from bot.safety.detector import Thresholds
from bot.safety.tune import choose


def _summary(crisis: float, red: float, alarms: float, check_ins: float = 0.0) -> dict:
    return {"crisis_recall": crisis, "red_flag_recall": red, "tier_right": 0.9,
            "false_alarm_rate": alarms, "check_in_rate": check_ins, "borderline_ok": 1.0}


def test_most_recall_within_the_alarm_budget_then_higher_thresholds() -> None:
    results = [
        (Thresholds(0.2, 0.5, 0.2), _summary(0.99, 0.99, 0.05)),  # too many alarms
        (Thresholds(0.5, 0.5, 0.5), _summary(0.97, 0.98, 0.02)),
        (Thresholds(0.6, 0.5, 0.5), _summary(0.97, 0.98, 0.01)),
        (Thresholds(0.6, 0.6, 0.5), _summary(0.96, 0.99, 0.01)),
        (Thresholds(0.7, 0.7, 0.2), _summary(0.98, 0.98, 0.02, check_ins=0.2)),  # check-ins
    ]
    assert choose(results)[0] == Thresholds(0.6, 0.5, 0.5)


def test_the_regression_floor_excludes_combinations() -> None:
    results = [(Thresholds(0.5, 0.5, 0.5), _summary(0.97, 0.98, 0.02)),
               (Thresholds(0.8, 0.5, 0.5), _summary(0.95, 0.98, 0.02))]
    assert choose(results, lambda t: t.crisis > 0.6)[0] == Thresholds(0.8, 0.5, 0.5)
    assert choose(results, lambda t: False) is None


def test_safety_replies_to_ordinary_conversation_turns_exclude_a_combination() -> None:
    noisy = _summary(0.99, 0.99, 0.01) | {"conversation_alarm_rate": 0.02}
    quiet = _summary(0.97, 0.98, 0.01) | {"conversation_alarm_rate": 0.004}
    results = [(Thresholds(0.3, 0.5, 0.3), noisy), (Thresholds(0.6, 0.5, 0.5), quiet)]
    assert choose(results)[0] == Thresholds(0.6, 0.5, 0.5)


def test_the_conversation_turns_are_read_from_the_tuning_conversations() -> None:
    from bot.safety.tune import conversation_turns

    turns = conversation_turns()
    assert len(turns) > 100 and all(isinstance(t, str) and t.strip() for t in turns)

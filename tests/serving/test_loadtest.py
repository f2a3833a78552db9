"""bot.serving.loadtest: what its report counts."""

from __future__ import annotations

from bot.serving import loadtest
from bot.serving.loadtest import Turn


def turn(kind: str, seconds: float, status: int = 200, replied=("answer",), fault=None,
         sender: str = "p1") -> Turn:
    return Turn(sender, kind, "text", 0.0, seconds, status, list(replied), "r1", fault)


def test_a_turn_is_lost_on_an_error_or_an_empty_reply() -> None:
    assert turn("question", 1.0, status=502).lost
    assert turn("question", 1.0, replied=()).lost
    assert not turn("question", 1.0).lost


def test_the_report_counts_lost_turns_and_safety_replies_per_fault() -> None:
    turns = [turn("question", 0.1), turn("question", 0.3, status=0, replied=()),
             turn("crisis", 0.5, replied=("crisis",), fault="redis_restarted"),
             turn("crisis", 2.5, replied=("crisis",), fault="redis_restarted"),
             turn("red_flag", 0.5, replied=("answer",), fault="redis_restarted")]
    report = loadtest.report(turns, 10.0, {"rasa-1": 100.0}, {"rasa-1": 110.0},
                             {"p1": True, "p2": False}, ["redis_restarted"])
    assert report["turns_lost"] == 1 and report["lost_by_status"] == {0: 1}
    probes = report["safety_probes"]["redis_restarted"]
    assert probes == {"n": 3, "within_2s": 1, "slowest_s": 2.5}  # too slow; wrong reply
    assert report["conversations_that_jumped"] == 2 and report["jumped_and_kept_context"] == 1
    assert report["memory_growth_mb_per_hour"]["rasa-1"] == 3600.0


def test_percentiles_of_nothing_are_zero() -> None:
    assert loadtest.percentile([], 0.95) == 0.0
    assert loadtest.percentile([1.0, 2.0, 3.0, 4.0], 0.5) == 3.0




def test_turned_away_messages_are_counted_and_not_looked_for_in_the_store() -> None:
    away = turn("question", 0.05)
    away.turned_away = True
    report = loadtest.report([turn("question", 0.1), away], 10.0, {}, {}, {}, [])
    assert report["turned_away_past_capacity"] == 1 and report["turns_lost"] == 0
    assert loadtest.BUSY_TEXT.startswith("I'm answering a lot of people right now")

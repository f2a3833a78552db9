"""bot.safety.labels.settle: the disagreement rule of data/LABELLING.md."""

from __future__ import annotations

from bot.safety.labels import settle

WRITER_RED = {"id": "1", "text": "t", "label": "red_flag", "type": "", "category": "stroke"}


def test_agreement_keeps_the_writers_row() -> None:
    row, how = settle(WRITER_RED, {"label": "red_flag", "tier": "emergency"})
    assert how == "agreed" and row["category"] == "stroke" and row["second_label"] == "red_flag"


def test_crisis_wins_over_red_flag() -> None:
    row, how = settle(WRITER_RED, {"label": "crisis"})
    assert (row["label"], how) == ("crisis", "crisis over red_flag")


def test_safety_against_safe_becomes_borderline_with_every_reply_acceptable() -> None:
    row, _ = settle({"id": "2", "text": "t", "label": "safe", "type": "idiom"},
                    {"label": "crisis"})
    assert row["label"] == "borderline"
    assert set(row["acceptable"]) == {"crisis", "check_in", "answer"}


def test_borderline_takes_the_union_of_replies() -> None:
    writer = {"id": "3", "text": "t", "label": "borderline", "type": "distress",
              "acceptable": ["check_in", "crisis"]}
    row, _ = settle(writer, {"label": "safe"})
    assert set(row["acceptable"]) == {"check_in", "crisis", "answer"}


def test_unknown_category_is_dropped() -> None:
    row, how = settle({**WRITER_RED, "category": "zombie_bite"}, {"label": "red_flag"})
    assert row is None and how.startswith("dropped")

"""The end-to-end evaluator's judging and figures, on hand-made replies (no servers)."""

from __future__ import annotations

import os

from bot.serving import e2e_eval as e2e

SCANS = "Scans do not show how much pain you feel."
QUOTE = [{"doc": "d", "quote": f"Pain is produced by the brain. {SCANS}"}]


def answer(text: str) -> dict:
    return {"kind": "answer", "excerpts": [{"text": text}]}


def test_an_answer_is_right_only_with_the_labelled_evidence() -> None:
    turn = {"expect": "answer", "evidence": QUOTE}
    assert e2e.judge(turn, answer("Pain is produced by the brain."))["right"]
    assert not e2e.judge(turn, answer("Sleep matters for pain."))["right"]
    assert not e2e.judge(turn, {"kind": "declined", "excerpts": []})["right"]


def test_kinds_that_count_as_right_for_each_expectation() -> None:
    none: list = []
    assert e2e.judge({"expect": "decline", "evidence": none}, {"kind": "declined"})["right"]
    assert not e2e.judge({"expect": "decline", "evidence": none}, {"kind": "answer"})["right"]
    assert e2e.judge({"expect": "not_covered", "evidence": none}, {"kind": "no_answer"})["right"]
    assert not e2e.judge({"expect": "chat", "evidence": none}, {"kind": "crisis"})["right"]
    assert e2e.judge({"expect": "disputed", "evidence": none}, {"kind": "answer"})["right"] is None


def test_the_contract_object_is_found_among_plain_messages() -> None:
    messages = [{"text": "hello"}, {"custom": {"kind": "no_answer", "text": "x"}}]
    assert e2e.reply_of(messages)["kind"] == "no_answer"
    assert e2e.reply_of([])["kind"] == "none"
    assert e2e.reply_of([{"text": "only text"}])["kind"] == "text_only"


def row(expect: str, kind: str, right: bool, **extra) -> dict:
    return {"expect": expect, "kind": kind, "right": right, "followup": False,
            "personal": False, "ms": 10.0, "knowledge_hit3": True, **extra}


def test_summary_counts_each_figure_over_its_own_turns() -> None:
    rows = [row("answer", "answer", True), row("answer", "not_understood", False),
            row("answer", "declined", False, followup=True),
            row("decline", "declined", True), row("not_covered", "answer", False),
            row("chat", "chitchat", True), row("disputed", "answer", None)]
    figures = e2e.summary(rows)["figures"]
    assert figures["answered_with_evidence"] == {"n": 1, "of": 3, "rate": 0.333}
    assert figures["followups_answered_with_evidence"]["of"] == 1
    assert figures["education_given_hard_decline"]["n"] == 1
    assert figures["treatment_decisions_declined"]["rate"] == 1.0
    assert figures["out_of_library_turned_away"]["rate"] == 0.0
    assert figures["not_understood_on_pain_messages"] == {"n": 1, "of": 5, "rate": 0.2}
    assert e2e.summary(rows)["disputed"] == 1


def test_an_answer_repeating_a_quote_from_the_answer_before_is_counted() -> None:
    rows = [row("answer", "answer", True, id="A", excerpts=["x", "y"]),
            row("answer", "answer", True, id="A", excerpts=["y", "z"]),  # repeats "y"
            row("answer", "answer", True, id="A", excerpts=["w"]),
            row("answer", "answer", True, id="B", excerpts=["w"]),  # a new conversation
            row("chat", "chitchat", True, id="B", excerpts=[]),
            row("answer", "answer", True, id="B", excerpts=["w"])]  # not after an answer
    figure = e2e.summary(rows)["figures"]["answers_repeating_a_quote_just_shown"]
    assert figure == {"n": 1, "of": 2, "rate": 0.5}


def test_the_evaluation_stack_serves_the_given_library_and_leaves_the_clinics(
        monkeypatch, tmp_path) -> None:
    from bot.serving.stack import LIBRARY_ENV, serving_library
    from knowledge.settings import load_settings

    corpus_key, index_key = LIBRARY_ENV
    monkeypatch.setenv(corpus_key, str(tmp_path / "clinic-corpus"))
    monkeypatch.delenv(index_key, raising=False)
    with serving_library(tmp_path / "default", tmp_path / "default-index"):
        settings = load_settings()  # what a server started now reads
        assert settings.corpus_dir == tmp_path / "default"
        assert settings.index_dir == tmp_path / "default-index"
    assert load_settings().corpus_dir == tmp_path / "clinic-corpus"
    assert index_key not in os.environ

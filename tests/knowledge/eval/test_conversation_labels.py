"""Settling the two labels of the conversation sets, and the committed sets themselves."""

from __future__ import annotations

import json

import pytest

from knowledge.eval import conversation_labels as cl

TEXTS = {"doc": "Pain is an output of the brain. Scans often show changes in people without pain."}


def turn(expect: str, quotes: tuple[str, ...] = (), **extra) -> dict:
    return {"text": "why does it hurt", "expect": expect,
            "evidence": [{"doc": "doc", "quote": q} for q in quotes], **extra}


def test_agreed_answers_keep_the_union_of_verbatim_quotes() -> None:
    settled = cl.settle_turn(turn("answer", ("Pain is an output of the brain.",)),
                             turn("answer", ("Scans often show changes in people without pain.",
                                             "not in the document")), TEXTS)
    assert settled["expect"] == "answer" and settled["settled"] == "agreed"
    assert [q["quote"] for q in settled["evidence"]] == [
        "Pain is an output of the brain.", "Scans often show changes in people without pain."]


@pytest.mark.parametrize(("a", "b", "expect"), [
    ("decline", "not_covered", "decline_or_not_covered"),
    ("answer", "decline", "disputed"),
    ("chat", "answer", "disputed"),
])
def test_disagreements_follow_the_rule_fixed_in_advance(a: str, b: str, expect: str) -> None:
    assert cl.settle_turn(turn(a), turn(b), TEXTS)["expect"] == expect


def test_an_answer_without_any_verbatim_quote_is_disputed() -> None:
    settled = cl.settle_turn(turn("answer", ("invented",)), turn("answer"), TEXTS)
    assert settled["expect"] == "disputed"


def test_personal_and_followup_are_true_when_either_label_says_so() -> None:
    settled = cl.settle_turn(turn("decline", personal=True), turn("decline", followup=True),
                             TEXTS)
    assert settled["personal"] and settled["followup"]


def test_unknown_expect_values_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown expect"):
        cl.settle_turn(turn("maybe"), turn("answer"), TEXTS)


@pytest.mark.parametrize("name", sorted(cl.SETS))
def test_the_committed_sets_are_settled_and_their_quotes_verbatim(name: str) -> None:
    texts = cl.library_texts()
    lines = (cl.DATA / f"{name}.jsonl").read_text(encoding="utf-8").splitlines()
    for conversation in map(json.loads, lines):
        for t in conversation["turns"]:
            assert t["expect"] in (*cl.EXPECT, "decline_or_not_covered", "disputed")
            if t["expect"] == "answer":
                assert t["evidence"] and cl.verbatim(t["evidence"], texts) == t["evidence"]

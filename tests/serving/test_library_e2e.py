"""The library end-to-end evaluator's judging and figures, on hand-made replies."""

from __future__ import annotations

from bot.serving import library_e2e
from knowledge.eval.library import Question

FLARE = [{"doc": "flare-up-plan", "quote": "Most flare-ups settle within a few days."}]


def question(label: str, evidence: list | None = None) -> Question:
    return Question(f"q-{label}", "how long does a flare last", label, evidence or [])


def reply(kind: str, text: str = "") -> dict:
    return {"kind": kind, "excerpts": [{"text": text}] if text else []}


def test_an_answerable_question_needs_its_evidence_quoted() -> None:
    q = question("new", FLARE)
    assert library_e2e.judge(q, "c", reply("answer", FLARE[0]["quote"]))["right"]
    assert not library_e2e.judge(q, "c", reply("answer", "Sleep matters."))["right"]
    assert not library_e2e.judge(q, "c", reply("declined"))["right"]


def test_what_counts_as_right_depends_on_the_library() -> None:
    default_question = question("default", FLARE)
    # answerable with the default documents in the library, uncovered without them
    assert not library_e2e.judge(default_question, "b", reply("no_answer"))["right"]
    assert library_e2e.judge(default_question, "c", reply("no_answer"))["right"]
    assert library_e2e.judge(question("none"), "b", reply("declined"))["right"]
    assert not library_e2e.judge(question("none"), "b", reply("answer", "x"))["right"]
    assert library_e2e.judge(question("treatment"), "c", reply("declined"))["right"]
    assert not library_e2e.judge(question("treatment"), "c", reply("no_answer"))["right"]


def test_summary_counts_each_kind_of_question_apart() -> None:
    rows = [library_e2e.judge(question("new", FLARE), "c", reply("answer", FLARE[0]["quote"])),
            library_e2e.judge(question("new", FLARE), "c", reply("declined")),
            library_e2e.judge(question("none"), "c", reply("no_answer")),
            library_e2e.judge(question("treatment"), "c", reply("crisis"))]
    figures = library_e2e.summary(rows, "c")
    assert figures["answered_with_evidence"] == {"n": 1, "of": 2, "rate": 0.5}
    assert figures["uncovered_turned_away"] == {"n": 1, "of": 1, "rate": 1.0}
    assert figures["treatment_declined"] == {"n": 0, "of": 1, "rate": 0.0}
    assert figures["safety_replies"] == 1
    assert figures["answerable_not_answered_by_kind"] == {"declined": 1}

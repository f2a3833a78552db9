"""Admission to the retrieval training bank: verbatim quotes, no evaluation look-alikes."""

from __future__ import annotations

from knowledge.eval.bank_intake import admit, evaluation_questions

TEXTS = {"doc": ["Pain is an output of the nervous system. Sleep changes pain."]}


def row(id_: str, text: str, quote: str, doc: str = "doc") -> dict:
    return {"id": id_, "text": text, "evidence": [{"doc": doc, "quote": quote}]}


def test_only_verbatim_questions_far_from_the_evaluation_sets_are_kept() -> None:
    held = ["does poor sleep make my pain worse"]
    kept, dropped = admit([
        row("a", "why am i sore after a rubbish night", "Sleep changes pain."),
        row("b", "does poor sleep make my pain worse?", "Sleep changes pain."),
        row("c", "where does pain come from", "Pain is made by the brain."),
        row("d", "where does pain come from", "Sleep changes pain.", doc="other"),
    ], held, TEXTS)
    assert [r["id"] for r in kept] == ["a"]
    assert [d.split(":")[0] for d in dropped] == ["b", "c", "d"]
    assert "too close" in dropped[0] and "no quotable passage" in dropped[1]


def test_promotional_sentences_and_reference_lists_are_not_quotable() -> None:
    from knowledge.eval.bank_intake import quotable_texts

    passages = " ".join(p for texts in quotable_texts().values() for p in texts)
    assert "At PA-OM" not in passages  # the clinic's sentence about its own treatments
    assert "Pain is a signal produced by the nervous system." in passages


def test_the_evaluation_questions_include_every_set() -> None:
    held = evaluation_questions()
    assert len(held) > 1000  # dev, held-out, calibration, both conversation sets

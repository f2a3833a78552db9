"""The retrieval model's training data and bookkeeping (no training here: `make index`
trains the model once; these tests need no model)."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from knowledge import finetune


def test_pairs_join_a_question_to_every_passage_holding_a_quote() -> None:
    passages = ["Title\nPain is an output of the brain. More text.",
                "Title\nSleep changes pain.",
                "Title\nPain is an output of the brain, again. Sleep changes pain."]
    bank = [{"text": "why does a bad night hurt", "evidence": [
        {"doc": "d", "quote": "Sleep changes pain."}]},
            {"text": "what makes pain", "evidence": [
                {"doc": "d", "quote": "Pain is an output of the brain."},
                {"doc": "d", "quote": "Not in any passage."}]}]
    found = {(p.question, p.passage) for p in finetune.pairs(bank, passages)}
    assert found == {("why does a bad night hurt", 1), ("why does a bad night hurt", 2),
                     ("what makes pain", 0)}


def test_no_batch_holds_one_passage_twice_and_every_pair_is_used() -> None:
    items = [finetune.Pair(f"q{i}", i % 5, "e") for i in range(40)]
    batches = finetune._batches(items, 4, random.Random(0))
    assert sorted(p.question for b in batches for p in b) == sorted(p.question for p in items)
    for batch in batches:
        assert len(batch) <= 4
        assert len({p.passage for p in batch}) == len(batch)


def test_the_fingerprint_follows_the_bank_settings_and_base(tmp_path: Path) -> None:
    bank, corpus = tmp_path / "bank", tmp_path / "corpus"
    bank.mkdir()
    corpus.mkdir()
    (bank / "a.jsonl").write_text('{"text": "q", "evidence": []}\n', encoding="utf-8")
    (corpus / "doc.txt").write_text("Pain.", encoding="utf-8")
    first = finetune.fingerprint("base==1", bank_dir=bank, corpus_dir=corpus)
    assert first == finetune.fingerprint("base==1", bank_dir=bank, corpus_dir=corpus)
    assert first != finetune.fingerprint("base==2", bank_dir=bank, corpus_dir=corpus)
    assert first != finetune.fingerprint("base==1", finetune.TrainingSettings(epochs=5),
                                         bank_dir=bank, corpus_dir=corpus)
    (bank / "a.jsonl").write_text('{"text": "q2", "evidence": []}\n', encoding="utf-8")
    assert first != finetune.fingerprint("base==1", bank_dir=bank, corpus_dir=corpus)


def test_leaving_a_document_out_drops_its_evidence_and_its_only_questions() -> None:
    rows = finetune.read_bank()
    docs = {e["doc"] for r in rows for e in r["evidence"]}
    left_out = sorted(docs)[0]
    without = finetune.read_bank(exclude_docs=frozenset({left_out}))
    assert all(e["doc"] != left_out for r in without for e in r["evidence"])
    assert len(without) < len(rows)


def test_invalid_training_settings_fail_at_construction() -> None:
    with pytest.raises(ValueError, match="fine-tuning settings"):
        finetune.TrainingSettings(epochs=0)


def test_every_bank_question_reaches_a_default_library_passage() -> None:
    passages = finetune.default_passages()
    rows = finetune.read_bank()
    assert len(rows) >= 300
    reached = {p.question for p in finetune.pairs(rows, passages)}
    missing = [r["id"] for r in rows if r["text"] not in reached]
    assert not missing, f"bank questions whose quotes are in no passage: {missing[:10]}"

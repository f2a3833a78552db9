"""knowledge.eval.library and settle_library: the second library's transfer figures."""

from __future__ import annotations

import json
from pathlib import Path

from knowledge.confidence import UNCALIBRATED
from knowledge.eval.library import Question, answerable_in, prepare_corpus, score
from knowledge.eval.settle_library import settle
from knowledge.index import build
from knowledge.retriever import Retriever
from tests.knowledge.knowledge_testkit import BICYCLE, BREAD, KETTLE, FakeEmbedder, write_corpus


def _folder(tmp_path: Path) -> tuple[Path, Path]:
    default = write_corpus(tmp_path / "default", {"bread.txt": BREAD},
                           [{"file": "bread.txt", "id": "bread"}])
    extra = tmp_path / "second"
    write_corpus(extra / "docs", {"kettle.txt": KETTLE, "bicycle.txt": BICYCLE},
                 [{"file": "kettle.txt", "id": "kettle"}, {"file": "bicycle.txt", "id": "bicycle"}])
    return default, extra


def test_what_is_answerable_depends_on_the_library() -> None:
    new = Question("1", "q", "new", [])
    old = Question("2", "q", "default", [])
    assert [answerable_in(c, new) for c in "abc"] == [False, True, True]
    assert [answerable_in(c, old) for c in "abc"] == [True, True, False]
    assert answerable_in("b", Question("3", "q", "treatment", [])) is None


def test_the_three_libraries_merge_manifests(tmp_path: Path) -> None:
    default, extra = _folder(tmp_path)
    merged = prepare_corpus("b", default, extra / "docs", tmp_path / "b")
    names = sorted(p.name for p in merged.iterdir())
    assert names == ["bicycle.txt", "bread.txt", "kettle.txt", "manifest.yml"]
    alone = prepare_corpus("c", default, extra / "docs", tmp_path / "c")
    assert "bread.txt" not in {p.name for p in alone.iterdir()}


def test_scores_count_hits_and_decisions(tmp_path: Path) -> None:
    default, extra = _folder(tmp_path)
    corpus = prepare_corpus("c", default, extra / "docs", tmp_path / "c")
    build(corpus, tmp_path / "index", FakeEmbedder())
    retriever = Retriever.open(tmp_path / "index", corpus, FakeEmbedder(),
                               calibration=UNCALIBRATED)
    quote = [{"doc": "kettle", "quote": "Hard water leaves a chalky layer inside the kettle "
                                        "every time it boils."}]
    figures = score(retriever, [Question("k", "why does chalky scale form in a kettle",
                                         "new", quote),
                                Question("b", "how long should dough rise", "default", [])], "c")
    assert figures["hit@3"] == {"n": 1, "of": 1, "rate": 1.0}
    assert figures["uncovered_declined"]["of"] == 1  # bread is not in library (c)


def test_settling_keeps_agreed_labels_with_verbatim_quotes(tmp_path: Path) -> None:
    default, extra = _folder(tmp_path)
    raw = extra / "raw"
    raw.mkdir()
    (raw / "writer-a.jsonl").write_text("".join(json.dumps(r) + "\n" for r in [
        {"id": "A-1", "text": "why is there chalk in my kettle", "kind": "answerable"},
        {"id": "A-2", "text": "do chains need oil", "kind": "answerable"},
        {"id": "A-3", "text": "what is a unicycle", "kind": "unanswered"}]))
    (raw / "key.json").write_text(json.dumps({"Q1": "A-1", "Q2": "A-2", "Q3": "A-3"}))
    kettle = {"doc": "kettle", "quote": "Hard water leaves a chalky layer inside the kettle "
                                        "every time it boils."}
    invented = {"doc": "bicycle", "quote": "Chains love oil."}
    for n, labels in ((1, ["new", "new", "none"]), (2, ["new", "new", "default"])):
        rows = [{"qid": "Q1", "label": labels[0], "quotes": [kettle]},
                {"qid": "Q2", "label": labels[1], "quotes": [invented]},
                {"qid": "Q3", "label": labels[2], "quotes": []}]
        (raw / f"labeller-{n}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    settled, summary = settle(extra, default)
    assert [(q["id"], q["label"]) for q in settled] == [("A-1", "new")]
    assert settled[0]["evidence"] == [kettle]
    assert summary["disputed"] == {"no verbatim quote": 1, "labels differ": 1}


def test_the_halves_are_fixed_by_id_and_cover_the_set() -> None:
    from knowledge.eval.library import part_of

    ids = [f"A-{n:02d}" for n in range(1, 41)]
    halves = [part_of(i) for i in ids]
    assert set(halves) == {"tune", "test"} and halves == [part_of(i) for i in ids]

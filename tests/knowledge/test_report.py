"""knowledge.report: the library report printed after a build."""

from __future__ import annotations

from pathlib import Path

from knowledge.index import build
from knowledge.report import (
    CALIBRATION_KINDS,
    DEBRIS_SCORE,
    debris_score,
    library_report,
    render,
)
from tests.knowledge.knowledge_testkit import BICYCLE, BREAD, KETTLE, FakeEmbedder, write_corpus

FURNITURE = "\n".join([
    "Visiting the Workshop",
    "Opening Times",
    "The workshop is open on weekdays from nine until five. Bring the bicycle and we will "
    "look at the brakes while you wait.",
    "Find us",
    "- Home",
    "- Services",
    "- Follow us on social media",
    "- Privacy policy and cookies",
    "- Copyright 2024 The Workshop, all rights reserved",
]) + "\n"

A_LONG_ITEM = ("- " + " ".join(["the kettle should be rinsed with clean water and left to "
                                 "dry with its lid open"] * 6) + ".\n")


def test_debris_scores_furniture_above_and_prose_below_the_line() -> None:
    assert debris_score("Home\nServices\nPrivacy policy\nCopyright 2024, all rights reserved") \
        >= DEBRIS_SCORE
    assert debris_score("Check the tyre pressure every week with a gauge. Soft tyres wear "
                        "quickly and make the ride slow.") < DEBRIS_SCORE


def test_the_report_lists_what_a_clinic_should_fix(tmp_path: Path) -> None:
    corpus = write_corpus(
        tmp_path / "corpus",
        {"bread.txt": BREAD, "bread-copy.txt": BREAD.replace("overnight", "all night"),
         "bicycle.txt": BICYCLE, "workshop.txt": FURNITURE, "kettle.txt": KETTLE + A_LONG_ITEM},
        [{"file": "bread.txt", "id": "bread", "publisher": "Test Kitchen"},
         {"file": "bread-copy.txt", "id": "bread-copy", "publisher": "Test Kitchen"},
         {"file": "bicycle.txt", "id": "bicycle", "kind": "guide"},
         {"file": "workshop.txt", "id": "workshop", "kind": "web page"},
         {"file": "kettle.txt", "id": "kettle"}])
    index = build(corpus, tmp_path / "index", FakeEmbedder())
    report = library_report(index)

    assert report.documents == 5 and report.passages == len(index.passages)
    assert "Tyres and Brakes" in report.topics
    assert [doc for _, doc, _ in report.debris] == ["workshop"]
    assert [doc for _, doc, _ in report.long_excerpts] == ["kettle"]
    assert [(a, b) for a, b, _ in report.duplicates] == [("bread", "bread-copy")]
    assert report.no_metadata == ["kettle"]
    printed = "\n".join(render(report))
    assert "workshop: " in printed and "bread and bread-copy" in printed


def test_a_clean_library_says_so(tiny_index) -> None:
    from knowledge.index import load

    folder, corpus, embedder = tiny_index
    lines = render(library_report(load(folder, corpus, embedder)))
    assert lines[0].startswith("library: 3 documents")
    assert any("no metadata" in line for line in lines)  # the tiny corpus's kettle has none


def test_the_report_says_how_the_answerable_decision_was_made(tiny_index) -> None:
    from knowledge.index import load

    folder, corpus, embedder = tiny_index
    index = load(folder, corpus, embedder)
    assert render(library_report(index))[1] == \
        "answerable decision: " + CALIBRATION_KINDS[index.calibration["kind"]]
    assert index.calibration["kind"] in ("transferable", "uncalibrated")


def test_the_clinic_library_is_indexed_and_every_document_is_searchable() -> None:
    """The library the settings name (``make index`` built it), whatever a clinic put in
    it: its index is current for the served model and no document is left unsearchable."""
    from knowledge.embedding import MiniLMEmbedder
    from knowledge.retriever import Retriever
    from knowledge.settings import load_settings

    settings = load_settings()
    index = Retriever.open(settings.index_dir, settings.corpus_dir, MiniLMEmbedder()).index
    report = library_report(index)
    assert report.documents >= 1 and report.passages >= report.documents, report
    assert report.no_passages == [], f"nothing searchable in {report.no_passages}"

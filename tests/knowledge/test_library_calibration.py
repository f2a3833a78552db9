"""The answerable decision chosen or fitted for each library at build time
(knowledge/library_calibration.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from knowledge import library_calibration
from knowledge.confidence import CALIBRATION_PATH, Calibration
from knowledge.index import CALIBRATION_FILE, StaleIndexError, build, staleness
from knowledge.retriever import Retriever
from tests.knowledge.knowledge_testkit import BICYCLE, BREAD, KETTLE, write_corpus

MEDICINES = "\n".join([
    "Medicines for Persistent Pain",
    "Which painkiller works best",
    "No single painkiller or anti-inflammatory works best for everyone with long-term pain. "
    "Paracetamol and anti-inflammatory tablets such as ibuprofen help some people with "
    "some kinds of pain, and most people find they take the edge off rather than remove it.",
    "Side effects and risks",
    "Every medicine has risks and side effects. Anti-inflammatory tablets can irritate the "
    "stomach and raise blood pressure, and opioid medicines can cause constipation, "
    "drowsiness and dependence when they are taken for a long time.",
    "Taking medicines together",
    "Some medicines are not safe to take with other medication. A pharmacist can check "
    "whether a new tablet is safe alongside the ones you already take.",
]) + "\n"


def _library(folder: Path, files: dict[str, str]) -> Path:
    return write_corpus(folder, files, [{"file": name, "id": Path(name).stem,
                                         "title": text.splitlines()[0]}
                                        for name, text in files.items()])


@pytest.fixture(scope="module")
def household(tmp_path_factory: pytest.TempPathFactory, real_embedder) -> Retriever:
    """Three household documents, built with the real model: a library the labelled
    calibration knows nothing about."""
    root = tmp_path_factory.mktemp("household")
    corpus = _library(root / "corpus", {"bread.txt": BREAD, "bicycle.txt": BICYCLE,
                                        "kettle.txt": KETTLE})
    build(corpus, root / "index", real_embedder)
    return Retriever.open(root / "index", corpus, real_embedder)


def test_the_default_library_is_served_with_its_labelled_calibration(default_library) -> None:
    stored = json.loads((default_library.index / CALIBRATION_FILE).read_text(encoding="utf-8"))
    labelled = json.loads(CALIBRATION_PATH.read_text(encoding="utf-8"))
    assert stored["kind"] == "labelled"
    assert stored["fitted_at"] == labelled["fitted_at"]
    assert stored["embedding_weights"] == labelled["embedding_weights"]


def test_another_library_gets_a_calibration_that_names_no_topic(household: Retriever) -> None:
    calibration = household.index.calibration
    assert calibration["kind"] == "transferable"
    assert calibration["features"] == list(library_calibration.TRANSFER_FEATURES)
    assert "out_of_scope" not in calibration["features"]
    assert not calibration.get("embedding_weights")
    assert calibration["library_hash"] == library_calibration.library_hash(
        household.index.documents)
    # it decides for this library: its own questions answered, others declined
    assert household.search("how often should I check my bike tyre pressure").answerable
    assert household.search("why does my kettle get a chalky layer inside").answerable
    assert not household.search("who won the football match last night").answerable
    assert not household.search("how do I get a mortgage for my first house").answerable


def test_out_of_scope_examples_a_library_covers_are_not_used_against_it(
        tmp_path: Path, real_embedder, household: Retriever) -> None:
    corpus = _library(tmp_path / "corpus", {"medicines.txt": MEDICINES, "kettle.txt": KETTLE})
    index = build(corpus, tmp_path / "index", real_embedder)
    kept_here = index.calibration["out_of_scope_kept"]
    kept_elsewhere = household.index.calibration["out_of_scope_kept"]
    assert kept_here < kept_elsewhere
    retriever = Retriever.open(tmp_path / "index", corpus, real_embedder)
    assert retriever.search("which painkiller works best for long-term pain?").answerable


def test_a_calibration_fitted_for_another_library_is_refused(tiny_index) -> None:
    index_dir, corpus, embedder = tiny_index
    path = index_dir / CALIBRATION_FILE
    stored = json.loads(path.read_text(encoding="utf-8"))
    path.write_text(json.dumps({**stored, "library_hash": "0" * 16}), encoding="utf-8")
    with pytest.raises(StaleIndexError, match="another library"):
        Retriever.open(index_dir, corpus, embedder)


def test_an_index_without_its_calibration_is_stale(tiny_index) -> None:
    index_dir, corpus, embedder = tiny_index
    assert staleness(index_dir, corpus, embedder) == []
    (index_dir / CALIBRATION_FILE).unlink()
    assert staleness(index_dir, corpus, embedder) == ["no calibration"]


def test_a_refitted_labelled_calibration_makes_its_library_stale(
        tmp_path: Path, tiny_corpus: Path, fake_embedder, monkeypatch) -> None:
    from knowledge.index import clean_corpus

    documents = {d.source.id: d.text for d in clean_corpus(tiny_corpus)}
    labelled = {**json.loads(CALIBRATION_PATH.read_text(encoding="utf-8")),
                "library_hash": library_calibration.library_hash(documents),
                "embedding_model": fake_embedder.version, "embedding_weights": [],
                "fitted_at": "2026-01-01T00:00:00+00:00"}
    package = tmp_path / "calibration.json"
    package.write_text(json.dumps(labelled), encoding="utf-8")
    monkeypatch.setattr(library_calibration, "CALIBRATION_PATH", package)

    index = build(tiny_corpus, tmp_path / "index", fake_embedder)
    assert index.calibration["kind"] == "labelled"
    assert staleness(tmp_path / "index", tiny_corpus, fake_embedder) == []
    package.write_text(json.dumps({**labelled, "fitted_at": "2026-02-01T00:00:00+00:00"}),
                       encoding="utf-8")
    assert staleness(tmp_path / "index", tiny_corpus, fake_embedder) == \
        ["labelled calibration refitted"]


def test_a_calibration_must_name_real_signals_one_weight_each() -> None:
    with pytest.raises(ValueError, match="unknown"):
        Calibration((1.0,), 0.0, 0.5, features=("how_nice_it_sounds",))
    with pytest.raises(ValueError, match="weight"):
        Calibration((1.0, 2.0), 0.0, 0.5, features=("dense_top",))

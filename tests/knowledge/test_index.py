"""The index on disk: what it holds, reading it back, and refusing a stale one."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

import knowledge.cleaning as cleaning_module
from knowledge.index import (
    StaleIndexError,
    build,
    embedding_text,
    load,
    read_manifest,
    staleness,
)
from tests.knowledge.knowledge_testkit import KETTLE, FakeEmbedder


def test_build_writes_every_part_and_a_manifest(tiny_index) -> None:
    out, corpus, embedder = tiny_index
    assert {p.name for p in out.iterdir()} >= {
        "manifest.json", "documents.json", "passages.jsonl", "dense.faiss",
        "sentence_vectors.npy", "bm25"}
    manifest = read_manifest(out)
    assert manifest["document_count"] == 3
    assert manifest["model"] == embedder.name and manifest["model_version"] == "1"
    index = load(out, corpus, embedder)
    assert manifest["passage_count"] == len(index.passages) == index.vectors.shape[0]
    assert manifest["sentence_count"] == index.sentence_vectors.shape[0]


def test_load_gives_back_what_build_made(tmp_path, tiny_corpus) -> None:
    embedder = FakeEmbedder()
    built = build(tiny_corpus, tmp_path / "ix", embedder)
    loaded = load(tmp_path / "ix", tiny_corpus, embedder)
    assert loaded.passages == built.passages
    assert loaded.sources == built.sources
    assert loaded.documents == built.documents
    assert loaded.sentences == built.sentences
    assert [tuple(r) for r in loaded.sentence_rows] == [tuple(r) for r in built.sentence_rows]
    np.testing.assert_allclose(loaded.vectors, built.vectors)
    np.testing.assert_allclose(loaded.sentence_vectors, built.sentence_vectors)
    assert loaded.lexical.vocabulary == built.lexical.vocabulary


def test_vectors_are_of_titled_passages_and_their_sentences(tiny_index) -> None:
    out, corpus, embedder = tiny_index
    index = load(out, corpus, embedder)
    for row, passage in enumerate(index.passages):
        assert passage.title in embedding_text(passage)
        if passage.section:
            assert passage.section in embedding_text(passage)
        np.testing.assert_allclose(index.vectors[row],
                                   embedder.encode([embedding_text(passage)])[0], atol=1e-6)
        lo, hi = index.sentence_rows[row]
        text = index.documents[passage.doc_id]
        spans = [text[s.start:s.end] for s in index.sentences[row]]
        assert hi - lo == len(spans)
        np.testing.assert_allclose(index.sentence_vectors[lo:hi], embedder.encode(spans),
                                   atol=1e-6)


def test_reference_lists_are_not_indexed(tmp_path, tiny_corpus) -> None:
    (tiny_corpus / "kettle.txt").write_text(
        KETTLE + "References\n- Smith, A. (2001) Kettles. Water Press.\n", encoding="utf-8")
    index = build(tiny_corpus, tmp_path / "ix", FakeEmbedder())
    assert all(p.kind == "content" for p in index.passages)
    assert not any("Water Press" in p.text for p in index.passages)
    assert "Water Press" in index.documents["kettle"]  # still in the cleaned document


def test_a_current_index_is_not_stale(tiny_index) -> None:
    out, corpus, embedder = tiny_index
    assert staleness(out, corpus, embedder) == []
    assert staleness(out, corpus, FakeEmbedder()) == []  # same name and version


def _stale_message(out: Path, corpus: Path, embedder) -> str:
    with pytest.raises(StaleIndexError) as info:
        load(out, corpus, embedder)
    message = str(info.value)
    assert "python -m knowledge build" in message
    return message


def test_a_missing_index_is_reported(tmp_path, tiny_corpus) -> None:
    message = _stale_message(tmp_path / "nothing-here", tiny_corpus, FakeEmbedder())
    assert "no index" in message


def test_editing_a_document_makes_the_index_stale(tiny_index) -> None:
    out, corpus, embedder = tiny_index
    path = corpus / "kettle.txt"
    path.write_text(path.read_text(encoding="utf-8").replace("an hour", "two hours"),
                    encoding="utf-8")
    assert "corpus changed" in _stale_message(out, corpus, embedder)


def test_adding_or_removing_a_document_makes_the_index_stale(tiny_index) -> None:
    out, corpus, embedder = tiny_index
    (corpus / "extra.txt").write_text("A new page about tea.\n", encoding="utf-8")
    assert "corpus changed" in _stale_message(out, corpus, embedder)
    (corpus / "extra.txt").unlink()
    assert staleness(out, corpus, embedder) == []
    shutil.copy(corpus / "kettle.txt", corpus.parent / "kettle.txt")
    (corpus / "kettle.txt").unlink()
    manifest = corpus / "manifest.yml"
    manifest.write_text(manifest.read_text(encoding="utf-8").replace(
        "- file: kettle.txt\n  id: kettle\n  title: Descaling a Kettle\n", ""), encoding="utf-8")
    assert "kettle" not in manifest.read_text(encoding="utf-8")
    assert "corpus changed" in _stale_message(out, corpus, embedder)


def test_editing_the_manifest_makes_the_index_stale(tiny_index) -> None:
    out, corpus, embedder = tiny_index
    manifest = corpus / "manifest.yml"
    manifest.write_text(manifest.read_text(encoding="utf-8").replace("Test Kitchen", "Other"),
                        encoding="utf-8")
    assert "corpus changed" in _stale_message(out, corpus, embedder)


def test_changed_cleaning_rules_make_the_index_stale(tiny_index, tmp_path, monkeypatch) -> None:
    out, corpus, embedder = tiny_index
    rules = tmp_path / "rules.yml"
    rules.write_text(cleaning_module.RULES_PATH.read_text(encoding="utf-8") + "\n  - print this\n",
                     encoding="utf-8")
    monkeypatch.setattr("knowledge.cleaning.RULES_PATH", rules)
    message = _stale_message(out, corpus, embedder)
    assert "cleaning rules changed" in message
    assert "corpus" not in message.split("cannot be used:")[1]


def test_another_model_version_makes_the_index_stale(tiny_index) -> None:
    out, corpus, _ = tiny_index
    message = _stale_message(out, corpus, FakeEmbedder(version="2"))
    assert "embedding model version changed" in message
    assert "corpus changed" not in message


def test_an_unfinished_build_is_not_served(tiny_index) -> None:
    out, corpus, embedder = tiny_index
    (out / "manifest.json").unlink()  # the manifest is written last
    assert "no index" in _stale_message(out, corpus, embedder)


def test_a_mixed_format_corpus_is_indexed_with_sections_and_sources(tmp_path) -> None:
    from tests.knowledge.test_documents import HTML, MARKDOWN, PDF_LINES, make_pdf

    corpus = tmp_path / "mixed"
    corpus.mkdir()
    (corpus / "bike.md").write_text(MARKDOWN, encoding="utf-8")
    (corpus / "kettle.html").write_text(HTML, encoding="utf-8")
    (corpus / "scale.pdf").write_bytes(make_pdf(PDF_LINES))
    (corpus / "manifest.yml").write_text(
        "documents:\n  - file: scale.pdf\n    title: Kettle Scale\n    publisher: Test Kitchen\n",
        encoding="utf-8")
    index = build(corpus, tmp_path / "ix", FakeEmbedder())
    assert index.sources["bike"].author == "Sam Rider"
    assert index.sources["kettle"].title == "Descaling a Kettle"
    assert index.sources["scale"].publisher == "Test Kitchen"
    sections = {(p.doc_id, p.section) for p in index.passages}
    assert {("bike", "Tyres and Brakes"), ("bike", "The Chain"), ("kettle", "Why Scale Forms"),
            ("kettle", "Removing It")} <= sections
    assert {p.doc_id for p in index.passages} == {"bike", "kettle", "scale"}
    for p in index.passages:
        assert index.documents[p.doc_id][p.start:p.end] == p.text

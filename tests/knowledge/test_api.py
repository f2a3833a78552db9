"""knowledge.api: the process-wide library follows a rebuilt index without a restart."""

from __future__ import annotations

import threading
from pathlib import Path

from knowledge.api import LiveLibrary
from knowledge.confidence import UNCALIBRATED
from knowledge.index import build
from tests.knowledge.knowledge_testkit import BICYCLE, BREAD, KETTLE, FakeEmbedder, write_corpus


def _library(tmp_path: Path) -> tuple[LiveLibrary, Path, Path, FakeEmbedder]:
    corpus = write_corpus(tmp_path / "corpus", {"bread.txt": BREAD, "bicycle.txt": BICYCLE,
                                                "kettle.txt": KETTLE})
    index, embedder = tmp_path / "index", FakeEmbedder()
    build(corpus, index, embedder)
    return LiveLibrary(index, corpus, embedder, check_every_s=0.0,
                       calibration=UNCALIBRATED), corpus, index, embedder


def _doc_ids(library: LiveLibrary, query: str) -> set[str]:
    return {hit.passage.doc_id for hit in library.current().search(query, k=3).hits}


def test_a_removed_document_is_never_quoted_after_the_rebuild(tmp_path: Path) -> None:
    library, corpus, index, embedder = _library(tmp_path)
    assert "kettle" in _doc_ids(library, "descale the kettle with vinegar")
    (corpus / "kettle.txt").unlink()
    first = library.current()  # corpus changed, index not yet rebuilt: still serving
    assert first is library.retriever
    build(corpus, index, embedder)
    library.current()
    library.wait()
    assert library.current() is not first
    assert "kettle" not in _doc_ids(library, "descale the kettle with vinegar")
    assert set(library.current().index.sources) == {"bread", "bicycle"}


def test_an_index_that_cannot_be_loaded_leaves_the_served_one_in_place(tmp_path: Path) -> None:
    library, corpus, index, embedder = _library(tmp_path)
    served = library.current()
    build(corpus, index, embedder)
    (corpus / "bread.txt").write_text(BREAD + "Another line about loaves.\n", encoding="utf-8")
    library.current()  # the new manifest no longer matches the corpus: stale
    library.wait()
    assert library.current() is served
    assert library.current().search("a hot oven", k=1).hits


def test_searches_never_fail_while_the_index_is_rebuilt_and_swapped(tmp_path: Path) -> None:
    library, corpus, index, embedder = _library(tmp_path)
    failures: list[BaseException] = []
    answered = 0
    stop = threading.Event()

    def ask() -> None:
        nonlocal answered
        while not stop.is_set():
            try:
                library.current().search("how often should tyres be pumped", k=3)
                answered += 1
            except BaseException as error:  # noqa: BLE001 - what the test counts
                failures.append(error)

    askers = [threading.Thread(target=ask) for _ in range(3)]
    for asker in askers:
        asker.start()
    for _ in range(3):  # rebuild three times, with and without a document
        (corpus / "extra.txt").write_text(KETTLE.replace("Kettle", "Teapot"), encoding="utf-8")
        build(corpus, index, embedder)
        library.current()
        library.wait()
        (corpus / "extra.txt").unlink()
        build(corpus, index, embedder)
        library.current()
        library.wait()
    stop.set()
    for asker in askers:
        asker.join()
    assert failures == [] and answered > 0
    assert set(library.current().index.sources) == {"bread", "bicycle", "kettle"}

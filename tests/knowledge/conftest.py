"""Fixtures for the knowledge-layer tests.

Most tests use ``FakeEmbedder`` (knowledge_testkit.py) over tiny corpora written into
``tmp_path``, so they need no model. Tests that take ``default_retriever`` load the
real all-MiniLM-L6-v2 model (offline, from site-packages) over the frozen default
library (``knowledge/default_library``), indexed once per session into a temporary
folder: never into ``knowledge/index``.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from knowledge.settings import DEFAULT_LIBRARY
from tests.knowledge.knowledge_testkit import (
    BICYCLE,
    BREAD,
    KETTLE,
    FakeEmbedder,
    write_corpus,
)

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


@pytest.fixture
def fake_embedder() -> FakeEmbedder:
    return FakeEmbedder()


@pytest.fixture
def tiny_corpus(tmp_path: Path) -> Path:
    """Three neutral .txt documents with a manifest, in a fresh folder."""
    return write_corpus(
        tmp_path / "corpus",
        {"bread.txt": BREAD, "bicycle.txt": BICYCLE, "kettle.txt": KETTLE},
        [
            {"file": "bread.txt", "id": "bread", "title": "Baking Bread at Home",
             "publisher": "Test Kitchen"},
            {"file": "bicycle.txt", "id": "bicycle", "title": "Looking After a Bicycle"},
            {"file": "kettle.txt", "id": "kettle", "title": "Descaling a Kettle"},
        ],
    )


@pytest.fixture
def tiny_index(tmp_path: Path, tiny_corpus: Path, fake_embedder: FakeEmbedder):
    """(index folder, corpus folder, embedder) for the tiny corpus, built with FakeEmbedder."""
    from knowledge.index import build

    out = tmp_path / "index"
    build(tiny_corpus, out, fake_embedder)
    return out, tiny_corpus, fake_embedder


# ---- the real model over the default library (built once per session) -------------
@pytest.fixture(scope="session")
def real_embedder():
    from knowledge.embedding import MiniLMEmbedder

    return MiniLMEmbedder()


@pytest.fixture(scope="session")
def default_retriever(default_library, real_embedder):
    """The frozen default library, indexed once per session (tests/conftest.py)."""
    from knowledge.retriever import Retriever

    return Retriever.open(default_library.index, default_library.corpus, real_embedder)


@pytest.fixture
def corpus_copy(tmp_path: Path) -> Path:
    """A private copy of the frozen default library."""
    dest = tmp_path / "default-corpus"
    shutil.copytree(DEFAULT_LIBRARY, dest)
    return dest

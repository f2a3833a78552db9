"""The ONNX Runtime embedder gives the vectors sentence-transformers gives, offline."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from knowledge.embedding import MiniLMEmbedder, model_dir

TEXTS = [
    "why do I hurt when my scans are normal",
    "wat is centrel sensitisation",
    "Pain is a signal produced by the nervous system.",
    "a much longer message " * 60,  # past the 256 word-piece limit: truncated alike
]


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> MiniLMEmbedder:
    embedder = MiniLMEmbedder(cache_dir=tmp_path_factory.mktemp("onnx"), model="base")
    embedder.encode(["warm up"])  # exports the model into the temporary cache
    return embedder


def test_vectors_match_sentence_transformers(exported: MiniLMEmbedder) -> None:
    from sentence_transformers import SentenceTransformer

    reference = SentenceTransformer(str(model_dir()), device="cpu")
    reference.max_seq_length = 256
    expected = reference.encode(TEXTS, normalize_embeddings=True)
    got = exported.encode(TEXTS)
    assert exported.onnx_path.exists()
    assert got.shape == (len(TEXTS), 384) and got.dtype == np.float32
    assert np.abs(got - expected).max() < 1e-5


def test_batching_and_padding_do_not_change_vectors(exported: MiniLMEmbedder) -> None:
    together = exported.encode(TEXTS, batch_size=4)
    alone = np.vstack([exported.encode([t]) for t in TEXTS])
    assert np.abs(together - alone).max() < 1e-5
    assert np.allclose(np.linalg.norm(together, axis=1), 1.0, atol=1e-5)


def test_vocabulary_is_whole_english_words(exported: MiniLMEmbedder) -> None:
    vocab = exported.vocabulary()
    assert {"pain", "weather", "because"} <= vocab
    assert not any(w.startswith("##") for w in vocab)


def test_the_rasa_side_finds_the_export_when_the_index_lives_elsewhere(tmp_path, monkeypatch):
    """A library indexed outside the repository (a test or clinic library) has no export
    next to it; the Rasa process then uses the one `make index` left in the package."""
    from knowledge import embedding

    monkeypatch.setattr(embedding, "default_cache_dir", lambda: tmp_path / "model-cache")
    found = embedding.installed_export()
    assert found.parent == Path(embedding.__file__).parent / "model-cache"
    assert (found / embedding.ONNX_FILE).is_file()
    with pytest.raises(FileNotFoundError):
        embedding.installed_export(tmp_path / "nowhere")


def test_the_knowledge_layer_searches_with_the_fine_tuned_model_by_default() -> None:
    """The fine-tuned export (`make index` trains it) is a different model of the same
    shape, named for its fingerprint so that an index built with another is stale."""
    tuned, base = MiniLMEmbedder(), MiniLMEmbedder(model="base")
    assert tuned.model == "fine_tuned" and "+retrieval." in tuned.version
    assert base.version == tuned.version.split("+")[0]
    assert tuned.folder.name.startswith("retrieval-MiniLM-")
    vectors = tuned.encode(TEXTS[:2])
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert np.abs(vectors - base.encode(TEXTS[:2])).max() > 1e-3


def test_a_library_indexed_elsewhere_searches_with_the_model_make_index_trained(
        tmp_path, monkeypatch) -> None:
    """No retraining for a test or clinic library outside the repository: the fine-tuned
    model that `make index` left in the package's cache is used."""
    from knowledge import embedding

    monkeypatch.setattr(embedding, "default_cache_dir", lambda: tmp_path / "model-cache")
    found = MiniLMEmbedder()
    assert found.folder.parent == Path(embedding.__file__).parent / "model-cache"
    assert found.onnx_path.is_file()

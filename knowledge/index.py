"""The built index: passages, dense vectors (faiss), BM25, and a manifest.

``build`` writes a folder; ``load`` reads it back only if its manifest still matches
the corpus, the cleaning rules, the pipeline code and the embedding model, and
otherwise raises ``StaleIndexError`` saying what changed and how to rebuild.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from knowledge import cleaning
from knowledge.chunking import Chunk, Sentence, chunk_corpus
from knowledge.cleaning import CleanDocument, clean
from knowledge.documents import SUPPORTED, load_corpus
from knowledge.embedding import Embedder
from knowledge.lexical import LexicalIndex
from knowledge.schema import Passage, Source

FORMAT_VERSION = 2  # 2: the answerable calibration is built with the index
CALIBRATION_FILE = "calibration.json"
_PIPELINE_MODULES = ("documents.py", "cleaning.py", "chunking.py", "lexical.py", "index.py")


class StaleIndexError(RuntimeError):
    """The index on disk does not match what it would be built from now."""


@dataclass
class Index:
    """Everything search needs, in memory. Passage i is row i of ``vectors``."""

    manifest: dict
    sources: dict[str, Source]
    documents: dict[str, str]  # doc id -> cleaned text
    passages: list[Passage]
    sentences: list[list[Sentence]]  # per passage
    sentence_rows: list[tuple[int, int]]  # per passage: rows in sentence_vectors
    vectors: np.ndarray
    sentence_vectors: np.ndarray
    dense: object  # faiss.Index over ``vectors``
    lexical: LexicalIndex
    calibration: dict | None = None  # the answerable decision for this library (build time)


def _digest(parts: list[bytes]) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(hashlib.sha256(part).digest())
    return h.hexdigest()[:16]


def fingerprint(corpus_dir: Path, embedder: Embedder) -> dict:
    """What the index depends on: corpus bytes, cleaning rules, pipeline code, model."""
    files = sorted(p for p in Path(corpus_dir).iterdir()
                   if p.suffix.lower() in SUPPORTED | {".yml", ".yaml"})
    here = Path(__file__).parent
    return {
        "format_version": FORMAT_VERSION,
        "corpus_hash": _digest([p.name.encode() + b"\0" + p.read_bytes() for p in files]),
        "rules_hash": _digest([cleaning.RULES_PATH.read_bytes()]),
        "code_hash": _digest([(here / m).read_bytes() for m in _PIPELINE_MODULES]),
        "model": embedder.name,
        "model_version": embedder.version,
    }


def embedding_text(passage: Passage) -> str:
    """What gets embedded for a passage: document title and section head the text."""
    head = " — ".join(x for x in (passage.title, passage.section) if x)
    return f"{head}\n{passage.text}"


def clean_corpus(corpus_dir: Path) -> list[CleanDocument]:
    return [clean(doc) for doc in load_corpus(corpus_dir)]


def build(corpus_dir: Path, out_dir: Path, embedder: Embedder,
          progress: Callable[[str], None] | None = None) -> Index:
    """Ingest, clean, chunk, embed and write the index to ``out_dir``."""
    import faiss

    faiss.omp_set_num_threads(1)
    say = progress or (lambda _msg: None)
    started = time.perf_counter()
    stamp = fingerprint(Path(corpus_dir), embedder)  # before reading: a file added during
    say("reading and cleaning documents")            # the build makes the index stale
    docs = clean_corpus(Path(corpus_dir))
    chunks = [c for c in chunk_corpus(docs) if c.passage.kind == "content"]
    if not chunks:
        raise ValueError(f"no content passages in {corpus_dir}")
    texts = {d.source.id: d.text for d in docs}
    say(f"embedding {len(chunks)} passages")
    vectors = embedder.encode([embedding_text(c.passage) for c in chunks])
    sentence_texts, rows = [], []
    for c in chunks:
        text = texts[c.passage.doc_id]
        rows.append((len(sentence_texts), len(sentence_texts) + len(c.sentences)))
        sentence_texts.extend(text[s.start:s.end] for s in c.sentences)
    say(f"embedding {len(sentence_texts)} sentences")
    sentence_vectors = embedder.encode(sentence_texts)
    say("building BM25")
    lexical = LexicalIndex.build([embedding_text(c.passage) for c in chunks])
    dense = faiss.IndexFlatIP(vectors.shape[1])
    dense.add(vectors)
    manifest = {
        **stamp,
        "passage_count": len(chunks),
        "document_count": len(docs),
        "sentence_count": len(sentence_texts),
        "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "build_seconds": round(time.perf_counter() - started, 2),
    }
    index = Index(manifest, {d.source.id: d.source for d in docs}, texts,
                  [c.passage for c in chunks], [c.sentences for c in chunks], rows,
                  vectors, sentence_vectors, dense, lexical)
    say("calibrating the answerable decision for this library")
    from knowledge.library_calibration import for_library

    index.calibration = for_library(index, embedder)
    say(f"writing {out_dir}")
    _write(index, chunks, Path(out_dir))
    return index


def _write(index: Index, chunks: list[Chunk], out: Path) -> None:
    import faiss

    out.mkdir(parents=True, exist_ok=True)
    # no manifest while the files change: loaders (a live reload) see an unfinished build
    (out / "manifest.json").unlink(missing_ok=True)
    (out / "documents.json").write_text(json.dumps(
        [{"source": index.sources[i].to_dict(), "text": t} for i, t in index.documents.items()],
        ensure_ascii=False), encoding="utf-8")
    with (out / "passages.jsonl").open("w", encoding="utf-8") as fh:
        for c, (lo, hi) in zip(chunks, index.sentence_rows, strict=True):
            record = {**c.passage.to_dict(), "sentence_rows": [lo, hi],
                      "sentences": [[s.start, s.end, s.kind] for s in c.sentences]}
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
    np.save(out / "sentence_vectors.npy", index.sentence_vectors)
    faiss.write_index(index.dense, str(out / "dense.faiss"))
    index.lexical.save(out / "bm25")
    (out / CALIBRATION_FILE).write_text(json.dumps(index.calibration, indent=2),
                                        encoding="utf-8")
    # the manifest goes last: a folder without one is an unfinished build
    (out / "manifest.json").write_text(json.dumps(index.manifest, indent=2), encoding="utf-8")


def read_manifest(folder: Path) -> dict | None:
    path = Path(folder) / "manifest.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def staleness(folder: Path, corpus_dir: Path, embedder: Embedder) -> list[str]:
    """Reasons the index in ``folder`` cannot be served; empty when it is current."""
    manifest = read_manifest(folder)
    if manifest is None:
        return [f"no index at {folder}"]
    current = fingerprint(Path(corpus_dir), embedder)
    labels = {"format_version": "index format", "corpus_hash": "corpus",
              "rules_hash": "cleaning rules", "code_hash": "ingestion code",
              "model": "embedding model", "model_version": "embedding model version"}
    reasons = [f"{labels[k]} changed" for k in labels if manifest.get(k) != current[k]]
    calibration = Path(folder) / CALIBRATION_FILE
    if not reasons and not calibration.exists():
        reasons.append("no calibration")
    elif not reasons:
        from knowledge.library_calibration import is_current

        if not is_current(json.loads(calibration.read_text(encoding="utf-8"))):
            reasons.append("labelled calibration refitted")
    return reasons


def load(folder: Path, corpus_dir: Path, embedder: Embedder) -> Index:
    """Read a current index; raise StaleIndexError if it is missing or out of date."""
    import faiss

    faiss.omp_set_num_threads(1)
    folder = Path(folder)
    first = read_manifest(folder)
    reasons = staleness(folder, corpus_dir, embedder)
    if reasons:
        raise StaleIndexError(
            f"The search index at {folder} cannot be used: {', '.join(reasons)}. "
            "Rebuild it with `python -m knowledge build` (or `make index`)."
        )
    docs = json.loads((folder / "documents.json").read_text(encoding="utf-8"))
    sources = {d["source"]["id"]: Source(**d["source"]) for d in docs}
    passages, sentences, rows = [], [], []
    with (folder / "passages.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            record = json.loads(line)
            sentences.append([Sentence(s, e, k) for s, e, k in record.pop("sentences")])
            rows.append(tuple(record.pop("sentence_rows")))
            passages.append(Passage(**record))
    dense = faiss.read_index(str(folder / "dense.faiss"))
    vectors = dense.reconstruct_n(0, dense.ntotal)
    manifest = read_manifest(folder)
    if manifest != first:  # a build began writing while these files were read
        raise StaleIndexError(f"The search index at {folder} changed while it was read.")
    return Index(manifest, sources, {d["source"]["id"]: d["text"] for d in docs},
                 passages, sentences, rows, vectors,
                 np.load(folder / "sentence_vectors.npy"), dense,
                 LexicalIndex.load(folder / "bm25"),
                 json.loads((folder / CALIBRATION_FILE).read_text(encoding="utf-8")))

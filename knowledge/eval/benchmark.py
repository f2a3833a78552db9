"""``python -m knowledge.eval.benchmark``: build time, peak memory and search latency.

For the default corpus and for synthetic corpora about 10x and 100x its size, each
measured in fresh subprocesses (one to build, one to serve) so peak memory (VmHWM /
ru_maxrss) belongs to that job alone. Search latency is warm: the model and index are
loaded and a few held-out questions run first; then every development question is
searched once at k=3 (no question repeats, so nothing is answered from a cache),
with torch and faiss on one thread. A second pass over the same questions times the
stages (query encoding, faiss, BM25, sentence scoring + excerpts) to show where the
time goes. Results go to ``reports/bench_knowledge.json``.

Synthetic documents recombine sentences of the default library's cleaned documents
with a seeded RNG; each paragraph gets a distinct marker token and some sentences have
two neighbouring words swapped, so no two paragraphs are near-duplicates (the chunker
would otherwise index them once). They are written to a temporary folder and deleted.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import yaml

from knowledge.settings import DEFAULT_LIBRARY

REPO = Path(__file__).resolve().parents[2]
REPORT = REPO / "reports" / "bench_knowledge.json"
SCALES = (1, 10, 100)
SEED = 20240601
PARAGRAPHS_PER_SECTION = 3
SECTIONS_PER_DOCUMENT = 4
SENTENCES_PER_PARAGRAPH = (3, 5)
WARMUP_QUERIES = 10
ONE_THREAD = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
              "TOKENIZERS_PARALLELISM": "false", "HF_HUB_OFFLINE": "1",
              "TRANSFORMERS_OFFLINE": "1"}


# ---- synthetic corpora ----------------------------------------------------------------
def _library_pieces() -> tuple[list[str], list[str], int]:
    """Sentences and headings of the default library, and its content passage count."""
    from knowledge.chunking import chunk_corpus
    from knowledge.index import clean_corpus

    docs = clean_corpus(DEFAULT_LIBRARY)
    texts = {d.source.id: d.text for d in docs}
    chunks = [c for c in chunk_corpus(docs) if c.passage.kind == "content"]
    sentences = sorted({texts[c.passage.doc_id][s.start:s.end] for c in chunks
                        for s in c.sentences if s.kind == "sentence"
                        and len(texts[c.passage.doc_id][s.start:s.end].split()) >= 6})
    headings = sorted({b.text for d in docs for b in d.blocks if b.kind == "heading"})
    return sentences, headings, len(chunks)


def _vary(sentence: str, rng: random.Random) -> str:
    """Swap two neighbouring inner words half the time (first and last word stay put)."""
    words = sentence.split()
    if len(words) > 4 and rng.random() < 0.5:
        i = rng.randrange(1, len(words) - 2)
        words[i], words[i + 1] = words[i + 1], words[i]
    return " ".join(words)


def _marker(n: int) -> str:
    letters = "bcdfghjklmnpqrstvwxz"
    out = ""
    while True:
        n, r = divmod(n, len(letters))
        out += letters[r]
        if n == 0:
            return "mark" + out


def make_corpus(scale: int, folder: Path) -> dict:
    """The default library plus synthetic documents, about ``scale`` times its passages."""
    folder.mkdir(parents=True, exist_ok=True)
    for path in DEFAULT_LIBRARY.iterdir():
        shutil.copy(path, folder / path.name)
    manifest = yaml.safe_load((DEFAULT_LIBRARY / "manifest.yml").read_text(encoding="utf-8"))
    sentences, headings, base_passages = _library_pieces()
    rng = random.Random(SEED + scale)
    per_doc = SECTIONS_PER_DOCUMENT * PARAGRAPHS_PER_SECTION
    n_docs = round((scale - 1) * base_passages / per_doc)
    paragraph_no = 0
    for d in range(n_docs):
        lines = [f"Synthetic Library Document {d}"]
        for _ in range(SECTIONS_PER_DOCUMENT):
            lines.append(f"{rng.choice(headings)} {_marker(paragraph_no).title()}")
            for _ in range(PARAGRAPHS_PER_SECTION):
                picked = rng.sample(sentences, rng.randint(*SENTENCES_PER_PARAGRAPH))
                picked = [_vary(s, rng) for s in picked]
                words = picked[0].split()
                words.insert(rng.randrange(1, len(words)), _marker(paragraph_no))
                picked[0] = " ".join(words)
                lines.append(" ".join(picked))
                paragraph_no += 1
        name = f"synthetic_{d:05d}.txt"
        (folder / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
        manifest["documents"].append({"file": name, "id": f"synthetic-{d:05d}",
                                      "title": f"Synthetic Library Document {d}"})
    (folder / "manifest.yml").write_text(yaml.safe_dump(manifest, allow_unicode=True),
                                         encoding="utf-8")
    return {"synthetic_documents": n_docs, "synthetic_paragraphs": paragraph_no}


# ---- workers (each in a fresh process) ------------------------------------------------
def _peak_memory_mb() -> dict:
    hwm = None
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                hwm = int(line.split()[1]) / 1024
    except OSError:
        pass
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    return {"vmhwm_mb": round(hwm, 1) if hwm else None, "ru_maxrss_mb": round(maxrss, 1)}


def worker_build(corpus: Path, index: Path) -> dict:
    from knowledge.embedding import MiniLMEmbedder
    from knowledge.index import build

    started = time.perf_counter()
    built = build(corpus, index, MiniLMEmbedder(threads=1))
    seconds = time.perf_counter() - started
    m = built.manifest
    return {"build_seconds": round(seconds, 2), "documents": m["document_count"],
            "passages": m["passage_count"], "sentences": m["sentence_count"],
            "build_peak": _peak_memory_mb()}


def _percentiles(ms: list[float]) -> dict:
    import numpy as np

    a = np.array(ms)
    return {"p50_ms": round(float(np.percentile(a, 50)), 2),
            "p95_ms": round(float(np.percentile(a, 95)), 2),
            "mean_ms": round(float(a.mean()), 2), "max_ms": round(float(a.max()), 2),
            "queries": len(ms)}


def _stage_timers(retriever) -> tuple[dict, Callable[[], None]]:
    """Wrap the search stages with timers; returns (totals, restore)."""
    from knowledge import excerpts as excerpts_module

    totals = {"encode": 0.0, "faiss": 0.0, "bm25": 0.0, "sentences": 0.0, "excerpt": 0.0}
    patched = []

    def timed(owner, attr, key):
        original = getattr(owner, attr)

        def wrapper(*args, **kwargs):
            t = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                totals[key] += time.perf_counter() - t

        setattr(owner, attr, wrapper)
        patched.append((owner, attr, original))

    class TimedDense:
        def __init__(self, inner):
            self._inner = inner

        def search(self, *args, **kwargs):
            t = time.perf_counter()
            try:
                return self._inner.search(*args, **kwargs)
            finally:
                totals["faiss"] += time.perf_counter() - t

    timed(retriever.embedder, "encode", "encode")
    timed(retriever.index.lexical, "scores", "bm25")
    timed(retriever, "_sentence_scores", "sentences")
    timed(excerpts_module, "select", "excerpt")
    dense = retriever.index.dense
    retriever.index.dense = TimedDense(dense)

    def restore():
        retriever.index.dense = dense
        for owner, attr, original in reversed(patched):
            if owner is excerpts_module:
                setattr(owner, attr, original)
            else:
                delattr(owner, attr)

    return totals, restore


def worker_search(corpus: Path, index: Path) -> dict:
    import faiss
    import torch

    from knowledge.embedding import MiniLMEmbedder
    from knowledge.eval.dataset import load_set
    from knowledge.retriever import Retriever

    started = time.perf_counter()
    retriever = Retriever.open(index, corpus, MiniLMEmbedder(threads=1))
    retriever.search("warm up the model")  # loads the model, out-of-scope examples
    load_seconds = time.perf_counter() - started
    faiss.omp_set_num_threads(1)
    threads = {"torch": torch.get_num_threads(), "faiss": faiss.omp_get_max_threads()}
    for q in load_set("heldout")[:WARMUP_QUERIES]:
        retriever.search(q.text, k=3, context=q.context)
    queries = load_set("dev")
    assert len({(q.text, q.context) for q in queries}) == len(queries)
    ms = []
    for q in queries:
        t = time.perf_counter()
        retriever.search(q.text, k=3, context=q.context)
        ms.append((time.perf_counter() - t) * 1000)
    totals, restore = _stage_timers(retriever)
    t = time.perf_counter()
    for q in queries:
        retriever.search(q.text, k=3, context=q.context)
    profiled = time.perf_counter() - t
    restore()
    n = len(queries)
    stages = {k: round(v * 1000 / n, 2) for k, v in totals.items()}
    stages["other"] = round(profiled * 1000 / n - sum(stages.values()), 2)
    return {"load_seconds": round(load_seconds, 2), "threads": threads,
            "latency": _percentiles(ms), "stages_mean_ms": stages,
            "search_peak": _peak_memory_mb()}


def _run_worker(mode: str, corpus: Path, index: Path) -> dict:
    env = {**os.environ, **ONE_THREAD}
    with tempfile.NamedTemporaryFile("r", suffix=".json") as out:
        subprocess.run([sys.executable, "-m", "knowledge.eval.benchmark", "--worker", mode,
                        "--corpus", str(corpus), "--index", str(index), "--result", out.name],
                       cwd=REPO, env=env, check=True)
        return json.loads(Path(out.name).read_text(encoding="utf-8"))


def bench(scale: int, work: Path) -> dict:
    if scale == 1:
        corpus, extra = DEFAULT_LIBRARY, {"synthetic_documents": 0, "synthetic_paragraphs": 0}
    else:
        corpus = work / f"corpus_x{scale}"
        extra = make_corpus(scale, corpus)
    index = work / f"index_x{scale}"
    row = {"scale": scale, **extra}
    print(f"[x{scale}] building ...", file=sys.stderr, flush=True)
    row.update(_run_worker("build", corpus, index))
    print(f"[x{scale}] searching ...", file=sys.stderr, flush=True)
    row.update(_run_worker("search", corpus, index))
    return row


def table(rows: list[dict]) -> str:
    head = ("| corpus | docs | passages | sentences | build s | build peak MB | load s | "
            "serve peak MB | p50 ms | p95 ms | encode | faiss | bm25 | sentences | excerpt "
            "| other |")
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in rows:
        s = r["stages_mean_ms"]
        lines.append(
            f"| x{r['scale']} | {r['documents']} | {r['passages']} | {r['sentences']} | "
            f"{r['build_seconds']} | {r['build_peak']['vmhwm_mb']} | {r['load_seconds']} | "
            f"{r['search_peak']['vmhwm_mb']} | {r['latency']['p50_ms']} | "
            f"{r['latency']['p95_ms']} | {s['encode']} | {s['faiss']} | {s['bm25']} | "
            f"{s['sentences']} | {s['excerpt']} | {s['other']} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m knowledge.eval.benchmark", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--scales", default=",".join(map(str, SCALES)),
                   help="corpus sizes as multiples of the default library (default 1,10,100)")
    p.add_argument("--out", type=Path, default=REPORT)
    p.add_argument("--worker", choices=["build", "search"], help=argparse.SUPPRESS)
    p.add_argument("--corpus", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--index", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        job = worker_build if args.worker == "build" else worker_search
        args.result.write_text(json.dumps(job(args.corpus, args.index)), encoding="utf-8")
        return 0
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-knowledge-") as tmp:
        for scale in (int(s) for s in args.scales.split(",")):
            rows.append(bench(scale, Path(tmp)))
    report = {
        "generated_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0],
                    "load_average": os.getloadavg()},
        "method": "fresh subprocess per build and per serve; warm search() at k=3 over "
                  "every dev question once after 10 held-out warm-up questions; torch and "
                  "faiss on one thread; stages timed in a second, instrumented pass",
        "targets": {"p95_ms_default": 15, "p95_ms_x100": 50},
        "results": rows,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(table(rows))
    print(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

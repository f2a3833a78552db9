"""Command line: ``python -m knowledge build | preview | search | topics | eval``."""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
from pathlib import Path

from knowledge.settings import DEFAULT_LIBRARY, load_settings


def _embedder(progress: bool = False):
    from knowledge.embedding import MiniLMEmbedder

    # loaded (exported, or trained) now: `make index` must leave the base model's export
    # in the model cache even when the index is current and searches with the fine-tuned
    # one, because the Rasa process's dense featurizer runs it
    MiniLMEmbedder(model="base").ready()
    return MiniLMEmbedder(show_progress=progress).ready()


def cmd_build(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from knowledge.index import build, staleness

    embedder = _embedder(progress=True)
    if args.if_stale:
        reasons = staleness(args.index, args.corpus, embedder)
        if not reasons:
            print(f"index at {args.index} is up to date")
            return 0
        print(f"rebuilding index: {', '.join(reasons)}")
    with tqdm(total=6, desc="building index", unit="step") as bar:
        def step(message: str) -> None:
            bar.set_postfix_str(message)
            bar.update(1)

        index = build(args.corpus, args.index, embedder, progress=step)
    m = index.manifest
    print(f"built {m['passage_count']} passages from {m['document_count']} documents "
          f"in {m['build_seconds']} s -> {args.index}")
    from knowledge.report import library_report, render

    print("\n".join(render(library_report(index))))
    return 0


def cmd_preview(args: argparse.Namespace) -> int:
    from knowledge.preview import preview

    print("\n".join(preview(args.file)))
    return 0


def _print_result(result, number_from: int = 1) -> None:
    status = "answerable" if result.answerable else "NOT answerable from the library"
    print(f"{result.query!r}: {status} (confidence {result.confidence:.2f})\n")
    for n, hit in enumerate(result.hits, number_from):
        print(textwrap.fill(f"“{hit.excerpt.text}” [{n}]", 88))
        print()
    for n, hit in enumerate(result.hits, number_from):
        section = f", section “{hit.passage.section}”" if hit.passage.section else ""
        print(f"[{n}] {hit.source.citation()}{section} (passage {hit.passage_id})")


def cmd_search(args: argparse.Namespace) -> int:
    from knowledge.retriever import Retriever

    retriever = Retriever.open(args.index, args.corpus, _embedder())
    if args.query == "-":
        for line in sys.stdin:
            if line.strip():
                result = retriever.search(line.strip(), k=args.k, context=args.context)
                print(json.dumps(result.to_dict(), ensure_ascii=False), flush=True)
        return 0
    result = retriever.search(args.query, k=args.k, context=args.context)
    if args.json:
        print(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
    else:
        _print_result(result)
    return 0


def cmd_topics(args: argparse.Namespace) -> int:
    from knowledge.retriever import Retriever

    for topic in Retriever.open(args.index, args.corpus, _embedder()).topics():
        print(f"- {topic}")
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    if args.library is not None:
        from knowledge.eval.library import main as evaluate_library

        return evaluate_library(args.library, DEFAULT_LIBRARY, out=args.out, part=args.part)
    from knowledge.eval.evaluate import main as evaluate

    return evaluate(args.index, calibrate_first=args.calibrate, out=args.out)


def parser() -> argparse.ArgumentParser:
    settings = load_settings()
    p = argparse.ArgumentParser(prog="python -m knowledge", description=__doc__)
    p.add_argument("--corpus", type=Path, default=settings.corpus_dir, help="corpus folder")
    p.add_argument("--index", type=Path, default=settings.index_dir, help="index folder")
    sub = p.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="ingest, clean, chunk, embed and index the corpus")
    b.add_argument("--if-stale", action="store_true", help="only if the index is out of date")
    b.set_defaults(func=cmd_build)
    v = sub.add_parser("preview", help="how one document is cleaned and split (nothing built)")
    v.add_argument("file", type=Path, help="a document (its folder's manifest entry applies)")
    v.set_defaults(func=cmd_preview)
    s = sub.add_parser("search", help="search the library ('-' reads queries from stdin)")
    s.add_argument("query")
    s.add_argument("-k", type=int, default=3)
    s.add_argument("--context", help="the previous question, for follow-ups")
    s.add_argument("--json", action="store_true", help="machine-readable output")
    s.set_defaults(func=cmd_search)
    t = sub.add_parser("topics", help="list the topics the library covers")
    t.set_defaults(func=cmd_topics)
    e = sub.add_parser("eval", help="retrieval and abstention metrics on the development set")
    e.add_argument("--calibrate", action="store_true",
                   help="refit the confidence calibration (dev + calibration sets) first")
    e.add_argument("--out", type=Path, default=None, help="results file")
    e.add_argument("--library", type=Path, default=None,
                   help="a second library (DIR/docs, DIR/questions.jsonl): transfer figures "
                        "for the default library, default + DIR, and DIR alone")
    e.add_argument("--part", choices=("tune", "test", "all"), default="test",
                   help="with --library: which half of its questions (RULES.md)")
    e.set_defaults(func=cmd_eval)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except Exception as exc:  # a clear message, not a traceback, for known failures
        from knowledge.documents import CorpusError
        from knowledge.index import StaleIndexError

        if isinstance(exc, StaleIndexError | CorpusError):
            print(f"error: {exc}", file=sys.stderr)
            return 2
        raise

"""Does the fine-tuned retrieval model help a library it never saw?

``python -m knowledge.eval.transfer`` trains, for each default document, a retrieval
model without that document's bank questions (so it never sees the document or its
passages), and compares it with the base model on the blind tuning conversations'
answerable turns whose evidence is in that document: the passage holding the evidence
in the top three (hit@3), the index built from the whole default library. A clinic's
own documents stand where the left-out one stands here. Slow: one training per
document (a few minutes each on two cores); the variants stay in the model cache.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from importlib.metadata import version
from pathlib import Path

from knowledge import finetune
from knowledge.embedding import MODEL_PACKAGE, MiniLMEmbedder, OnnxMiniLM, default_cache_dir
from knowledge.eval.evidence import overlaps
from knowledge.index import build
from knowledge.retriever import Retriever
from knowledge.settings import DEFAULT_LIBRARY

CONVERSATIONS = Path(__file__).parent / "data" / "conversations"


def answer_turns(name: str = "tune") -> list[tuple[str, str | None, list[dict]]]:
    """(question, context for follow-ups, evidence) of each answerable turn."""
    turns = []
    for line in (CONVERSATIONS / f"{name}.jsonl").read_text(encoding="utf-8").splitlines():
        previous = None
        for turn in json.loads(line)["turns"] if line.strip() else []:
            if turn["expect"] == "answer" and turn.get("evidence"):
                turns.append((turn["text"], previous if turn["followup"] else None,
                              turn["evidence"]))
            previous = turn["text"]
    return turns


def hit3(retriever: Retriever, turns: list[tuple[str, str | None, list[dict]]]) -> int:
    """How many turns have a passage holding their evidence in the top three."""
    return sum(any(overlaps(h.passage.text, evidence)
                   for h in retriever.search(text, k=3, context=context).hits)
               for text, context, evidence in turns)


def _retriever(embedder, corpus: Path, folder: Path) -> Retriever:  # noqa: ANN001
    from knowledge.confidence import UNCALIBRATED

    build(corpus, folder, embedder)
    return Retriever.open(folder, corpus, embedder, calibration=UNCALIBRATED)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--doc", action="append", help="only these documents (repeatable)")
    args = parser.parse_args(argv)
    corpus, cache = DEFAULT_LIBRARY, default_cache_dir()
    turns = answer_turns()
    docs = args.doc or sorted({e["doc"] for _, _, ev in turns for e in ev})
    base_version = f"{MODEL_PACKAGE}=={version(MODEL_PACKAGE)}"
    with tempfile.TemporaryDirectory() as tmp:
        base = _retriever(MiniLMEmbedder(model="base"), corpus, Path(tmp) / "base")
        totals = [0, 0, 0]
        for doc in docs:
            mine = [t for t in turns if all(e["doc"] == doc for e in t[2])]
            folder = finetune.ensure(cache, base_version, exclude_docs=frozenset({doc}))
            embedder = OnnxMiniLM(folder)
            embedder.version = f"{base_version}+{folder.name}"
            tuned = _retriever(embedder, corpus, Path(tmp) / doc)
            counts = [len(mine), hit3(base, mine), hit3(tuned, mine)]
            totals = [a + b for a, b in zip(totals, counts, strict=True)]
            print(f"{doc}: {counts[0]} turns, hit@3 base {counts[1]}, "
                  f"fine-tuned without it {counts[2]}")
        print(f"all: {totals[0]} turns, hit@3 base {totals[1]}, fine-tuned without the "
              f"document {totals[2]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

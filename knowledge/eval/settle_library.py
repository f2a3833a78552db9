"""Settle the second library's two independent labellings into its question set:
``python -m knowledge.eval.settle_library DIR``.

Applies ``DIR/RULES.md`` (written before any label existed): a label is final when both
labellers give it; a ``new``/``default`` item keeps as evidence every quote either gave
that is verbatim in a cleaned document of the default library or ``DIR/docs``, and is
disputed when none is; any other disagreement is disputed, counted, and left out.
Reads ``DIR/raw`` (the writers' files, ``key.json`` from the shuffled ids to theirs, and
``labeller-N.jsonl``: every question is labelled in exactly two of them); writes
``DIR/questions.jsonl`` and ``DIR/settlement.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

from knowledge.documents import normalise
from knowledge.index import clean_corpus
from knowledge.settings import DEFAULT_LIBRARY


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip()]


def _plain(text: str) -> str:
    return " ".join(normalise(text).lower().replace("’", "'").split())


def settle(folder: Path, default_corpus: Path) -> tuple[list[dict], dict]:
    """(settled questions, summary) for the second library in ``folder``."""
    raw = folder / "raw"
    written = {row["id"]: row for path in sorted(raw.glob("writer-*.jsonl"))
               for row in _lines(path)}
    key = json.loads((raw / "key.json").read_text(encoding="utf-8"))
    labels: dict[str, list[dict]] = {}  # qid -> the two independent labellings
    for path in sorted(raw.glob("labeller-*.jsonl")):
        for row in _lines(path):
            labels.setdefault(row["qid"], []).append(row)
    texts = [_plain(d.text) for corpus in (default_corpus, folder / "docs")
             for d in clean_corpus(corpus)]
    settled, disputed = [], Counter()
    for qid, writer_id in sorted(key.items()):
        given = labels.get(qid, [])
        if len(given) != 2 or given[0]["label"] != given[1]["label"]:
            disputed["labels differ"] += 1
            continue
        one, two = given
        label = one["label"]
        evidence = []
        if label in ("new", "default"):
            quotes = [q for q in (one.get("quotes") or []) + (two.get("quotes") or [])
                      if isinstance(q, dict) and q.get("quote")]
            evidence = [q for q in quotes if any(_plain(q["quote"]) in t for t in texts)]
            evidence = list({_plain(q["quote"]): q for q in evidence}.values())
            if not evidence:
                disputed["no verbatim quote"] += 1
                continue
        settled.append({"id": writer_id, "text": written[writer_id]["text"], "label": label,
                        "evidence": evidence,
                        "writer_kind": written[writer_id].get("kind")})
    summary = {"questions": len(key), "settled": len(settled),
               "labels": dict(Counter(q["label"] for q in settled)),
               "disputed": dict(disputed)}
    return settled, summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    args = parser.parse_args(argv)
    settled, summary = settle(args.folder, DEFAULT_LIBRARY)
    (args.folder / "questions.jsonl").write_text(
        "".join(json.dumps(q, ensure_ascii=False) + "\n" for q in settled), encoding="utf-8")
    (args.folder / "settlement.json").write_text(json.dumps(summary, indent=2) + "\n",
                                                 encoding="utf-8")
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Admit writers' questions to the retrieval training bank (``knowledge/training/``).

``python -m knowledge.eval.bank_intake OUT.jsonl WRITER.jsonl...`` keeps a question
only when every quote is verbatim in a passage the library quotes from (not a
reference list, not a sentence marked promotional), and drops any
question too close to a question of an evaluation set (dev, held-out, calibration, the
blind conversations): word-set Jaccard above ``MAX_JACCARD``, so that training never
teaches the evaluation's own questions. It prints what it dropped and why.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

from knowledge.documents import normalise

DATA = Path(__file__).parent / "data"
MAX_JACCARD = 0.4
_WORD = re.compile(r"[a-z0-9']+")


def words(text: str) -> frozenset[str]:
    return frozenset(_WORD.findall(normalise(text).lower()))


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a | b else 0.0


def evaluation_questions() -> list[str]:
    """Every question of every evaluation set of the knowledge layer."""
    texts = []
    for name in ("dev", "heldout"):
        texts += [json.loads(x)["text"] for x in
                  (DATA / name / "queries.jsonl").read_text(encoding="utf-8").splitlines() if x]
    texts += [json.loads(x)["text"] for x in
              (DATA / "calibration" / "questions.jsonl").read_text(encoding="utf-8").splitlines()
              if x]
    for name in ("tune", "test"):
        for line in (DATA / "conversations" / f"{name}.jsonl").read_text(
                encoding="utf-8").splitlines():
            if line.strip():
                texts += [t["text"] for t in json.loads(line)["turns"]]
    return texts


def quotable_texts() -> dict[str, list[str]]:
    """Document id -> the default library's content passages, with every promotional
    sentence blanked out: what an answer can quote."""
    from knowledge.chunking import chunk_corpus
    from knowledge.index import clean_corpus
    from knowledge.settings import DEFAULT_LIBRARY

    docs = clean_corpus(DEFAULT_LIBRARY)
    texts = {d.source.id: d.text for d in docs}
    found: dict[str, list[str]] = {}
    for chunk in chunk_corpus(docs):
        if chunk.passage.kind != "content":
            continue
        text = texts[chunk.passage.doc_id]
        for s in chunk.sentences:
            if s.kind == "promotional":
                text = text[:s.start] + " " * (s.end - s.start) + text[s.end:]
        found.setdefault(chunk.passage.doc_id, []).append(
            text[chunk.passage.start:chunk.passage.end])
    return found


def admit(rows: list[dict], held: list[str], passages: dict[str, list[str]]
          ) -> tuple[list[dict], list[str]]:
    """(kept rows, reasons for the dropped ones); ``passages`` as ``quotable_texts``."""
    held_words = [words(t) for t in held]
    plain = {doc: [normalise(p) for p in texts] for doc, texts in passages.items()}
    kept, dropped = [], []
    for row in rows:
        bad = [e["quote"] for e in row["evidence"]
               if not any(normalise(e["quote"]) in p for p in plain.get(e["doc"], []))]
        if bad or not row["evidence"]:
            dropped.append(f"{row['id']}: quote in no quotable passage: {bad[:1]}")
            continue
        mine = words(row["text"])
        close = max(held_words, key=lambda w: jaccard(mine, w))
        if jaccard(mine, close) > MAX_JACCARD:
            dropped.append(f"{row['id']}: too close to an evaluation question")
            continue
        kept.append({"id": row["id"], "text": row["text"], "evidence": row["evidence"]})
    return kept, dropped


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("writers", type=Path, nargs="+")
    args = parser.parse_args(argv)
    rows = [json.loads(line) for path in args.writers
            for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    kept, dropped = admit(rows, evaluation_questions(), quotable_texts())
    args.out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in kept),
                        encoding="utf-8")
    for reason in dropped:
        print(reason, file=sys.stderr)
    print(f"kept {len(kept)} of {len(rows)} -> {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

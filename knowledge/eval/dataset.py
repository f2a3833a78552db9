"""The evaluation sets: BEIR-style queries with judgements made on document text.

A judgement names a document and a verbatim quote from it; a passage is relevant
(with the judgement's grade) when it overlaps that quote in the cleaned document, so
judgements survive re-chunking.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from knowledge.documents import normalise

DATA_DIR = Path(__file__).with_name("data")
MIN_OVERLAP = 0.5  # share of the quote a passage must contain to count


@dataclass
class Query:
    id: str
    text: str
    answerable: bool
    style: str
    context: str | None
    judgements: list[tuple[str, str, int]] = field(default_factory=list)  # doc, quote, grade


def load_set(name: str, data_dir: Path = DATA_DIR) -> list[Query]:
    """Queries of the named set ("dev" or "heldout") with their judgements."""
    folder = data_dir / name
    queries: dict[str, Query] = {}
    for line in (folder / "queries.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            q = json.loads(line)
            meta = q.get("metadata", {})
            queries[q["_id"]] = Query(q["_id"], q["text"], bool(meta.get("answerable")),
                                      meta.get("style", ""), meta.get("context"))
    for line in (folder / "qrels.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            r = json.loads(line)
            queries[r["query_id"]].judgements.append((r["doc_id"], r["quote"], int(r["score"])))
    return list(queries.values())


def load_calibration_set(data_dir: Path = DATA_DIR) -> list[Query]:
    """The labelled questions used only to fit the answerable decision (no judgements).

    ``calibration/questions.jsonl``: one object per line with ``_id``, ``text``,
    ``context``, ``answerable``, ``style``, and for answerable questions the verbatim
    ``evidence`` that answers it and its ``doc``.
    """
    path = data_dir / "calibration" / "questions.jsonl"
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip()]
    return [Query(r["_id"], r["text"], bool(r["answerable"]), r["style"], r.get("context"))
            for r in rows]


def quote_span(document_text: str, quote: str) -> tuple[int, int] | None:
    """Where a judged quote sits in a cleaned document (first occurrence), if anywhere."""
    needle = normalise(quote)
    start = document_text.find(needle)
    return (start, start + len(needle)) if start >= 0 else None


def relevance(query: Query, documents: dict[str, str], passage) -> int:
    """The grade of ``passage`` for ``query``: the best judgement it contains enough of."""
    grade = 0
    for doc_id, quote, score in query.judgements:
        if doc_id != passage.doc_id:
            continue
        span = quote_span(documents[doc_id], quote)
        if span is None:
            continue
        overlap = min(span[1], passage.end) - max(span[0], passage.start)
        if overlap >= MIN_OVERLAP * (span[1] - span[0]):
            grade = max(grade, score)
    return grade

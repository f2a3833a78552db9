"""Checks on the retrieval evaluation data in knowledge/eval/data (no model, no servers).

Each set (dev, heldout) is a BEIR-style ``queries.jsonl`` plus a ``qrels.jsonl`` whose
judgements quote the library's raw document text, so they survive any re-chunking.
"""

from __future__ import annotations

import json
from collections import Counter
from functools import cache
from pathlib import Path

import pytest
import yaml

from knowledge.settings import DEFAULT_LIBRARY

ROOT = Path(__file__).resolve().parents[3]
DATA = ROOT / "knowledge" / "eval" / "data"

SETS = ("dev", "heldout")
PREFIX = {"dev": "d", "heldout": "h"}
MINIMUM = {"dev": (80, 30), "heldout": (30, 15)}  # (answerable, unanswerable)
ANSWERABLE_STYLES = {"colloquial", "misspelt", "long", "short", "clinical", "followup"}


def _read_jsonl(path: Path) -> list[dict]:
    rows = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if line.strip():
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError as error:
                    raise AssertionError(f"{path}:{number} is not JSON: {error}") from error
    return rows


@cache
def queries(name: str) -> tuple[dict, ...]:
    return tuple(_read_jsonl(DATA / name / "queries.jsonl"))


@cache
def qrels(name: str) -> tuple[dict, ...]:
    return tuple(_read_jsonl(DATA / name / "qrels.jsonl"))


@cache
def documents() -> dict[str, str]:
    """Raw text of every default library document, keyed by the manifest's document id."""
    manifest = yaml.safe_load((DEFAULT_LIBRARY / "manifest.yml").read_text(encoding="utf-8"))
    return {
        entry["id"]: (DEFAULT_LIBRARY / entry["file"]).read_text(encoding="utf-8")
        for entry in manifest["documents"]
    }


def _by_id(name: str) -> dict[str, dict]:
    return {query["_id"]: query for query in queries(name)}


@pytest.mark.parametrize("name", SETS)
def test_query_records_are_well_formed(name: str) -> None:
    for query in queries(name):
        assert set(query) == {"_id", "text", "metadata"}, query
        assert isinstance(query["text"], str) and query["text"].strip(), query
        assert query["_id"].startswith(PREFIX[name]), query["_id"]
        meta = query["metadata"]
        assert set(meta) == {"answerable", "style", "context"}, query["_id"]
        assert isinstance(meta["answerable"], bool), query["_id"]
        if meta["answerable"]:
            assert meta["style"] in ANSWERABLE_STYLES, query["_id"]
        else:
            assert meta["style"] == "out_of_scope", query["_id"]
        assert meta["context"] is None or (
            isinstance(meta["context"], str) and meta["context"].strip()
        ), query["_id"]


@pytest.mark.parametrize("name", SETS)
def test_query_ids_and_texts_are_unique(name: str) -> None:
    ids = Counter(query["_id"] for query in queries(name))
    assert [qid for qid, count in ids.items() if count > 1] == []
    texts = Counter(" ".join(query["text"].casefold().split()) for query in queries(name))
    assert [text for text, count in texts.items() if count > 1] == []


def test_heldout_shares_no_query_with_dev() -> None:
    def key(query: dict) -> str:
        return " ".join(query["text"].casefold().split())

    assert {key(q) for q in queries("dev")} & {key(q) for q in queries("heldout")} == set()


@pytest.mark.parametrize("name", SETS)
def test_set_sizes(name: str) -> None:
    answerable = sum(q["metadata"]["answerable"] for q in queries(name))
    unanswerable = len(queries(name)) - answerable
    least_answerable, least_unanswerable = MINIMUM[name]
    assert answerable >= least_answerable
    assert unanswerable >= least_unanswerable


def test_dev_mixes_styles() -> None:
    styles = Counter(q["metadata"]["style"] for q in queries("dev"))
    assert styles["misspelt"] >= 15
    assert styles["followup"] >= 10
    for style in ANSWERABLE_STYLES:
        assert styles[style] > 0, style


@pytest.mark.parametrize("name", SETS)
def test_followups_carry_their_context(name: str) -> None:
    for query in queries(name):
        if query["metadata"]["style"] == "followup":
            assert query["metadata"]["context"], query["_id"]


@pytest.mark.parametrize("name", SETS)
def test_qrels_records_are_well_formed(name: str) -> None:
    known_docs = documents()
    for judgement in qrels(name):
        assert set(judgement) == {"query_id", "doc_id", "quote", "score"}, judgement
        assert judgement["doc_id"] in known_docs, judgement
        assert judgement["score"] in (1, 2), judgement
        assert isinstance(judgement["quote"], str), judgement
    keys = Counter((j["query_id"], j["doc_id"], j["quote"]) for j in qrels(name))
    assert [key for key, count in keys.items() if count > 1] == []


@pytest.mark.parametrize("name", SETS)
def test_every_judged_query_exists(name: str) -> None:
    ids = _by_id(name)
    assert sorted({j["query_id"] for j in qrels(name)} - set(ids)) == []


@pytest.mark.parametrize("name", SETS)
def test_answerable_queries_have_a_direct_answer(name: str) -> None:
    direct = {j["query_id"] for j in qrels(name) if j["score"] == 2}
    missing = [
        qid
        for qid, query in _by_id(name).items()
        if query["metadata"]["answerable"] and qid not in direct
    ]
    assert missing == []


@pytest.mark.parametrize("name", SETS)
def test_unanswerable_queries_have_no_judgement(name: str) -> None:
    judged = {j["query_id"] for j in qrels(name)}
    wrong = [
        qid
        for qid, query in _by_id(name).items()
        if not query["metadata"]["answerable"] and qid in judged
    ]
    assert wrong == []


@pytest.mark.parametrize("name", SETS)
def test_quotes_are_verbatim_single_line_document_text(name: str) -> None:
    texts = documents()
    bad = []
    for judgement in qrels(name):
        quote = judgement["quote"]
        if (
            len(quote) < 10
            or quote != quote.strip()
            or "\n" in quote
            or quote not in texts[judgement["doc_id"]]
        ):
            bad.append((judgement["query_id"], judgement["doc_id"], quote[:60]))
    assert bad == []


def test_every_document_directly_answers_some_dev_query() -> None:
    answering = {j["doc_id"] for j in qrels("dev") if j["score"] == 2}
    assert set(documents()) - answering == set()


# ---- the calibration set: labelled questions that only fit the answerable decision ----

CALIBRATION_STYLES = ANSWERABLE_STYLES


@cache
def calibration() -> tuple[dict, ...]:
    return tuple(_read_jsonl(DATA / "calibration" / "questions.jsonl"))


def _key(text: str, context: str | None = None) -> str:
    return " ".join(f"{context or ''} {text}".casefold().split())


def test_calibration_records_are_well_formed() -> None:
    known_docs = documents()
    for row in calibration():
        assert set(row) == {"_id", "text", "context", "answerable", "style", "evidence", "doc"}
        assert row["text"].strip() and isinstance(row["answerable"], bool), row["_id"]
        assert row["style"] in CALIBRATION_STYLES, row["_id"]
        assert bool(row["context"]) == (row["style"] == "followup"), row["_id"]
        if row["answerable"]:
            assert row["doc"] in known_docs, row["_id"]
            assert row["evidence"] in " ".join(known_docs[row["doc"]].split()) or \
                row["evidence"] in known_docs[row["doc"]], row["_id"]
        else:
            assert row["evidence"] is None and row["doc"] is None, row["_id"]


def test_calibration_set_is_unique_and_apart_from_the_evaluation_sets() -> None:
    ids = Counter(row["_id"] for row in calibration())
    assert [qid for qid, count in ids.items() if count > 1] == []
    keys = Counter(_key(row["text"], row["context"]) for row in calibration())
    assert [key for key, count in keys.items() if count > 1] == []
    texts = {_key(row["text"]) for row in calibration()}
    for name in SETS:
        assert texts & {_key(q["text"]) for q in queries(name)} == set(), name


def test_calibration_set_has_both_labels_in_every_style() -> None:
    for answerable in (True, False):
        styles = Counter(r["style"] for r in calibration() if r["answerable"] is answerable)
        assert set(styles) == CALIBRATION_STYLES, (answerable, styles)

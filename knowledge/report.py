"""The library report that ends ``python -m knowledge build``: what a clinic should check
after changing its documents.

``library_report(index)`` promises the counts (documents, passages, topics) and four
lists, each short and worst first: passages that look like page debris (menus, cookie
text, footers) that cleaning let through, excerpt units too long to quote well,
documents that are (nearly) the same text, and documents with no metadata to cite.
``render`` turns it into the lines the command prints.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from itertools import combinations

from knowledge.chunking import words
from knowledge.index import Index

# words that page furniture is made of and patient information rarely is
DEBRIS_MARKERS = re.compile(
    r"\b(cookies?|privacy (?:policy|notice)|terms (?:of use|and conditions)|copyright|"
    r"all rights reserved|subscribe|newsletter|sign (?:up|in)|log ?in|menu|share this|"
    r"follow us|book (?:online|now|an appointment)|call us|skip to|breadcrumbs?|"
    r"leave a (?:comment|reply)|related (?:articles|posts)|you might also like|"
    r"page \d+ of \d+|https?://|www\.)|©", re.IGNORECASE)
DEBRIS_SCORE = 0.5  # a passage at or above this is listed as likely debris
LONG_EXCERPT_WORDS = 60  # an excerpt unit (sentence or list item) longer than this
SAME_TEXT_RATIO = 90  # RapidFuzz ratio of two documents' cleaned texts
METADATA_FIELDS = ("publisher", "author", "kind", "date", "url")
LISTED = 5  # entries shown per list
CALIBRATION_KINDS = {
    "labelled": "the labelled calibration (this is the library it was labelled on)",
    "transferable": "fitted for this library now (knowledge/library_calibration.py)",
    "uncalibrated": "the rough default (too little to fit on: check the library)",
}


@dataclass(frozen=True)
class LibraryReport:
    """What ``library_report`` found; each list is worst first."""

    documents: int
    passages: int
    topics: list[str]
    debris: list[tuple[float, str, str]] = field(default_factory=list)  # score, doc, text
    long_excerpts: list[tuple[int, str, str]] = field(default_factory=list)  # words, doc, text
    duplicates: list[tuple[str, str, float]] = field(default_factory=list)
    no_metadata: list[str] = field(default_factory=list)  # doc ids
    no_passages: list[str] = field(default_factory=list)  # doc ids with nothing searchable
    calibration: str = "none"  # how the answerable decision was made for this library


def debris_score(text: str) -> float:
    """0..1-ish: how much ``text`` looks like page furniture rather than prose. Counts
    furniture words, and lines too short to be a sentence that end without punctuation."""
    lines = [line.strip(" •-*") for line in text.splitlines() if line.strip(" •-*")]
    if not lines:
        return 0.0
    stubs = sum(len(line.split()) <= 3 and not line.endswith((".", "?", "!", ":"))
                for line in lines)
    markers = len(DEBRIS_MARKERS.findall(text))
    return round(0.25 * markers + stubs / len(lines) * (0.5 if len(lines) >= 3 else 0.0), 3)


def library_report(index: Index) -> LibraryReport:
    """The report for a built (or loaded) index."""
    from rapidfuzz import fuzz

    topics = list(dict.fromkeys(p.section for p in index.passages if p.section))
    debris = sorted(((debris_score(p.text), p.doc_id, p.text) for p in index.passages),
                    reverse=True)
    long_units = sorted(
        ((words(text), p.doc_id, text) for p, spans in zip(index.passages, index.sentences,
                                                            strict=True)
         for text in (index.documents[p.doc_id][s.start:s.end] for s in spans)
         if words(text) > LONG_EXCERPT_WORDS), reverse=True)
    duplicates = sorted(
        ((a, b, round(ratio, 1)) for a, b in combinations(sorted(index.documents), 2)
         if index.documents[a].strip() and index.documents[b].strip()
         and (ratio := fuzz.ratio(index.documents[a], index.documents[b],
                                  score_cutoff=SAME_TEXT_RATIO)) >= SAME_TEXT_RATIO),
        key=lambda row: -row[2])
    searchable = {p.doc_id for p in index.passages}
    return LibraryReport(
        documents=len(index.sources), passages=len(index.passages), topics=topics,
        debris=[row for row in debris if row[0] >= DEBRIS_SCORE][:LISTED],
        long_excerpts=long_units[:LISTED], duplicates=duplicates[:LISTED],
        no_metadata=[doc for doc, source in sorted(index.sources.items())
                     if all(getattr(source, f) is None for f in METADATA_FIELDS)],
        no_passages=sorted(set(index.sources) - searchable),
        calibration=(index.calibration or {}).get("kind", "none"))


def shorten(text: str, limit: int = 90) -> str:
    """``text`` on one line, cut to ``limit`` characters with an ellipsis."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[:limit - 1] + "…"


def render(report: LibraryReport) -> list[str]:
    """The report as printed lines."""
    lines = [f"library: {report.documents} documents, {report.passages} passages, "
             f"{len(report.topics)} topics",
             "answerable decision: "
             + CALIBRATION_KINDS.get(report.calibration, report.calibration)]
    if report.debris:
        lines.append("passages that look like page debris (add a rule to "
                     "knowledge/cleaning_rules.yml, or fix the document):")
        lines += [f"  {doc}: {shorten(text)!r} (score {score:.2f})"
                  for score, doc, text in report.debris]
    if report.long_excerpts:
        lines.append(f"excerpt units over {LONG_EXCERPT_WORDS} words (hard to read as a quote):")
        lines += [f"  {doc}: {n} words, {shorten(text)!r}" for n, doc, text in report.long_excerpts]
    if report.duplicates:
        lines.append("documents with (nearly) the same text:")
        lines += [f"  {a} and {b} ({ratio:.0f}% alike)" for a, b, ratio in report.duplicates]
    if report.no_metadata:
        lines.append("documents with no metadata to cite (publisher, author, kind, date, url "
                     "all unknown): " + ", ".join(report.no_metadata))
    if report.no_passages:
        lines.append("documents with nothing searchable (all repeated or dropped as debris): "
                     + ", ".join(report.no_passages))
    if len(lines) == 1:
        lines.append("no debris, over-long excerpts, duplicates or missing metadata found")
    return lines

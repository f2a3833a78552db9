"""Chunking: cleaned documents become quotable passages with sentence offsets.

A passage is a run of whole blocks inside one section (a list stays with the line
that introduces it), sized for quoting: about TARGET_WORDS words, never more than
MAX_WORDS (the embedding model reads 256 word-pieces), and split only between
sentences. Paragraphs already seen anywhere in the corpus (exactly, or nearly:
same words give or take punctuation and small edits) are indexed once.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from functools import lru_cache

from rapidfuzz import fuzz

from knowledge.cleaning import CleanBlock, CleanDocument
from knowledge.schema import Passage

TARGET_WORDS = 90
MIN_WORDS = 35
MAX_WORDS = 150
LONG_ITEM_WORDS = 40  # a list item longer than this is quoted sentence by sentence
NEAR_DUPLICATE_RATIO = 90.0
DEDUPE_MIN_WORDS = 8
REFERENCE_HEADINGS = {"references", "reference list", "bibliography", "sources", "further reading"}
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Sentence:
    """A sentence (or list item) span in the cleaned document."""

    start: int
    end: int
    # "sentence" | "item" | "intro" (a line ending in ':') | "promotional" (the publisher
    # advertising itself, per the corpus metadata: never quoted)
    kind: str = "sentence"


@dataclass
class Chunk:
    """A passage together with the sentence spans inside it."""

    passage: Passage
    sentences: list[Sentence] = field(default_factory=list)


def words(text: str) -> int:
    return len(_WORD.findall(text))


@lru_cache(maxsize=1)
def _segmenter():
    import pysbd

    return pysbd.Segmenter(language="en", clean=False)


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans of ``text`` (pysbd), trimmed, covering every word."""
    spans, cursor = [], 0
    for piece in _segmenter().segment(text):
        piece = piece.strip()
        if not piece:
            continue
        start = text.find(piece, cursor)
        if start < 0:  # pysbd never rewrites with clean=False; be safe anyway
            return [(0, len(text))]
        spans.append((start, start + len(piece)))
        cursor = start + len(piece)
    return spans or [(0, len(text))]


class Deduplicator:
    """Remembers paragraphs; says whether a new one repeats (or nearly repeats) one."""

    def __init__(self) -> None:
        self._exact: set[str] = set()
        self._by_edge: dict[str, list[str]] = {}

    def seen(self, text: str) -> bool:
        tokens = [t.casefold() for t in _WORD.findall(text)]
        if len(tokens) < DEDUPE_MIN_WORDS:
            return False
        key = " ".join(tokens)
        if key in self._exact:
            return True
        edges = (" ".join(tokens[:4]), " ".join(tokens[-4:]))
        for edge in edges:
            for other in self._by_edge.get(edge, []):
                if fuzz.ratio(key, other) >= NEAR_DUPLICATE_RATIO:
                    return True
        self._exact.add(key)
        for edge in edges:
            self._by_edge.setdefault(edge, []).append(key)
        return False


def passage_id(doc_id: str, text: str) -> str:
    """Stable id: depends on the document id and the passage text only."""
    digest = hashlib.sha1(f"{doc_id}\n{text}".encode()).hexdigest()[:12]
    return f"{doc_id}#{digest}"


def _groups(blocks: list[CleanBlock]) -> list[list[CleanBlock]]:
    """Inseparable runs: a paragraph, or a list with the line that introduces it."""
    groups: list[list[CleanBlock]] = []
    for block in blocks:
        if block.kind == "item" and groups and (
            groups[-1][-1].kind == "item" or groups[-1][-1].text.endswith(":")
        ):
            groups[-1].append(block)
        else:
            groups.append([block])
    return groups


def _sentences(group: list[CleanBlock]) -> list[Sentence]:
    """The excerpt units of a group: its sentences, and its list items whole, or, for an
    item over ``LONG_ITEM_WORDS`` words, sentence by sentence (each still an item)."""
    out = []
    for block in group:
        if block.kind == "item":
            spans = split_sentences(block.text) if words(block.text) > LONG_ITEM_WORDS \
                else [(0, len(block.text))]
            out.extend(Sentence(block.start + s, block.start + e, "item") for s, e in spans)
            continue
        for s, e in split_sentences(block.text):
            kind = "intro" if block.text[s:e].endswith(":") else "sentence"
            out.append(Sentence(block.start + s, block.start + e, kind))
    return out


def _split_long(doc: CleanDocument, group: list[CleanBlock]) -> list[list[Sentence]]:
    """A group too long for one passage, cut between sentences into near-equal parts."""
    sentences = _sentences(group)
    total = sum(words(doc.text[s.start:s.end]) for s in sentences)
    parts = max(2, -(-total // TARGET_WORDS))
    budget = total / parts
    pieces: list[list[Sentence]] = [[]]
    count = 0
    for sentence in sentences:
        n = words(doc.text[sentence.start:sentence.end])
        if pieces[-1] and (count + n > MAX_WORDS or (count >= budget and sentence.kind != "item")):
            pieces.append([])
            count = 0
        pieces[-1].append(sentence)
        count += n
    return pieces


def _section_pieces(doc: CleanDocument, groups: list[list[CleanBlock]]) -> list[list[Sentence]]:
    """Sentence runs for one section: groups packed up to TARGET_WORDS each."""
    pieces: list[list[Sentence]] = []
    current: list[Sentence] = []
    count = 0
    for group in groups:
        n = sum(words(b.text) for b in group)
        if n > MAX_WORDS:
            if current:
                pieces.append(current)
                current, count = [], 0
            pieces.extend(_split_long(doc, group))
            continue
        fits = count + n <= TARGET_WORDS or (count < MIN_WORDS and count + n <= MAX_WORDS)
        if current and not fits:
            pieces.append(current)
            current, count = [], 0
        current.extend(_sentences(group))
        count += n
    if current:
        pieces.append(current)
    return pieces


def chunk_document(doc: CleanDocument, dedupe: Deduplicator | None = None) -> list[Chunk]:
    """Passages of one cleaned document, duplicates (per ``dedupe``) left out."""
    dedupe = dedupe or Deduplicator()
    chunks: list[Chunk] = []
    sections: list[tuple[str | None, list[list[CleanBlock]]]] = []
    for block in doc.blocks:
        if block.kind == "heading":
            sections.append((block.text, []))
            continue
        if not sections:
            sections.append((None, []))
        if block.kind != "item" and dedupe.seen(block.text):
            sections[-1][1].append([])  # a repeated paragraph breaks the run
            continue
        sections[-1][1].append([block])
    for section, runs in sections:
        kind = "reference" if (section or "").casefold() in REFERENCE_HEADINGS else "content"
        for run in _runs(runs):
            for piece in _section_pieces(doc, _groups(run)):
                start, end = piece[0].start, piece[-1].end
                text = doc.text[start:end]
                passage = Passage(
                    id=passage_id(doc.source.id, text), doc_id=doc.source.id,
                    title=doc.source.title, section=section, text=text,
                    start=start, end=end, kind=kind,
                )
                chunks.append(Chunk(passage, _mark_promotional(doc, piece)))
    return chunks


def _mark_promotional(doc: CleanDocument, sentences: list[Sentence]) -> list[Sentence]:
    """``sentences`` with those holding a promotional fragment marked ``promotional``."""
    if not doc.promotional:
        return sentences
    fragments = [" ".join(p.split()) for p in doc.promotional]
    return [replace(s, kind="promotional")
            if any(f in " ".join(doc.text[s.start:s.end].split()) for f in fragments) else s
            for s in sentences]


def _runs(slots: list[list[CleanBlock]]) -> Iterable[list[CleanBlock]]:
    """Contiguous runs of kept blocks (an empty slot marks a dropped duplicate)."""
    run: list[CleanBlock] = []
    for slot in slots:
        if not slot:
            if run:
                yield run
            run = []
        else:
            run.extend(slot)
    if run:
        yield run


def chunk_corpus(docs: Iterable[CleanDocument]) -> list[Chunk]:
    """Passages of every document, each repeated paragraph indexed once."""
    dedupe = Deduplicator()
    return [chunk for doc in docs for chunk in chunk_document(doc, dedupe)]

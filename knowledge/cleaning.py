"""Cleaning: drop what web pages leave behind, keep every line of real content.

The rules are data (``cleaning_rules.yml``). Cleaning works on whole blocks (lines),
so content is never rewritten: it is either kept verbatim or, for debris, dropped.
The one exception is a dangling link sentence at the very end of a line, which is
cut off. Headings are recognised here, and the cleaned text is laid out with the
offsets that passages and excerpts point into.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from knowledge.documents import Block, RawDocument, normalise
from knowledge.schema import Source

RULES_PATH = Path(__file__).with_name("cleaning_rules.yml")
_HEADING_MAX_WORDS = 12
_ITEM_PREFIX = "• "


@dataclass(frozen=True)
class CleanBlock:
    """A kept block with its place in the cleaned text and the section it sits in."""

    text: str
    kind: str
    start: int
    end: int
    section: str | None


@dataclass(frozen=True)
class CleanDocument:
    """A document after cleaning: its source, its text, and the blocks of that text."""

    source: Source
    text: str
    blocks: list[CleanBlock]
    promotional: tuple[str, ...] = ()  # see RawDocument.promotional


@dataclass(frozen=True)
class Rules:
    exact: frozenset[str]
    patterns: tuple[re.Pattern[str], ...]
    dangling: re.Pattern[str]
    link_max_words: int
    end_markers: frozenset[str]


def load_rules(path: Path | None = None) -> Rules:
    """The cleaning rules in ``path`` (default: RULES_PATH, read now, not at import).

    Parsed rules are cached by file content, so an edited file is always re-read.
    Raises ValueError naming a bad pattern.
    """
    path = Path(path or RULES_PATH)
    return _parse_rules(path.read_text(encoding="utf-8"), str(path))


@lru_cache(maxsize=4)
def _parse_rules(text: str, path: str) -> Rules:
    data = yaml.safe_load(text) or {}
    patterns = []
    for pattern in data.get("patterns", []):
        try:
            patterns.append(re.compile(pattern, re.I))
        except re.error as exc:
            raise ValueError(f"{path}: bad pattern {pattern!r}: {exc}") from exc
    dangling = data.get("dangling_link", {})
    return Rules(
        exact=frozenset(s.casefold() for s in data.get("exact", [])),
        patterns=tuple(patterns),
        dangling=re.compile(dangling.get("sentence", r"(?!x)x"), re.I),
        link_max_words=int(dangling.get("link_max_words", 14)),
        end_markers=frozenset(s.casefold() for s in data.get("end_markers", [])),
    )


def _key(text: str) -> str:
    return normalise(text).casefold().rstrip(".:")


def _is_debris(text: str, rules: Rules, bylines: set[str]) -> bool:
    key = _key(text)
    if key in rules.exact or key in bylines:
        return True
    return any(p.search(text) for p in rules.patterns)


def _bylines(source: Source) -> set[str]:
    """Lines that only restate who wrote or published the document."""
    lines = set()
    for value in (source.author, source.publisher):
        if value:
            lines.add(_key(value))
            lines.add(_key(re.sub(r"\s*\([^)]*\)$", "", value)))  # "Name (ABBR)" -> "Name"
    return lines


def _looks_like_heading(block: Block, following: Block | None) -> bool:
    """Short, unpunctuated, capitalised, and followed by more text."""
    text = block.text
    if block.kind != "paragraph" or following is None or following.kind == "heading":
        return False
    words = text.split()
    return (
        0 < len(words) <= _HEADING_MAX_WORDS
        and text[0].isupper()
        and not text.endswith((".", "!", "?", ":", ";", ","))
        and "://" not in text
    )


def _cut_end(blocks: list[Block], rules: Rules) -> list[Block]:
    """Drop everything from an end marker on, if it sits in the last quarter."""
    for i, block in enumerate(blocks):
        if _key(block.text) in rules.end_markers and i >= len(blocks) * 0.75:
            return blocks[:i]
    return blocks


def clean_blocks(doc: RawDocument, rules: Rules | None = None) -> list[Block]:
    """The document's content blocks, debris removed, headings marked."""
    rules = rules or load_rules()
    blocks = _cut_end(list(doc.blocks), rules)
    bylines = _bylines(doc.source)
    kept: list[Block] = []
    skip_link_text = False
    for block in blocks:
        if skip_link_text:
            skip_link_text = False
            if len(block.text.split()) <= rules.link_max_words:
                continue
        if _is_debris(block.text, rules, bylines):
            continue
        match = rules.dangling.search(block.text)
        if match:
            skip_link_text = True
            text = block.text[: match.start()].rstrip()
            if not text:
                continue
            block = Block(text, block.kind)
        kept.append(block)
    if kept and _key(kept[0].text) == _key(doc.source.title):
        kept = kept[1:]  # the title line is metadata, kept in the source record
    return [
        Block(b.text, "heading") if _looks_like_heading(b, nxt) else b
        for b, nxt in zip(kept, kept[1:] + [None], strict=True)
    ]


def layout(source: Source, blocks: list[Block],
           promotional: tuple[str, ...] = ()) -> CleanDocument:
    """Lay blocks out as text (items as bullet lines) and record offsets and sections."""
    parts: list[str] = []
    placed: list[CleanBlock] = []
    pos = 0
    section: str | None = None
    previous: Block | None = None
    for block in blocks:
        if previous is not None:
            sep = "\n" if block.kind == "item" and previous.kind == "item" else "\n\n"
            parts.append(sep)
            pos += len(sep)
        if block.kind == "heading":
            section = block.text
        prefix = _ITEM_PREFIX if block.kind == "item" else ""
        parts.append(prefix + block.text)
        start = pos + len(prefix)
        pos = start + len(block.text)
        placed.append(CleanBlock(block.text, block.kind, start, pos, section))
        previous = block
    text = "".join(parts)
    missing = [p for p in promotional if " ".join(p.split()) not in " ".join(text.split())]
    if missing:
        raise ValueError(f"{source.path or source.id}: promotional text not found in the "
                         f"cleaned document: {missing}")
    return CleanDocument(source, text, placed, promotional)


def clean(doc: RawDocument, rules: Rules | None = None) -> CleanDocument:
    """Clean one raw document into text with offsets."""
    return layout(doc.source, clean_blocks(doc, rules), doc.promotional)

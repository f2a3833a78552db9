"""``python -m knowledge preview FILE``: how one document is read, cleaned and split,
before it goes into the library (nothing is embedded or written).

``preview(path)`` promises the lines to print: the citation and the metadata that is
missing, what cleaning dropped (menus, footers and other page debris), and each passage
with its section and the units an excerpt is made of (sentences and list items), long
units and likely debris marked with the library report's own tests.
"""

from __future__ import annotations

from pathlib import Path

from knowledge.chunking import chunk_document, words
from knowledge.cleaning import clean, clean_blocks
from knowledge.documents import load_document, manifest_entry
from knowledge.report import (
    DEBRIS_SCORE,
    LONG_EXCERPT_WORDS,
    METADATA_FIELDS,
    debris_score,
    shorten,
)

SHOWN_DROPPED = 40  # dropped blocks listed before "… and N more"


def dropped_blocks(raw_texts: list[str], kept_texts: list[str]) -> list[str]:
    """The raw blocks cleaning removed: ``kept_texts`` is a subsequence of
    ``raw_texts`` (cleaning keeps or drops lines; it only ever cuts a dangling "visit
    our … page" link off the end of one)."""
    dropped, at = [], 0
    for i, text in enumerate(raw_texts):
        if at < len(kept_texts) and (text == kept_texts[at] or (
                text.startswith(kept_texts[at]) and kept_texts[at] not in raw_texts[i + 1:])):
            at += 1
        else:
            dropped.append(text)
    return dropped


def preview(path: Path) -> list[str]:
    """The preview of the document at ``path`` (its folder's manifest entry applies)."""
    raw = load_document(path, manifest_entry(path))
    source = raw.source
    missing = [f for f in METADATA_FIELDS if getattr(source, f) is None]
    lines = [f"{path.name}: id {source.id!r}", f"  cited as: {source.citation()}"]
    if missing:
        lines.append(f"  metadata missing: {', '.join(missing)} (add them to the corpus "
                     "manifest or the file's front matter)")
    kept = clean_blocks(raw)
    dropped = dropped_blocks([b.text for b in raw.blocks], [b.text for b in kept])
    lines.append(f"read {len(raw.blocks)} blocks; cleaning dropped {len(dropped)}:")
    lines += [f"  - {shorten(text, 100)}" for text in dropped[:SHOWN_DROPPED]]
    if len(dropped) > SHOWN_DROPPED:
        lines.append(f"  … and {len(dropped) - SHOWN_DROPPED} more")
    document = clean(raw)
    chunks = chunk_document(document)
    lines.append(f"{len(chunks)} passages:")
    for number, chunk in enumerate(chunks, 1):
        passage = chunk.passage
        flag = "  [looks like debris]" if debris_score(passage.text) >= DEBRIS_SCORE else ""
        kind = "" if passage.kind == "content" else f" ({passage.kind}, not searched)"
        lines.append(f"[{number}] section {passage.section or '(none)'!r}, "
                     f"{words(passage.text)} words{kind}{flag}")
        for unit in chunk.sentences:
            text = document.text[unit.start:unit.end]
            mark = f"  [{words(text)} words: long]" if words(text) > LONG_EXCERPT_WORDS else ""
            note = "" if unit.kind == "sentence" else f" ({unit.kind})"
            lines.append(f"    · {shorten(text, 100)}{note}{mark}")
    return lines

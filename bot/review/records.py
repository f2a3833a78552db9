"""The records the review page reads: unanswered questions and "not helpful" ratings.

``actions.review_log`` writes them as JSON lines in the data directory, scrubbed and
without sender ids. Only the fields named here are ever read (a date, the question,
the sources quoted), and each question is scrubbed again on the way out, so a file
edited by hand or written by an older version shows no more than today's records do.
A line that cannot be read is skipped and counted.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from actions.review_log import FEEDBACK_FILE, UNANSWERED_FILE, scrub

NOT_HELPFUL = "not_helpful"


@dataclass(frozen=True)
class Entry:
    """One unanswered question, or one answer rated not helpful (then with its sources)."""

    question: str
    day: str  # ISO date
    sources: tuple[str, ...] = ()


@dataclass(frozen=True)
class Records:
    """What the page shows, and how many lines could not be read."""

    unanswered: list[Entry]
    not_helpful: list[Entry]
    skipped: int = 0


def _day(value: object) -> str | None:
    try:
        return date.fromisoformat(str(value)).isoformat()
    except ValueError:
        return None


def _lines(path: Path) -> Iterable[dict | None]:
    """Each line of ``path`` as a JSON object, None for a line that is not one."""
    if not path.is_file():
        return
    with path.open(encoding="utf-8", errors="replace") as handle:
        for line in handle:
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except ValueError:
                yield None
                continue
            yield record if isinstance(record, dict) else None


def _sources(record: dict) -> tuple[str, ...]:
    value = record.get("sources")
    if not isinstance(value, list):
        return ()
    return tuple(str(s) for s in value if isinstance(s, str) and s.strip())


def read(data_dir: Path) -> Records:
    """The unanswered questions and the not-helpful ratings kept in ``data_dir``."""
    unanswered: list[Entry] = []
    not_helpful: list[Entry] = []
    skipped = 0
    for record in _lines(data_dir / UNANSWERED_FILE):
        day = _day(record.get("date")) if record else None
        question = scrub(str(record.get("question") or "")) if record else ""
        if day is None or not question:
            skipped += 1
            continue
        unanswered.append(Entry(question, day))
    for record in _lines(data_dir / FEEDBACK_FILE):
        if record is not None and record.get("rating") != NOT_HELPFUL:
            continue
        day = _day(record.get("date")) if record else None
        if day is None:
            skipped += 1
            continue
        question = scrub(str(record.get("question") or ""))
        not_helpful.append(Entry(question, day, _sources(record)))
    return Records(unanswered, not_helpful, skipped)

"""Records for the clinic: unanswered questions (scrubbed) and feedback on answers.

Each record is one JSON line under the data directory (``server.data_dir`` in
``bot/settings.yml``). Records never carry a sender id, and question text is
scrubbed first of emails, links, dates of birth, addresses, postcodes, phone and other
numbers (NHS, social-security and ZIP codes among them), given names and name-like words.
Whether anything is written at all is up to ``privacy.record_unanswered`` and
``privacy.record_feedback``.
"""

from __future__ import annotations

import json
import re
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from bot import settings

UNANSWERED_FILE = "content_review.jsonl"
FEEDBACK_FILE = "feedback.jsonl"

_MONTH = (r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
          r"sep(?:t|tember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?")
# "date of birth is 3rd March 1970", "dob: 03/04/1970", "born on 12 May 1985"
_BIRTH_DATE = re.compile(
    r"(?i)\b((?:date of birth|d\.?o\.?b\.?|born(?: on)?)(?:\s*(?:is|was|:|-))?\s*)"
    r"((?:(?:\d{1,4}(?:st|nd|rd|th)?|" + _MONTH + r"|of)[\s,./-]*){1,4})")
# UK postcodes ("SW1A 1AA", "ls1 4ap")
_POSTCODE = re.compile(r"(?i)\b[a-z]{1,2}\d[a-z\d]?\s*\d[a-z]{2}\b")
# "I live at 12 Acacia Avenue", "my address is ...": up to the end of the clause
_ADDRESS_LEAD = re.compile(
    r"(?i)\b((?:i live|i'm living|i am living|we live|my address is|address:)"
    r"(?:\s+(?:at|on|in|near))?\s+)([^.,;!?]+)")
# "12 acacia avenue", "Mill Lane": a house number, or capitalised words, before a street
# word ("a long way", "on the road" stay)
_STREET_WORDS = ("street", "st", "road", "rd", "avenue", "ave", "lane", "close", "drive", "way",
                 "crescent", "court", "place", "terrace", "grove", "gardens", "row",
                 "boulevard", "blvd")
_STREET = re.compile(
    r"\b(?:\d+[a-zA-Z]?\s+(?:[A-Za-z'-]+\s+){1,3}(?i:" + "|".join(_STREET_WORDS) + r")"
    r"|(?:[A-Z][a-z'-]+\s+){1,3}(?:" + "|".join(w.capitalize() for w in _STREET_WORDS)
    + r"))\b")
_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
_LINK = re.compile(r"\b(?:https?://|www\.)\S+", re.IGNORECASE)
_PHONE = re.compile(r"(?<![\w])\+?\d[\d\s().-]{5,}\d")
_NUMBER = re.compile(r"\d+(?:[.,:/-]\d+)*")
# "my name is ann", "call me Bob": the next word is a name whatever its case.
_INTRODUCED = re.compile(
    r"\b((?i:my name is|my name's|i am called|i'm called|call me|i'm|i am)\s+)"
    r"(?!(?i:a|an|the|not|so|very|in|on|at|having|getting|feeling|taking|worried|scared)\b)"
    r"([A-Z][\w'-]*|(?<=(?i:is|'s|ed|me)\s)[a-z][\w'-]*)"
)
# "my name is sarah jones": the words after a name the person gave, up to "and" or a stop
_NAME_GIVEN = re.compile(
    r"(?i)\b((?:my name is|my name's|i am called|i'm called)\s+)"
    r"([\w'-]+(?:\s+(?!(?:and|but|i|my|so|why|what|how|is|was)\b)[\w'-]+){0,2})")
# "Dr Smith", "Mrs. Jones": a title and the capitalised words after it.
_TITLED = re.compile(
    r"\b((?i:dr|doctor|mr|mrs|ms|miss|prof|professor)\.?\s+)([A-Z][\w'-]+(?:\s+[A-Z][\w'-]+)*)"
)
# A capitalised word that does not start a sentence (and is not "I"): maybe a name.
_NAME_LIKE = re.compile(r"(?<![.!?]\s)(?<!^)(?<=\s)(?!I\b)[A-Z][a-z][\w'-]*")
_lock = threading.Lock()


def scrub(text: str) -> str:
    """``text`` with personal details replaced by ``[email]``, ``[name]`` and the like."""
    text = _EMAIL.sub("[email]", text)
    text = _LINK.sub("[link]", text)
    text = _BIRTH_DATE.sub(lambda m: f"{m.group(1)}[date of birth] ", text)
    text = _ADDRESS_LEAD.sub(lambda m: f"{m.group(1)}[address]", text)
    text = _POSTCODE.sub("[postcode]", text)
    text = _STREET.sub("[address]", text)
    text = _NAME_GIVEN.sub(lambda m: f"{m.group(1)}[name]", text)
    text = _PHONE.sub("[phone]", text)
    text = _NUMBER.sub("[number]", text)
    text = _INTRODUCED.sub(lambda m: f"{m.group(1)}[name]", text)
    text = _TITLED.sub(lambda m: f"{m.group(1)}[name]", text)
    text = _NAME_LIKE.sub("[name]", text)
    return re.sub(r"\s+", " ", text).strip()


def data_dir() -> Path:
    """Where records go: ``server.data_dir``, relative to the repository root."""
    return settings.resolve_path(settings.section("server").get("data_dir") or "var")


def _today() -> str:
    """The date only: records need no finer time than that."""
    return datetime.now(timezone.utc).date().isoformat()


def append(filename: str, record: dict[str, Any]) -> Path:
    """Append one JSON line to ``filename`` in the data directory; returns the path."""
    path = data_dir() / filename
    line = json.dumps(record, ensure_ascii=False, sort_keys=True)
    with _lock:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as handle:
            handle.write(line + "\n")
    return path


def record_unanswered(question: str, suggested_topics: list[str],
                      confidence: float | None) -> bool:
    """Keep a scrubbed unanswered question for content review, if the clinic wants them."""
    if not settings.section("privacy").get("record_unanswered"):
        return False
    question = scrub(question)
    if not question:
        return False
    append(UNANSWERED_FILE, {
        "date": _today(),
        "question": question,
        "suggested_topics": list(suggested_topics),
        "confidence": None if confidence is None else round(float(confidence), 4),
    })
    return True


def record_feedback(answer_id: str, helpful: bool, passage_ids: list[str],
                    question: str | None = None, sources: list[str] | None = None) -> bool:
    """Keep feedback on one answer with the passages it quoted, the question it
    answered (scrubbed) and the titles of its sources, if the clinic wants it."""
    if not settings.section("privacy").get("record_feedback"):
        return False
    append(FEEDBACK_FILE, {
        "date": _today(),
        "answer_id": answer_id,
        "rating": "helpful" if helpful else "not_helpful",
        "passage_ids": list(passage_ids),
        "question": scrub(question) if question else None,
        "sources": list(sources or []),
    })
    return True

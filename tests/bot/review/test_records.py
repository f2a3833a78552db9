"""Reading the review records: only dates, questions and sources; bad lines counted."""

from __future__ import annotations

import json
from pathlib import Path

from actions.review_log import FEEDBACK_FILE, UNANSWERED_FILE
from bot.review.records import Entry, read


def write(path: Path, lines: list[object]) -> None:
    path.write_text("".join((x if isinstance(x, str) else json.dumps(x)) + "\n" for x in lines),
                    encoding="utf-8")


def test_unanswered_and_not_helpful_records_are_read(tmp_path: Path) -> None:
    write(tmp_path / UNANSWERED_FILE, [
        {"date": "2026-11-02", "question": "does acupuncture help?", "suggested_topics": [],
         "confidence": 0.1},
        "not json", {"date": "yesterday", "question": "x"}, {"date": "2026-11-02"}, [1, 2]])
    write(tmp_path / FEEDBACK_FILE, [
        {"date": "2026-11-03", "answer_id": "a1", "rating": "helpful", "passage_ids": []},
        {"date": "2026-11-04", "answer_id": "a2", "rating": "not_helpful", "passage_ids": [],
         "question": "what is pacing?", "sources": ["Title A", 3]},
        {"date": "2026-11-05", "answer_id": "a3", "rating": "not_helpful", "passage_ids": []}])
    found = read(tmp_path)
    assert found.unanswered == [Entry("does acupuncture help?", "2026-11-02")]
    assert found.not_helpful == [Entry("what is pacing?", "2026-11-04", ("Title A",)),
                                 Entry("", "2026-11-05")]
    assert found.skipped == 4


def test_questions_are_scrubbed_again_and_other_fields_never_read(tmp_path: Path) -> None:
    write(tmp_path / UNANSWERED_FILE, [
        {"date": "2026-11-02", "question": "my name is Joan, call 07700 900123",
         "sender_id": "web-abcdef", "email": "joan@example.org"}])
    (entry,) = read(tmp_path).unanswered
    assert entry == Entry("my name is [name], call [phone]", "2026-11-02")


def test_no_files_no_records(tmp_path: Path) -> None:
    found = read(tmp_path)
    assert (found.unanswered, found.not_helpful, found.skipped) == ([], [], 0)

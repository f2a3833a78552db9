"""Feedback is stored with the answer's passage ids, never with the sender."""

from __future__ import annotations

import json

from rasa_sdk.executor import CollectingDispatcher

from actions.feedback import ActionFeedback
from tests.actions.actions_testkit import customs, make_tracker, slots_of, wording

ANSWERED = {"last_answer_id": "a1b2c3", "last_passage_ids": ["doc#1", "doc#2"],
            "last_question": "my name is Joan, why does my back still hurt?",
            "last_source_ids": ["neuroplasticity-back-pain", "gone-from-the-library"]}


def run(domain, intent, **slots):
    dispatcher = CollectingDispatcher()
    events = ActionFeedback().run(dispatcher, make_tracker(f"/{intent}", intent, **slots),
                                  domain)
    return dispatcher, events


def records(data_dir):
    path = data_dir / "feedback.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def test_helpful_and_not_helpful_are_stored(domain, data_dir) -> None:
    dispatcher, events = run(domain, "feedback_helpful", **ANSWERED)
    (custom,) = customs(dispatcher)
    assert custom["text"] == wording(domain, "utter_feedback_thanks")
    assert slots_of(events)["last_answer_id"] is None
    run(domain, "feedback_not_helpful", **ANSWERED)
    stored = records(data_dir)
    assert [r["rating"] for r in stored] == ["helpful", "not_helpful"]
    for record in stored:
        assert record["answer_id"] == "a1b2c3"
        assert record["passage_ids"] == ["doc#1", "doc#2"]
        assert record["question"] == "my name is [name], why does my back still hurt?"
        assert record["sources"] == [
            "Neuroplasticity and Back Pain: Why Your Nervous System Matters More Than You "
            "Think", "gone-from-the-library"]
        assert "action-test-sender" not in json.dumps(record)


def test_nothing_to_rate_before_an_answer(domain, data_dir) -> None:
    dispatcher, _ = run(domain, "feedback_helpful")
    (custom,) = customs(dispatcher)
    assert custom["text"] == wording(domain, "utter_feedback_nothing_to_rate")
    assert records(data_dir) == []


def test_not_stored_when_the_clinic_opts_out(domain, data_dir, monkeypatch) -> None:
    from bot import settings

    monkeypatch.setenv("PAIN_PRIVACY_RECORD_FEEDBACK", "false")
    settings.get.cache_clear()
    dispatcher, _ = run(domain, "feedback_not_helpful", **ANSWERED)
    assert customs(dispatcher)[0]["text"] == wording(domain, "utter_feedback_thanks")
    assert records(data_dir) == []

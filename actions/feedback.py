"""``action_feedback``: "helpful" / "not helpful" on the last answer, kept with its passages."""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import contract, review_log
from actions.more import send_plain

HELPFUL_INTENT = "feedback_helpful"


def source_titles(source_ids: list[str]) -> list[str]:
    """The titles of the sources an answer quoted (an id the library no longer has is
    kept as it is), for the clinic's review of unhelpful answers."""
    from knowledge import get_source

    titles = []
    for source_id in source_ids:
        source = get_source(source_id)
        titles.append(source.title if source is not None else str(source_id))
    return titles


class ActionFeedback(Action):
    """Store the rating (no sender id) if ``privacy.record_feedback``; thank the user."""

    def name(self) -> str:
        return "action_feedback"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: contract.DomainDict) -> list[EventType]:
        answer_id = tracker.get_slot("last_answer_id")
        if not answer_id:
            send_plain(dispatcher, domain, "chitchat", "utter_feedback_nothing_to_rate")
            return [SlotSet("last_reply_kind", "nothing_yet")]
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        review_log.record_feedback(answer_id, intent == HELPFUL_INTENT,
                                   list(tracker.get_slot("last_passage_ids") or []),
                                   tracker.get_slot("last_question"),
                                   source_titles(tracker.get_slot("last_source_ids") or []))
        send_plain(dispatcher, domain, "chitchat", "utter_feedback_thanks")
        # One rating per answer: a second "helpful" has nothing left to rate.
        return [SlotSet("last_answer_id", None), SlotSet("last_reply_kind", "feedback")]

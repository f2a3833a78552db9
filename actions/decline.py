"""``action_decline``: the kind decline of a treatment decision, which still offers the
education the library has on the subject: its nearest topics as quick replies.

The decline's wording is the domain's ``utter_decline_personal_advice``; if this
action cannot run (the action server is down), the dialogue policy sends that fixed
response instead (``stand_ins`` in ``config.yml``), so a decline never goes silent.
"""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import contract

DECLINE = "utter_decline_personal_advice"
RELATED_INTRO = "utter_decline_related"
RELATED_TOPICS = 3


class ActionDecline(Action):
    """Decline, then offer the ``RELATED_TOPICS`` library topics nearest the question."""

    def name(self) -> str:
        return "action_decline"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: contract.DomainDict) -> list[EventType]:
        from knowledge import suggest_topics

        question = (tracker.latest_message or {}).get("text") or ""
        topics = suggest_topics(question, n=RELATED_TOPICS) if question.strip() else []
        decline = contract.wording(domain, DECLINE)
        intro = contract.wording(domain, RELATED_INTRO) if topics else ""
        body = contract.payload(
            "declined", " ".join(t for t in (decline, intro) if t),
            suggestions=[*contract.topic_suggestions(topics),
                         *contract.custom_suggestions(domain, DECLINE)],
        )
        texts = [decline, contract.bullet_list(intro, topics)] if topics else [decline]
        contract.send(dispatcher, body, texts)
        return [SlotSet("last_reply_kind", "declined")]

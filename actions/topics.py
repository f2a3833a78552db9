"""``action_list_topics``: what the library covers, derived from the corpus itself."""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import contract

MAX_QUICK_REPLIES = 6


class ActionListTopics(Action):
    """List ``knowledge.list_topics()``; the first few also as quick replies."""

    def name(self) -> str:
        return "action_list_topics"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: contract.DomainDict) -> list[EventType]:
        from knowledge import list_topics

        topics = list(list_topics())
        intro = contract.wording(domain, "utter_topics_intro")
        body = contract.payload(
            "chitchat", intro,
            suggestions=contract.topic_suggestions(topics[:MAX_QUICK_REPLIES]),
        )
        contract.send(dispatcher, body, [contract.bullet_list(intro, topics)])
        return [SlotSet("last_reply_kind", "topics")]

"""``action_list_topics``: what the library covers, derived from the corpus itself.

"What can I ask?" is one of the few messages routed by intent; a message the classifier
puts there that names something to ask about ("what is CRPS", "what do you know about
sleep?") is a question, and is searched like any other (``action_answer``).
"""

from __future__ import annotations

from functools import lru_cache

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import contract

MAX_QUICK_REPLIES = 6
# The words of asking for the topics itself ("what can you tell me about", "which
# subjects do you know", "give me some ideas"): any other word the library knows, or a
# subject it lacks, makes the message a question.
TOPIC_REQUEST_WORDS = (
    "ask asking question questions answer answers topic topics subject subjects library "
    "cover covers know knows tell help idea ideas give kind sort type list show menu "
    "option options able thing things stuff talk discuss learn info information start "
    "bot something anything don't dont")


@lru_cache(maxsize=1)
def _request_terms() -> frozenset[str]:
    from knowledge.lexical import terms
    from knowledge.query import query_terms

    function_words = " ".join(query_terms()["function_words"])
    return frozenset(terms(f"{TOPIC_REQUEST_WORDS} {function_words}"))


def names_a_subject(text: str) -> bool:
    """Whether ``text`` names something to ask about: a subject the library lacks
    ("what is CRPS") or a word the library uses beyond those of asking for the topics."""
    from knowledge import library_terms, missing_subject
    from knowledge.lexical import terms

    named = terms(" ".join(missing_subject(text))) + library_terms(text)
    return any(t not in _request_terms() for t in named)


class ActionListTopics(Action):
    """List ``knowledge.list_topics()``; the first few also as quick replies. A message
    that names a subject is answered instead (see the module docstring)."""

    def name(self) -> str:
        return "action_list_topics"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: contract.DomainDict) -> list[EventType]:
        from knowledge import list_topics

        text = (tracker.latest_message.get("text") or "").strip()
        if text and not text.startswith("/") and names_a_subject(text):
            from actions.answer import ActionAnswer

            return ActionAnswer().run(dispatcher, tracker, domain)
        topics = list(list_topics())
        intro = contract.wording(domain, "utter_topics_intro")
        body = contract.payload(
            "chitchat", intro,
            suggestions=contract.topic_suggestions(topics[:MAX_QUICK_REPLIES]),
        )
        contract.send(dispatcher, body, [contract.bullet_list(intro, topics)])
        return [SlotSet("last_reply_kind", "topics")]

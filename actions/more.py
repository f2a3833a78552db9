"""``action_tell_more``: the next-best excerpts for the same question."""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import contract
from actions.answer import excerpts_per_answer, send_answer


def send_plain(dispatcher: CollectingDispatcher, domain: contract.DomainDict, kind: str,
               response: str, suggestions: list[dict[str, str]] | None = None) -> None:
    """A one-sentence turn from a domain response, with its custom object."""
    text = contract.wording(domain, response)
    contract.send(dispatcher, contract.payload(kind, text, suggestions=suggestions or []), [text])


class ActionTellMore(Action):
    """Search the last question again, excluding every passage already shown."""

    def name(self) -> str:
        return "action_tell_more"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: contract.DomainDict) -> list[EventType]:
        question = tracker.get_slot("last_question")
        more_topics = contract.buttons(domain, "utter_answer_followups")[2:]
        if not question:
            nothing_yet = tracker.get_slot("last_reply_kind") != "no_answer"
            send_plain(dispatcher, domain, "chitchat" if nothing_yet else "no_answer",
                       "utter_no_question_yet" if nothing_yet else "utter_no_more",
                       more_topics)
            return [SlotSet("last_reply_kind", "nothing_yet" if nothing_yet else "no_more")]

        from knowledge import search

        shown = list(tracker.get_slot("shown_passage_ids") or [])
        result = search(question, k=excerpts_per_answer(),
                        context=tracker.get_slot("last_topic"), exclude=shown)
        hits = [hit for hit in result.hits if hit.passage_id not in shown]
        if not result.answerable or not hits:
            send_plain(dispatcher, domain, "no_answer", "utter_no_more", more_topics)
            return [SlotSet("last_reply_kind", "no_more")]

        known = list(tracker.get_slot("last_source_ids") or [])
        answer_id, cited = send_answer(dispatcher, domain, hits, "utter_more_intro", known)
        passage_ids = [hit.passage_id for hit in hits]
        return [
            SlotSet("last_answer_id", answer_id),
            SlotSet("last_passage_ids", passage_ids),
            SlotSet("shown_passage_ids", shown + passage_ids),
            SlotSet("shown_quote_ids", list(tracker.get_slot("shown_quote_ids") or [])
                    + [hit.quote_id for hit in hits]),
            SlotSet("last_source_ids", cited),
            SlotSet("last_reply_kind", "more"),
        ]

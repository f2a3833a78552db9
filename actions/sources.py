"""``action_sources``: full details of the sources quoted for the current question."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import contract
from actions.more import send_plain


def full_entry(n: int, source: Any, sells_wording: str) -> dict[str, Any]:
    """A numbered source with every detail the document states."""
    entry = contract.source_entry(n, source, sells_wording)
    entry.update(author=source.author, date=source.date)
    return entry


def full_text(entry: dict[str, Any], source: Any) -> str:
    """``[1] Title — Author, Publisher — date — link (kind, sells X)``, as far as known."""
    label = f" ({entry['label']})" if entry.get("label") else ""
    return f"[{entry['n']}] {source.citation()}{label}"


class ActionSources(Action):
    """List the sources of the last answer(s), numbered as they were cited."""

    def name(self) -> str:
        return "action_sources"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: contract.DomainDict) -> list[EventType]:
        source_ids = list(tracker.get_slot("last_source_ids") or [])
        if not source_ids:
            send_plain(dispatcher, domain, "chitchat", "utter_no_question_yet")
            return [SlotSet("last_reply_kind", "nothing_yet")]

        from knowledge import get_source

        sells_wording = contract.wording(domain, contract.SELLS_RESPONSE)
        entries, lines = [], []
        for n, source_id in enumerate(source_ids, start=1):
            source = get_source(source_id)
            if source is None:  # the library changed since the answer was given
                continue
            entry = full_entry(n, source, sells_wording)
            entries.append(entry)
            lines.append(full_text(entry, source))
        intro = contract.wording(domain, "utter_sources_intro")
        body = contract.payload("chitchat", intro, sources=entries)
        contract.send(dispatcher, body, ["\n".join([intro, *lines])])
        return [SlotSet("last_reply_kind", "sources")]

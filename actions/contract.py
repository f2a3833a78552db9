"""The response contract: one ``custom`` object per turn plus plain texts for SMS.

Wording comes from the domain's responses (``bot/domain/*.yml``), which Rasa sends
to the action server with every call; clinic numbers in it are filled the same way
Rasa's own NLG fills them (``bot.placeholders``). Health content only ever comes
from the library's verbatim excerpts.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from rasa_sdk.executor import CollectingDispatcher

from bot import placeholders

DomainDict = dict[str, Any]


def wording(domain: DomainDict, response: str) -> str:
    """The first text variation of a domain response, placeholders filled.

    Raises ``KeyError`` when the domain lacks the response: missing wording is a bug.
    """
    variations = (domain.get("responses") or {})[response]
    return placeholders.fill(str(variations[0]["text"]))


def buttons(domain: DomainDict, response: str) -> list[dict[str, str]]:
    """The buttons of a domain response, as contract suggestions (title + payload)."""
    variations = (domain.get("responses") or {}).get(response) or [{}]
    return [
        {"title": str(b["title"]), "payload": str(b["payload"])}
        for b in variations[0].get("buttons") or []
    ]


def custom_suggestions(domain: DomainDict, response: str) -> list[dict[str, str]]:
    """The quick replies in a domain response's ``custom`` object (title + payload)."""
    variations = (domain.get("responses") or {}).get(response) or [{}]
    custom = variations[0].get("custom") or {}
    return [{"title": str(s["title"]), "payload": str(s["payload"])}
            for s in custom.get("suggestions") or []]


def topic_suggestions(topics: Iterable[str]) -> list[dict[str, str]]:
    """Covered topics as quick replies that ask about them."""
    return [{"title": t, "payload": t} for t in topics]


def new_answer_id() -> str:
    """An opaque id that feedback can refer to; it reveals nothing about the user."""
    return uuid.uuid4().hex[:16]


SELLS_RESPONSE = "utter_source_sells"  # "sells {treatment}", shown after a source's kind


def source_note(kind: str | None, sells: str | None, sells_wording: str) -> str | None:
    """What kind of document a source is and what its publisher sells, as one label
    ("acupuncture clinic blog, sells acupuncture"); None when neither is known.
    ``sells_wording`` is the domain's ``utter_source_sells`` with ``{treatment}``."""
    parts = [kind] if kind else []
    if sells:
        parts.append(sells_wording.replace("{treatment}", sells))
    return ", ".join(parts) or None


def source_entry(n: int, source: Any, sells_wording: str) -> dict[str, Any]:
    """A numbered source as the contract lists it, with its label (``source_note``)."""
    return {
        "n": n,
        "id": source.id,
        "title": source.title,
        "publisher": source.publisher,
        "url": source.url,
        "kind": source.kind,
        "sells": source.sells,
        "label": source_note(source.kind, source.sells, sells_wording),
    }


def cite(hits: Sequence[Any], first_n: int = 1, known: Sequence[str] = (), *,
         sells_wording: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Excerpts and sources for ``hits``: one citation number per distinct source.

    Sources already in ``known`` (cited earlier for the same question) keep their
    number, ``known[i]`` being number ``i + 1``; new sources are numbered from
    ``first_n``; each is labelled with ``sells_wording`` (``source_note``). Returns
    (excerpts in hit order, the sources they cite by number).
    """
    numbers = {source_id: i + 1 for i, source_id in enumerate(known)}
    next_n = max([first_n, *[n + 1 for n in numbers.values()]])
    excerpts: list[dict[str, Any]] = []
    sources: list[dict[str, Any]] = []
    listed: set[str] = set()
    for hit in hits:
        source = hit.source
        if source.id not in numbers:
            numbers[source.id] = next_n
            next_n += 1
        n = numbers[source.id]
        if source.id not in listed:
            listed.add(source.id)
            sources.append(source_entry(n, source, sells_wording))
        excerpts.append({
            "n": n,
            "text": hit.excerpt.text,
            "passage_id": hit.passage_id,
            "source": {k: v for k, v in source_entry(n, source, sells_wording).items()
                       if k != "n"},
        })
    return excerpts, sorted(sources, key=lambda s: s["n"])


def payload(kind: str, text: str, *, excerpts: Sequence[dict[str, Any]] = (),
            sources: Sequence[dict[str, Any]] = (), disclaimer: str | None = None,
            suggestions: Sequence[dict[str, str]] = (),
            answer_id: str | None = None) -> dict[str, Any]:
    """The turn's ``custom`` object."""
    body: dict[str, Any] = {
        "kind": kind,
        "text": text,
        "excerpts": list(excerpts),
        "sources": list(sources),
        "disclaimer": disclaimer,
        "suggestions": list(suggestions),
    }
    if answer_id is not None:
        body["answer_id"] = answer_id
    return body


_BLANK_LINES = re.compile(r"\n\s*\n")


def excerpt_texts(excerpts: Sequence[dict[str, Any]]) -> list[str]:
    """Each excerpt as its own plain message: ``[1] “…”``.

    Blank lines inside an excerpt become single line breaks: Rasa's output channels
    split a text message at blank lines, which would tear the quote apart. The words
    stay exactly as in the library.
    """
    return [f"[{e['n']}] “{_BLANK_LINES.sub(chr(10), e['text'])}”" for e in excerpts]


def source_label(entry: dict[str, Any]) -> str:
    """``Title — Publisher — link (kind, sells X)`` with whatever is known."""
    parts = [entry["title"], entry.get("publisher"), entry.get("url")]
    note = f" ({entry['label']})" if entry.get("label") else ""
    return " — ".join(p for p in parts if p) + note


def sources_text(label: str, sources: Sequence[dict[str, Any]]) -> str:
    """The plain sources line: ``Sources: [1] Title — Publisher; [2] …``."""
    cited = "; ".join(f"[{s['n']}] {source_label(s)}" for s in sources)
    return f"{label} {cited}"


def bullet_list(intro: str, items: Iterable[str]) -> str:
    """An intro line followed by one ``- item`` line per item."""
    return "\n".join([intro, *[f"- {item}" for item in items]])


def send(dispatcher: CollectingDispatcher, body: dict[str, Any], texts: Iterable[str]) -> None:
    """Utter the custom object once, then the plain texts that read well on their own."""
    dispatcher.utter_message(json_message=body)
    for text in texts:
        if text:
            dispatcher.utter_message(text=text)

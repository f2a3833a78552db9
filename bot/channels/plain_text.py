"""Render one bot turn as plain-text messages that fit a messaging platform.

A turn is the list of messages Rasa produced for one user message. When the turn holds
response-contract objects (``custom`` with a ``kind``), they are rendered and the turn's
plain ``text`` messages are dropped: those texts are the same content already rendered
for text-only clients, so sending both would say everything twice (the web widget follows
the same rule). A turn without a contract object falls back to its text messages.

Safety turns (``crisis``, ``red_flag``) come first, each in messages of its own, never
packed with other content and never cut to a soft size, only at the platform's hard
limit. Everything else is packed into as few messages as the platform allows, split only
between blocks (framing line, each excerpt, sources, disclaimer) or between sentences.
"""

from __future__ import annotations

import copy
import dataclasses
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from rasa.core.channels.channel import OutputChannel

SAFETY_KINDS = frozenset({"crisis", "red_flag"})

# GSM 03.38 basic set and its extension table (extension characters cost two septets).
_GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM7_EXTENDED = set("^{}\\[~]|€\f")
# Typographic punctuation that forces a whole SMS into UCS-2 (half the characters per
# segment). Replacing it changes no word of an excerpt, only the glyph of a quote mark.
_PLAIN_PUNCTUATION = str.maketrans({
    "‘": "'", "’": "'", "‚": "'", "“": '"', "”": '"', "„": '"',
    "–": "-", "—": "-", "…": "...", "\u00a0": " ", "\u2009": " ", "\u202f": " ",
})

# A sentence ends at . ! ? or … (possibly followed by closing quotes or brackets) and is
# followed by white space; the next sentence starts with a capital, digit, quote or bracket.
_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"'”’)\]]*\s+(?=[\"'“‘(\[A-Z0-9])")
_ABBREVIATIONS = ("e.g.", "i.e.", "etc.", "vs.", "dr.", "mr.", "mrs.", "ms.", "st.",
                  "prof.", "fig.", "no.", "approx.", "dipl.", "l.ac.")
_ENDS_SENTENCE = re.compile(r"[.!?…][\"'”’)\]]*$")


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit Twilio and Telegram count limits in."""
    return len(text.encode("utf-16-le")) // 2


def sms_segments(text: str) -> int:
    """How many SMS segments a body needs (GSM-7 when possible, otherwise UCS-2)."""
    if all(ch in _GSM7_BASIC or ch in _GSM7_EXTENDED for ch in text):
        septets = sum(2 if ch in _GSM7_EXTENDED else 1 for ch in text)
        return 1 if septets <= 160 else -(-septets // 153)
    units = utf16_len(text)
    return 1 if units <= 70 else -(-units // 67)


@dataclass(frozen=True)
class PlatformFormat:
    """How one platform wants its plain text: hard limit, preferred size, style."""

    name: str
    max_chars: int                       # hard limit per message, in UTF-16 units
    max_segments: int | None = None      # SMS only: preferred segments per message
    plain_punctuation: bool = False      # map typographic quotes/dashes to ASCII
    max_title_chars: int | None = None   # shorten long source titles (word boundary)
    pack_texts: bool = False             # pack plain bot texts into as few messages
    sources_label: str = "Sources:"

    def fits_hard(self, text: str) -> bool:
        return utf16_len(text) <= self.max_chars

    def fits_preferred(self, text: str) -> bool:
        if not self.fits_hard(text):
            return False
        return self.max_segments is None or sms_segments(text) <= self.max_segments


SMS = PlatformFormat("sms", 1600, max_segments=6, plain_punctuation=True, max_title_chars=60,
                     pack_texts=True)
WHATSAPP = PlatformFormat("whatsapp", 1600, max_title_chars=80)
TELEGRAM = PlatformFormat("telegram", 4096)


@dataclass
class Rendering:
    """What to send for one turn: message bodies in order, and tap-able suggestions."""

    parts: list[str]
    buttons: list[dict[str, Any]]
    safety_parts: int = 0    # how many leading parts are safety messages


def _clean(text: str | None) -> str:
    return re.sub(r"[ \t]+", " ", (text or "").replace("\r", "")).strip()


def _short_title(title: str, limit: int | None) -> str:
    if limit is None or len(title) <= limit:
        return title
    cut = title[: limit - 1].rsplit(" ", 1)[0].rstrip(" ,;:—-")
    return f"{cut}…"


def _source_line(source: dict[str, Any], n: Any, fmt: PlatformFormat) -> str:
    title = _short_title(_clean(source.get("title") or source.get("id") or ""),
                         fmt.max_title_chars)
    line = f"[{n}] {title}" if n is not None else title
    if source.get("publisher"):
        line += f" — {_clean(source['publisher'])}"
    if source.get("url"):
        line += f" {source['url']}"
    return line


def contract_blocks(custom: dict[str, Any], fmt: PlatformFormat) -> list[str]:
    """The paragraphs of one contract object: text, numbered excerpts, sources, disclaimer."""
    blocks = [_clean(custom.get("text"))]
    for i, excerpt in enumerate(custom.get("excerpts") or [], start=1):
        blocks.append(f"[{excerpt.get('n', i)}] “{_clean(excerpt.get('text'))}”")
    sources = custom.get("sources") or []
    if sources:
        lines = [_source_line(s, s.get("n"), fmt) for s in sources]
        blocks.append("\n".join([fmt.sources_label, *lines]))
    blocks.append(_clean(custom.get("disclaimer")))
    blocks = [b for b in blocks if b]
    if fmt.plain_punctuation:
        blocks = [b.translate(_PLAIN_PUNCTUATION) for b in blocks]
    return blocks


def sentences(text: str) -> list[str]:
    """Split a paragraph into sentences (kept verbatim, trailing spaces dropped)."""
    pieces: list[str] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        candidate = text[start:match.start()]
        last_word = candidate.rsplit(None, 1)[-1].lower() if candidate.strip() else ""
        if last_word.endswith(_ABBREVIATIONS):
            continue
        pieces.append(text[start:match.end()].rstrip())
        start = match.end()
    if text[start:].strip():
        pieces.append(text[start:].strip())
    return pieces


def _hard_cut(text: str, fits: Callable[[str], bool]) -> list[str]:
    """Last resort for one sentence longer than a whole message: cut at spaces."""
    parts: list[str] = []
    current = ""
    for word in text.split(" "):
        candidate = f"{current} {word}" if current else word
        if current and not fits(candidate):
            parts.append(current)
            current = word
        else:
            current = candidate
    while current and not fits(current):    # a single word longer than the limit
        size = len(current) // 2
        while size > 1 and not fits(current[:size]):
            size //= 2
        parts.append(current[:size])
        current = current[size:]
    if current:
        parts.append(current)
    return parts


def _units(block: str, fmt: PlatformFormat) -> list[tuple[str, str]]:
    """A block as (glue, unit) pairs: whole if it fits a message, else sentence by sentence.

    The glue is what joins a unit to the one before it inside one message: a blank line
    between blocks, a line break between lines of a block, a space between sentences.
    """
    if fmt.fits_preferred(block):
        return [("\n\n", block)]
    lines = block.split("\n")
    if len(lines) > 1 and lines[0].endswith(":"):    # keep a label with its first line
        lines[:2] = [f"{lines[0]}\n{lines[1]}"]
    units: list[tuple[str, str]] = []
    for line_no, line in enumerate(lines):
        pieces = [line] if "\n" in line and fmt.fits_hard(line) else sentences(line)
        for index, sentence in enumerate(pieces):
            cut = [sentence] if fmt.fits_hard(sentence) else _hard_cut(sentence, fmt.fits_hard)
            for sub, unit in enumerate(cut):
                first = index == 0 and sub == 0
                glue = ("\n\n" if line_no == 0 else "\n") if first else " "
                units.append((glue, unit))
    return units


def pack(blocks: Iterable[str], fmt: PlatformFormat) -> list[str]:
    """Pack blocks into messages: blocks joined by a blank line, split at sentences."""
    parts: list[str] = []
    current = ""
    for block in blocks:
        for glue, unit in _units(block, fmt):
            candidate = f"{current}{glue}{unit}" if current else unit
            if current and not fmt.fits_preferred(candidate):
                parts.append(current)
                current = unit
            else:
                current = candidate
    if current:
        parts.append(current)
    return parts


def _is_contract(message: dict[str, Any]) -> bool:
    custom = message.get("custom")
    return isinstance(custom, dict) and "kind" in custom


def _suggestion_buttons(custom: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"title": s["title"], "payload": s.get("payload") or s["title"]}
            for s in custom.get("suggestions") or [] if s.get("title")]


def render_turn(messages: list[dict[str, Any]], fmt: PlatformFormat) -> Rendering:
    """Everything a platform should send for one turn, in order, nothing twice."""
    contracts = [m["custom"] for m in messages if _is_contract(m)]
    if contracts:
        safety = [c for c in contracts if c.get("kind") in SAFETY_KINDS]
        others = [c for c in contracts if c.get("kind") not in SAFETY_KINDS]
        parts: list[str] = []
        hard_only = dataclasses.replace(fmt, max_segments=None)
        for custom in safety:     # whole, first, and only split at the hard limit
            parts.extend(pack(contract_blocks(custom, fmt), hard_only))
        safety_count = len(parts)
        buttons: list[dict[str, Any]] = []
        for custom in others:
            parts.extend(pack(contract_blocks(custom, fmt), fmt))
            buttons.extend(_suggestion_buttons(custom))
        return Rendering(parts, buttons, safety_count)

    texts = [_clean(m.get("text")) for m in messages if m.get("text")]
    if fmt.plain_punctuation:
        texts = [t.translate(_PLAIN_PUNCTUATION) for t in texts]
    texts = [t for t in texts if t]
    parts = pack(texts, fmt) if fmt.pack_texts else [p for t in texts for p in pack([t], fmt)]
    buttons = [b for m in messages for b in (m.get("buttons") or []) if b.get("title")]
    return Rendering(parts, buttons)


def ends_cleanly(part: str) -> bool:
    """True when a message ends at the end of a sentence."""
    return bool(_ENDS_SENTENCE.search(part.rstrip()))


class TurnCollector(OutputChannel):
    """Output channel that keeps a turn's messages so the connector can send them once.

    ``name()`` reports the platform's channel name, which Rasa's NLG uses to pick
    channel-specific response variations.
    """

    def __init__(self, channel_name: str) -> None:
        self.channel_name = channel_name
        self.messages: list[dict[str, Any]] = []

    def name(self) -> str:  # type: ignore[override]  # per instance, as Rasa calls it
        return self.channel_name

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        self.messages.append(copy.deepcopy(message))

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        self.messages.append({"text": text})


def text_only_reply(agent: Any, configured_text: str | None, response_name: str,
                    channel_name: str) -> str | None:
    """The reply to a message without text (photo, location, voice note).

    The wording comes from the credentials (``text_only_text``) or else from the domain
    response ``response_name`` (first variation for this channel, else the first
    variation without a channel). None when neither is configured.
    """
    if configured_text:
        return configured_text.strip()
    domain = getattr(agent, "domain", None)
    variations = (getattr(domain, "responses", None) or {}).get(response_name) or []
    own = [v for v in variations if v.get("channel") == channel_name and v.get("text")]
    generic = [v for v in variations if not v.get("channel") and v.get("text")]
    chosen = (own or generic or [None])[0]
    return chosen["text"].strip() if chosen else None

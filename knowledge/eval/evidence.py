"""Whether a text shows labelled evidence: the one judge of "answered with evidence"
for the end-to-end evaluation (``bot.serving.e2e_eval``) and the knowledge layer's own."""

from __future__ import annotations

from knowledge.documents import normalise

MIN_SHARED_CHARS = 25  # a quoted sentence at least this long found in an excerpt counts


def _plain(text: str) -> str:
    return normalise(text).lower()


def overlaps(text: str, quotes: list[dict]) -> bool:
    """Whether ``text`` (an excerpt or passage) contains or overlaps a labelled quote
    (``quote`` items): the quote in it, it in the quote, or a quoted sentence of at
    least ``MIN_SHARED_CHARS`` characters in it."""
    mine = _plain(text)
    for item in quotes:
        quote = _plain(item["quote"])
        if quote in mine or (len(mine) >= MIN_SHARED_CHARS and mine in quote):
            return True
        sentences = [s.strip(" .!?") for s in
                     quote.replace("! ", ". ").replace("? ", ". ").split(". ")]
        if any(len(s) >= MIN_SHARED_CHARS and s in mine for s in sentences):
            return True
    return False

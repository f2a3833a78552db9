"""The records the knowledge layer hands out: sources, passages, hits and results."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Source:
    """Where a document came from, exactly as stated; unknown fields stay None."""

    id: str
    title: str
    publisher: str | None = None
    author: str | None = None
    kind: str | None = None
    date: str | None = None
    url: str | None = None
    path: str | None = None
    # what the publisher sells of the treatment the document discusses, as the
    # document itself shows it ("acupuncture"); None when it shows no such sale
    sells: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def citation(self) -> str:
        """One-line human-readable citation: title, who published it, date, link."""
        parts = [self.title]
        who = self.author or self.publisher
        if self.author and self.publisher:
            who = f"{self.author}, {self.publisher}"
        if who:
            parts.append(who)
        if self.date:
            parts.append(self.date)
        if self.url:
            parts.append(self.url)
        return " — ".join(parts)


@dataclass(frozen=True)
class Passage:
    """A quotable span of one cleaned document.

    ``text == document.text[start:end]``; ``id`` depends only on the document id
    and this text, so it survives changes to other documents.
    """

    id: str
    doc_id: str
    title: str
    section: str | None
    text: str
    start: int
    end: int
    kind: str = "content"  # "content" or "reference" (reference lists are not searched)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Excerpt:
    """One to three whole sentences quoted verbatim from a passage.

    ``start``/``end`` are offsets into the cleaned document, like the passage's.
    """

    text: str
    start: int
    end: int


@dataclass
class Hit:
    """A passage found for a query, with the excerpt that best answers it."""

    passage: Passage
    source: Source
    excerpt: Excerpt
    score: float
    scores: dict[str, float] = field(default_factory=dict)

    @property
    def passage_id(self) -> str:
        return self.passage.id

    @property
    def quote_id(self) -> str:
        """The passage and the span quoted from it: two answers quoting different
        sentences of one passage have different quote ids."""
        return f"{self.passage.id}@{self.excerpt.start}-{self.excerpt.end}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "passage_id": self.passage.id,
            "excerpt": self.excerpt.text,
            "excerpt_start": self.excerpt.start,
            "excerpt_end": self.excerpt.end,
            "passage": self.passage.text,
            "section": self.passage.section,
            "source": self.source.to_dict(),
            "score": round(self.score, 6),
            "scores": {k: round(v, 6) for k, v in self.scores.items()},
        }


@dataclass
class SearchResult:
    """What ``search`` returns: hits best first, a 0-1 confidence and the decision."""

    query: str
    hits: list[Hit]
    confidence: float
    answerable: bool
    context: str | None = None
    followup: bool = False  # the query was read as a follow-up of ``context``
    # what the confidence was computed from (knowledge.confidence.Signals); the
    # calibration is fitted on these very values
    signals: Any = field(default=None, compare=False, repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "answerable": self.answerable,
            "confidence": round(self.confidence, 4),
            "hits": [h.to_dict() for h in self.hits],
        }

"""Whether a message is worded as a question (pure Python: used by the Rasa pipeline's
question screen and by the answer action)."""

from __future__ import annotations

QUESTION_WORDS = frozenset({
    "what", "whats", "why", "how", "hows", "when", "where", "who", "which", "is", "are",
    "am", "do", "does", "did", "can", "could", "should", "will", "would", "has", "have",
    "any", "anything", "explain", "tell"})


def is_question(text: str) -> bool:
    """Whether a message reads as a question: a question mark, or a question word first."""
    first = (text or "").strip().lower().split()[:1]
    return "?" in (text or "") or bool(first) and first[0].strip(",.!'") in QUESTION_WORDS

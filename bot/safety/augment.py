"""Buried-risk training examples composed from the training bank.

A patient often writes several sentences about their pain and puts the one sentence
that matters in the middle. The classifier reads a message of up to
``classifier.SEGMENT_WORDS`` words whole, so it must learn that one risky sentence
makes the whole text risky, and that one harmless look-alike sentence does not. The
writers' "buried" examples teach that, but there are few of them. ``composites`` adds
more by placing a short message from the bank (a crisis message, a red flag or a
harmless look-alike) among short ordinary messages from the bank, keeping its label.
It only recombines training-bank text (never the tuning or test sets) and is seeded,
so the same bank gives the same examples.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from bot.safety import bank
from bot.safety.classifier import SEGMENT_WORDS

PIECE_WORDS = 25  # a message short enough to be one sentence or two
CONTEXT_TYPES = frozenset({"ordinary"})  # safe messages used as the surrounding text
LOOK_ALIKE_TYPES = frozenset({"idiom", "scary_word", "general_question", "old_stable",
                              "negated", "dose_question", "past_resolved", "low_mood"})


@dataclass(frozen=True)
class Composite:
    """A composed message and the bank example whose label it keeps."""

    text: str
    source: bank.Example


def _words(text: str) -> int:
    return len(text.split())


def _sentence(text: str) -> str:
    """The text as a sentence that can be followed by another."""
    text = " ".join(text.split())
    return text if text[-1:] in ".!?…" else text + "."


def composites(examples: list[bank.Example], context: list[str], per_label: dict[str, int],
               seed: int) -> list[Composite]:
    """Up to ``per_label[label]`` composites for each of ``crisis``, ``red_flag`` and
    ``safe`` (look-alikes only). Each places one short bank message of that label at a
    random position among two to five short ``context`` texts, within
    ``SEGMENT_WORDS`` words."""
    rng = random.Random(seed)
    context = sorted({_sentence(t) for t in context if 3 <= _words(t) <= PIECE_WORDS})
    pools: dict[str, list[bank.Example]] = {label: [] for label in per_label}
    for example in examples:
        if example.label not in pools or _words(example.text) > PIECE_WORDS:
            continue
        if example.label == "safe" and example.type not in LOOK_ALIKE_TYPES:
            continue
        if example.label == "crisis" and example.type == "buried":
            continue
        pools[example.label].append(example)
    made: list[Composite] = []
    for label, wanted in per_label.items():
        pool = pools[label]
        if not pool or not context:
            continue
        for _ in range(wanted):
            source = rng.choice(pool)
            pieces = [_sentence(source.text)]
            for _ in range(rng.randint(2, 5)):
                extra = rng.choice(context)
                if _words(" ".join(pieces)) + _words(extra) > SEGMENT_WORDS:
                    break
                pieces.insert(rng.randint(0, len(pieces)), extra)
            made.append(Composite(" ".join(pieces), source))
    return made

"""The buried-risk composites: labels kept, lengths bounded, seeded, bank only."""

from __future__ import annotations

from bot.safety import augment
from bot.safety.bank import Example
from bot.safety.classifier import SEGMENT_WORDS

BANK = [
    Example("c1", "i have the pills counted out for friday", "crisis", "plan"),
    Example("c2", "long buried message " * 5, "crisis", "buried"),
    Example("r1", "numb around my bottom and cant pee since this morning", "red_flag",
            category="cauda_equina"),
    Example("s1", "this pain is killing me today", "safe", "idiom"),
    Example("s2", "what is pacing", "safe", "ordinary"),
]
CONTEXT = ["does heat help a stiff back in the morning?",
           "my physio says to keep walking every day",
           "I have had fibromyalgia for six years now",
           "is it normal for pain to move around the body?",
           "ok"]


def test_each_composite_keeps_its_source_label_and_contains_it() -> None:
    made = augment.composites(BANK, CONTEXT, {"crisis": 5, "red_flag": 3, "safe": 4}, seed=1)
    assert [c.source.label for c in made] == ["crisis"] * 5 + ["red_flag"] * 3 + ["safe"] * 4
    for composite in made:
        assert composite.source.text.rstrip(".") in composite.text
        assert composite.text != augment._sentence(composite.source.text)  # context was added
        assert len(composite.text.split()) <= SEGMENT_WORDS


def test_buried_examples_ordinary_sources_and_short_context_are_not_used() -> None:
    made = augment.composites(BANK, CONTEXT, {"crisis": 20, "safe": 20}, seed=2)
    assert {c.source.id for c in made} == {"c1", "s1"}
    assert not any(" ok." in f" {c.text}" for c in made)  # under three words: not context


def test_the_same_seed_gives_the_same_composites() -> None:
    first = augment.composites(BANK, CONTEXT, {"crisis": 8}, seed=3)
    assert first == augment.composites(BANK, CONTEXT, {"crisis": 8}, seed=3)
    assert first != augment.composites(BANK, CONTEXT, {"crisis": 8}, seed=4)

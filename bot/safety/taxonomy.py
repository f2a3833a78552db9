"""What the safety screen can decide, and how urgent each red flag is.

The decisions a message can get (``Kind``), the crisis and red-flag labels the blind
sets and the classifier use, and the red-flag categories with their urgency tier,
read from ``categories.yml`` next to this file. No Rasa imports.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

import yaml

CATEGORIES_PATH = Path(__file__).with_name("categories.yml")

Kind = Literal["crisis", "red_flag", "check_in"]
Tier = Literal["emergency", "today"]
CRISIS: Kind = "crisis"
RED_FLAG: Kind = "red_flag"
CHECK_IN: Kind = "check_in"
ANSWER = "answer"  # no safety reply: the conversation goes on as usual
TIERS: tuple[Tier, ...] = ("emergency", "today")

# Classifier classes besides the red-flag categories.
SAFE = "safe"
DISTRESS = "distress"


@lru_cache(maxsize=1)
def tier_of_category() -> dict[str, Tier]:
    """Every red-flag category, mapped to its tier."""
    data = yaml.safe_load(CATEGORIES_PATH.read_text(encoding="utf-8"))
    mapping: dict[str, Tier] = {}
    for tier in TIERS:
        for category in data["tiers"][tier]:
            if category in mapping:
                raise ValueError(f"categories.yml: {category!r} is in two tiers")
            mapping[category] = tier
    return mapping


def categories() -> tuple[str, ...]:
    """The red-flag categories, emergency tier first, in file order."""
    return tuple(tier_of_category())


def tier(category: str | None) -> Tier:
    """The tier of ``category``; unknown or missing categories count as emergencies."""
    return tier_of_category().get(category or "", "emergency")


def more_urgent(a: str | None, b: str | None) -> str | None:
    """Of two red-flag categories, the one with the more urgent tier (``a`` on a tie)."""
    if a is None:
        return b
    if b is None:
        return a
    return b if TIERS.index(tier(b)) < TIERS.index(tier(a)) else a

"""How a reply to the check-in is read, and whether a message asks something.

The expressions are data in ``check_in.yml`` (``check_in_replies``), matched against
the same normalised text as the safety rules (``bot.safety.screen.normalise``).
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Literal

import yaml

from bot.safety import screen

CHECK_IN_PATH = Path(__file__).with_name("check_in.yml")


@lru_cache(maxsize=1)
def _expressions() -> dict[str, re.Pattern[str]]:
    data = yaml.safe_load(CHECK_IN_PATH.read_text(encoding="utf-8"))
    return {name: re.compile(rx) for name, rx in data["check_in_replies"].items()}


def check_in_reply(text: str) -> Literal["yes", "no"] | None:
    """``"yes"`` or ``"no"`` when the message reads as that answer, else ``None``."""
    normal = screen.normalise(text)
    expressions = _expressions()
    if expressions["yes"].search(normal):
        return "yes"
    if expressions["no"].search(normal):
        return "no"
    return None


def asks_something(text: str) -> bool:
    """Whether the message asks a question (a question mark or a question word first)."""
    return bool(_expressions()["asks"].search(text.strip().casefold()))

"""Recognise treatment decisions the assistant declines (pure Python, no Rasa).

``decision(text)`` promises the reason of the first rule in ``patterns.yml`` that
matches the message's normalised text ("dose", "medicine_change", "procedure",
"diagnosis"), else ``None``. ``@medicine`` and ``@procedure`` in a pattern stand for the
named contexts. Patterns are compiled once, when first used; an unknown context is an
error then.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import yaml

from bot.safety.screen import normalise

PATTERNS_PATH = Path(__file__).with_name("patterns.yml")
_CONTEXT = re.compile(r"@(\w+)")


@lru_cache(maxsize=2)
def _patterns(path: Path = PATTERNS_PATH) -> tuple[tuple[tuple[str, tuple[re.Pattern[str], ...]],
                                                       ...], re.Pattern[str]]:
    """(the decision rules, the ``personal`` pattern), compiled."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    contexts = {name: f"(?:{rx})" for name, rx in (data.get("contexts") or {}).items()}

    def expand(rx: str) -> str:
        def context(match: re.Match[str]) -> str:
            if match.group(1) not in contexts:
                raise ValueError(f"{path}: unknown context @{match.group(1)}")
            return contexts[match.group(1)]
        return _CONTEXT.sub(context, rx)

    decisions = tuple((str(rule["reason"]),
                       tuple(re.compile(expand(rx)) for rx in rule["patterns"]))
                      for rule in data.get("decisions") or [])
    if not data.get("personal"):
        raise ValueError(f"{path}: needs a 'personal' pattern")
    return decisions, re.compile(expand(str(data["personal"])))


def rules(path: Path = PATTERNS_PATH) -> tuple[tuple[str, tuple[re.Pattern[str], ...]], ...]:
    """(reason, compiled patterns) in file order."""
    return _patterns(path)[0]


def personal(text: str) -> bool:
    """Whether ``text`` speaks of the person or names a medicine or procedure (what a
    decision about one's own treatment always does)."""
    return bool(_patterns()[1].search(normalise(text or "")))


def decision(text: str) -> str | None:
    """The kind of treatment decision ``text`` asks for, or ``None``."""
    words = normalise(text or "")
    for reason, patterns in rules():
        if any(p.search(words) for p in patterns):
            return reason
    return None

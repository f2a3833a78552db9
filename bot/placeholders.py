"""The clinic's local numbers and messages that fixed replies refer to by placeholder.

Domain responses say ``{emergency_number}``, ``{crisis_line}``, ``{urgent_line}``,
``{clinic_phone}`` or ``{kiosk_staff_message}``; this module supplies the values. For
the three numbers: a value set in ``bot/settings.yml`` (with ``PAIN_*`` overrides) wins,
else the shipped country table (``safety.country``, ``bot/safety/helplines.py``), which
without a country points to the international helpline directory. It imports nothing
from Rasa, so the Rasa server (``bot.nlg``) and the
action server (``actions``) fill placeholders the same way.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from bot import settings
from bot.safety import helplines

# Used when bot/settings.yml leaves a clinic value empty.
FALLBACKS: dict[str, str] = {
    "clinic_phone": "its usual phone number",
    "kiosk_staff_message": "Please tell a member of staff now.",
}

# Every placeholder a domain response may use.
NAMES: tuple[str, ...] = ("emergency_number", "crisis_line", "urgent_line", *FALLBACKS)

_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


def _text(value: Any) -> str | None:
    """A setting as display text, or None when it is unset or blank."""
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def values(config: Mapping[str, Mapping[str, Any]] | None = None) -> dict[str, str]:
    """Every placeholder's value (see the module docstring); an unknown
    ``safety.country`` raises ``ValueError``."""
    config = settings.get() if config is None else config
    safety = dict(config.get("safety") or {})
    clinic = dict(config.get("clinic") or {})
    numbers = helplines.numbers(_text(safety.get("country")))
    given = {
        "clinic_phone": clinic.get("phone"),
        "kiosk_staff_message": clinic.get("kiosk_staff_message"),
    }
    filled = {name: _text(given[name]) or fallback for name, fallback in FALLBACKS.items()}
    for name, from_table in numbers.items():
        filled[name] = _text(safety.get(name)) or from_table
    return filled


def fill(text: str, filled: Mapping[str, str] | None = None) -> str:
    """``text`` with known placeholders replaced; other braces are left untouched."""
    filled = values() if filled is None else filled
    return _PLACEHOLDER.sub(lambda m: filled.get(m.group(1), m.group(0)), text)

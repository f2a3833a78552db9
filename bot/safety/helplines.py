"""Emergency, crisis and urgent-care numbers by country, from the shipped table.

``helplines.yml`` next to this file lists, for each ISO 3166 alpha-2 country code, the
emergency number, the national crisis line and the urgent (non-emergency) medical
line, each with the official pages it was checked against and the date. ``numbers``
turns one entry into the wording the safety replies use; with no country it points
to the international directory of helplines rather than to nothing.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

TABLE_PATH = Path(__file__).with_name("helplines.yml")
NO_COUNTRY = {
    "emergency_number": "your local emergency number",
    "urgent_line": "an urgent care service",
}


@lru_cache(maxsize=1)
def table() -> dict[str, Any]:
    """The whole table as read from ``helplines.yml``."""
    return yaml.safe_load(TABLE_PATH.read_text(encoding="utf-8"))


def countries() -> dict[str, dict[str, Any]]:
    """Country code -> entry."""
    return dict(table()["countries"])


def _line(entry: dict[str, Any] | None, hours: bool) -> str | None:
    if not entry:
        return None
    text = f"{entry['name']} on {entry['number']}"
    if hours and entry.get("hours"):
        text += f" ({entry['hours']})"
    return text


def numbers(country: str | None) -> dict[str, str]:
    """``emergency_number``, ``crisis_line`` and ``urgent_line`` for ``country``.

    ``None`` gives the no-country wording (the international directory for crisis
    lines). An unknown code raises ``ValueError``.
    """
    directory = table()["international"]
    if country is None:
        return {**NO_COUNTRY, "crisis_line": (
            f"a crisis line in your country ({directory['url']} lists free, "
            "confidential helplines by country)")}
    code = country.strip().upper()
    entry = countries().get(code)
    if entry is None:
        raise ValueError(f"unknown safety.country {country!r}; known: {sorted(countries())}")
    return {
        "emergency_number": str(entry["emergency"]),
        "crisis_line": _line(entry.get("crisis"), hours=True) or NO_COUNTRY["emergency_number"],
        "urgent_line": _line(entry.get("urgent"), hours=False) or NO_COUNTRY["urgent_line"],
    }


def startup_warnings(country: str | None) -> list[str]:
    """What ``make run`` must shout about before serving: no country set, or a country
    whose numbers could not all be checked against an official page."""
    if not country:
        return ["safety.country is not set in bot/settings.yml: crisis and red-flag replies "
                "say 'your local emergency number' and point to an international helpline "
                "directory instead of real local numbers. Set it (for example GB, US, AU)."]
    entry = countries().get(country.strip().upper())
    if entry is not None and not entry.get("verified", False):
        return [f"the helpline numbers for {country} in bot/safety/helplines.yml could not all "
                "be checked against an official page: "
                f"{' '.join(str(entry.get('notes', '')).split())}"
                " Check them, or set safety.crisis_line / emergency_number / urgent_line."]
    return []

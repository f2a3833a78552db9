"""bot/safety/helplines.yml: a sourced, dated table of numbers, and how it is used."""

from __future__ import annotations

import re

import pytest

from bot.safety import helplines

NUMBER = re.compile(r"^[0-9 +\-#()]+$")


def test_at_least_fifteen_countries_are_verified_with_sources_and_dates() -> None:
    verified = {code for code, entry in helplines.countries().items() if entry.get("verified")}
    assert len(verified) >= 15
    assert {"US", "GB", "IE", "CA", "AU", "NZ"} <= verified


@pytest.mark.parametrize("code", sorted(helplines.countries()))
def test_every_entry_is_complete(code: str) -> None:
    entry = helplines.countries()[code]
    assert NUMBER.match(str(entry["emergency"])), code
    assert entry["crisis"]["name"] and NUMBER.match(str(entry["crisis"]["number"])), code
    assert entry["urgent"] is None or NUMBER.match(str(entry["urgent"]["number"])), code
    sources = entry.get("sources") or []
    assert all(s.startswith(("https://", "http://")) for s in sources), code
    assert sources or not entry.get("verified"), f"{code} is verified without a source"
    assert re.match(r"^\d{4}-\d{2}-\d{2}$", str(entry["checked"])), code


def test_numbers_read_as_sentences() -> None:
    gb = helplines.numbers("gb")
    assert gb == {"emergency_number": "999", "crisis_line": "Samaritans on 116 123 (24/7)",
                  "urgent_line": "NHS 111 on 111"}
    assert helplines.numbers("US")["urgent_line"] == helplines.NO_COUNTRY["urgent_line"]


def test_no_country_points_to_the_directory_and_warns() -> None:
    assert "findahelpline.com" in helplines.numbers(None)["crisis_line"]
    assert helplines.startup_warnings(None)
    assert helplines.startup_warnings("GB") == []


def test_unverified_countries_warn_and_unknown_ones_fail() -> None:
    unverified = [c for c, e in helplines.countries().items() if not e.get("verified")]
    for code in unverified:
        assert helplines.startup_warnings(code)
    with pytest.raises(ValueError):
        helplines.numbers("ZZ")

"""Scrubbing personal details out of questions kept for content review."""

from __future__ import annotations

import pytest

from actions.review_log import scrub


@pytest.mark.parametrize(("text", "gone", "kept"), [
    ("email me at jo.bloggs+pain@mail.example.org please", ["jo.bloggs", "example"], ["email"]),
    ("ring 07700 900123 or +1 (555) 123-4567", ["07700", "555", "4567"], ["ring"]),
    ("I'm 45 and took 400mg for 3 weeks", ["45", "400", "3 "], ["took"]),
    ("my name is ann and my back hurts", ["ann"], ["back hurts"]),
    ("Hi, I am Peter Jones, why does it hurt", ["Peter", "Jones"], ["why does it hurt"]),
    ("my physio Sarah says pain is learned", ["Sarah"], ["pain is learned"]),
    ("Dr. Okafor told me about sensitisation", ["Okafor"], ["sensitisation"]),
    ("see https://example.com/my-notes?id=7", ["example.com", "my-notes"], ["see"]),
    ("I live at 12 acacia avenue, sw1a 1aa, is damp bad for pain",
     ["acacia", "sw1a", "1aa", "12"], ["is damp bad for pain"]),
    ("we walk down Mill Lane, postcode LS1 4AP", ["Mill", "LS1", "4AP"], ["we walk down"]),
    ("my name is sarah jones and my back hurts", ["sarah", "jones"], ["my back hurts"]),
    ("my dob is 3rd march 1970, NHS no 943 476 5919", ["march", "1970", "943", "5919"],
     ["NHS no"]),
    ("born on 12 May 1985, ssn 123-45-6789, zip 90210", ["May", "1985", "6789", "90210"],
     ["ssn"]),
])
def test_personal_details_are_removed(text: str, gone: list[str], kept: list[str]) -> None:
    cleaned = scrub(text)
    for fragment in gone:
        assert fragment not in cleaned
    for fragment in kept:
        assert fragment in cleaned


@pytest.mark.parametrize("text", [
    "why does pain last after an injury has healed?",
    "I am worried that pain means damage",
    "this is painful, is it my nervous system?",
    "does walking help? it is a long way to the shops",
    "my back hurts when I sit in the car on the road",
    "I was born with scoliosis, is that why",
])
def test_ordinary_questions_are_kept(text: str) -> None:
    assert scrub(text) == text

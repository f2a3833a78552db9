"""Query handling: spelling repair, follow-up detection, expansions."""

from __future__ import annotations

import pytest

from knowledge.query import SpellRepair, expand, is_followup, prepare, query_terms

LIBRARY = frozenset({"acupuncture", "sensitisation", "central", "nervous", "system", "pain",
                     "reprocessing", "therapy", "sleep", "scans"})
ENGLISH = frozenset({"what", "is", "does", "help", "with", "weather", "tomorrow", "wait",
                     "centre", "about"})


@pytest.fixture
def repair() -> SpellRepair:
    return SpellRepair(LIBRARY, ENGLISH)


@pytest.mark.parametrize(("query", "repaired", "corrections"), [
    ("wat is centrel sensitisation", "wat is central sensitisation", {"centrel": "central"}),
    ("does acupunture help", "does acupuncture help", {"acupunture": "acupuncture"}),
    ("nervus sistem", "nervous system", {"nervus": "nervous", "sistem": "system"}),
    ("Sensitsation", "sensitisation", {"Sensitsation": "sensitisation"}),
])
def test_misspelt_library_words_are_repaired(repair, query, repaired, corrections) -> None:
    assert repair(query) == (repaired, corrections)


@pytest.mark.parametrize("query", [
    "what is the weather tomorrow",  # ordinary English is left alone
    "centre",  # an English word one edit from a library word stays
    "acupressure",  # too far from any library word
])
def test_ordinary_and_unknown_words_are_left_alone(repair, query) -> None:
    assert repair(query) == (query, {})


def test_short_words_allow_one_edit_only(repair) -> None:
    assert repair("scnas") == ("scans", {"scnas": "scans"})  # one transposition
    assert repair("slep") == ("sleep", {"slep": "sleep"})  # one insertion
    assert repair("sxyns") == ("sxyns", {})  # two edits on a five-letter word
    assert repair("pan") == ("pan", {})  # under four letters: never touched


@pytest.mark.parametrize(("query", "followup"), [
    ("what about acupuncture?", True),
    ("how many people got better in that study?", True),
    ("and sleep?", True),
    ("why?", True),
    ("does stress make chronic pain worse", False),
    ("how does the nervous system amplify pain signals when someone has had pain for years "
     "and does that ever stop", False),
    ("", False),
])
def test_followups_are_short_and_lean_on_what_came_before(query, followup) -> None:
    assert is_followup(query) is followup


def test_prepare_joins_the_context_only_for_followups(repair) -> None:
    q = prepare("what about acupunture?", "what treatments help chronic pain?", repair)
    assert q.followup and q.repaired == "what about acupuncture?"
    assert q.with_context.startswith("what treatments help chronic pain? what about acupuncture?")
    standalone = prepare("does stress make chronic pain worse", "what is central sensitisation?",
                         repair)
    assert not standalone.followup and standalone.with_context is None
    no_context = prepare("what about acupuncture?", None, repair)
    assert not no_context.followup and no_context.with_context is None
    assert prepare("what about it", "   ", None).with_context is None


def test_expansions_come_from_the_terms_file() -> None:
    expansions = query_terms()["expansions"]
    assert expansions and query_terms()["out_of_scope"]
    word, library_words = next(iter(expansions.items()))
    assert expand(f"tell me about {word} please") == (
        f"tell me about {word} please ({library_words})")
    assert expand("tell me about bread") == "tell me about bread"
    q = prepare(f"what is {word}", None, None)
    assert q.repaired == f"what is {word}" and q.text.endswith(f"({library_words})")

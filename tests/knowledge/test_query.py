"""Query handling: spelling repair, follow-up detection, expansions."""

from __future__ import annotations

import pytest

from knowledge.query import (
    SpellRepair,
    asked_about,
    expand,
    is_followup,
    prepare,
    query_terms,
    without_openings,
)

LIBRARY = frozenset({"acupuncture", "sensitisation", "central", "nervous", "system", "pain",
                     "reprocessing", "therapy", "sleep", "scans"})
ENGLISH = frozenset({"what", "is", "does", "help", "with", "weather", "tomorrow", "wait",
                     "centre", "about", "dose", "should", "take", "why", "my", "back", "hurt"})


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
    ("why would focusing on the pain help, wouldn't it make it worse?", True),  # 12 words
    ("does it work for back pain?", True),
    ("is it safe?", True),
    ("does stress make chronic pain worse", False),
    # a dummy "it" points at nothing said before
    ("how long will it take to get better", False),
    ("is it normal to feel tired all the time", False),
    ("is it true that pain is made by the brain", False),
    ("my doctor thinks I'm making it up", False),  # idioms: "it" is the pain itself
    ("everything hurts way more than it should", False),
    ("is it all in my head", False),
    ("how do I learn to live with it", False),
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


def test_contractions_are_not_misspellings(repair) -> None:
    assert repair("wouldn't it wait") == ("wouldn't it wait", {})
    assert repair("what’s centrel") == ("what’s central", {"centrel": "central"})


def test_real_word_errors_are_repaired_only_where_they_cannot_be_meant(repair) -> None:
    assert repair("why dose my back hurt") == ("why does my back hurt",
                                               {"why dose": "why does"})
    assert repair("dose it help") == ("does it help", {"dose it": "does it"})
    assert repair("what dose should I take") == ("what dose should I take", {})


def test_phrases_match_in_order_with_a_little_slack() -> None:
    expansions = query_terms()["expansions"]
    phrase = next(k for k in expansions if len(k.split()) == 3)
    first, middle, last = phrase.split()
    library_words = expansions[phrase]
    assert library_words in expand(f"so {first} {middle} {last}")
    assert library_words in expand(f"{first} really {middle} {last} honestly")  # one between
    assert library_words not in expand(f"{first} one two three {middle} {last}")  # too far
    assert library_words not in expand(f"{last} {middle} {first}")  # wrong order


def test_asked_about_names_the_subject_of_an_effect_question() -> None:
    assert asked_about("does yoga help back pain?") == ["yoga"]
    assert asked_about("can a TENS machine help my back") == ["tens", "machine"]
    assert asked_about("is swimming good for chronic pain") == ["swimming"]
    assert asked_about("does it help?") == []
    assert asked_about("why does my back hurt") == []
    assert asked_about("how is it meant to help if it doesn't fix the tissue?") == []


@pytest.mark.parametrize(("message", "searched"), [
    ("thanks. what is pacing though?", "what is pacing though?"),
    ("Cheers!! ok, why does stress matter", "why does stress matter"),
    ("hi there", "hi there"),  # nothing would be left to search
    ("thanks so much", "thanks so much"),
    ("ok so what about sleep", "so what about sleep"),  # "so" still opens a follow-up
    ("okinawa diet and pain", "okinawa diet and pain"),  # whole words only
    ("NICE guidelines for back pain", "NICE guidelines for back pain"),
    ("hi! tell me about sleep", "sleep"),
    ("what do you know about pacing?", "pacing?"),
    ("tell me about it", "tell me about it"),  # nothing but function words would be left
])
def test_opening_pleasantries_and_request_wrappers_are_not_searched(message, searched) -> None:
    assert without_openings(message) == searched


def test_a_pleasantry_before_a_follow_up_leaves_it_a_follow_up(repair) -> None:
    q = prepare("thanks! and what about sleep?", "what is central sensitisation", repair)
    assert q.followup and q.repaired == "and what about sleep?"
    assert q.original == "thanks! and what about sleep?"


@pytest.mark.parametrize(("question", "asks"), [
    ("does it actually work?", True),
    ("any proof pacing helps, or is it just hype", True),
    ("what does the research say about sleep and pain", True),
    ("will physio even help my shoulder", True),
    ("how does it work?", False),
    ("why does my knee hurt more in the cold", False),
    ("what is pacing", False),
])
def test_questions_asking_whether_something_works_are_told_apart(question: str,
                                                                 asks: bool) -> None:
    from knowledge.query import asks_for_evidence

    assert asks_for_evidence(question) is asks

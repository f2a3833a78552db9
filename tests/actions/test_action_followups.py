"""tell me more, where is that from, what can I ask: real library, real domain wording."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from rasa_sdk.executor import CollectingDispatcher

from actions.answer import ActionAnswer
from actions.more import ActionTellMore
from actions.sources import ActionSources
from actions.topics import ActionListTopics
from tests.actions.actions_testkit import customs, make_tracker, slots_of, texts, wording

REPO = Path(__file__).resolve().parents[2]
QUESTION = "How does stress affect pain?"


def answered(domain):
    """Slots after a real answer to QUESTION."""
    dispatcher = CollectingDispatcher()
    slots = slots_of(ActionAnswer().run(dispatcher, make_tracker(QUESTION), domain))
    assert slots["last_reply_kind"] == "answer"
    return slots


def test_tell_more_gives_new_excerpts_for_the_same_question(domain, data_dir) -> None:
    slots = answered(domain)
    dispatcher = CollectingDispatcher()
    events = ActionTellMore().run(dispatcher, make_tracker("tell me more", "tell_more",
                                                           **slots), domain)
    (custom,) = customs(dispatcher)
    more = slots_of(events)
    if custom["kind"] == "answer":
        new_ids = [e["passage_id"] for e in custom["excerpts"]]
        assert new_ids and not set(new_ids) & set(slots["shown_passage_ids"])
        assert custom["text"] == wording(domain, "utter_more_intro")
        assert more["shown_passage_ids"] == slots["shown_passage_ids"] + new_ids
        # sources cited before keep their numbers
        for source in custom["sources"]:
            if source["id"] in slots["last_source_ids"]:
                assert source["n"] == slots["last_source_ids"].index(source["id"]) + 1
        assert more["last_source_ids"][: len(slots["last_source_ids"])] == \
            slots["last_source_ids"]
    else:
        assert custom["text"] == wording(domain, "utter_no_more")


def test_tell_more_runs_out(domain, data_dir) -> None:
    slots = answered(domain)
    for _ in range(30):  # the library is small: it must run out eventually
        dispatcher = CollectingDispatcher()
        events = ActionTellMore().run(
            dispatcher, make_tracker("more", "tell_more", **slots), domain)
        (custom,) = customs(dispatcher)
        if custom["kind"] != "answer":
            break
        slots.update(slots_of(events))
    assert custom["kind"] == "no_answer"
    assert custom["text"] == wording(domain, "utter_no_more")
    assert len(set(slots["shown_passage_ids"])) == len(slots["shown_passage_ids"])


def test_tell_more_before_any_question(domain) -> None:
    dispatcher = CollectingDispatcher()
    ActionTellMore().run(dispatcher, make_tracker("tell me more", "tell_more"), domain)
    (custom,) = customs(dispatcher)
    assert custom["kind"] == "chitchat"
    assert custom["text"] == wording(domain, "utter_no_question_yet")


def test_sources_give_full_details_in_citation_order(domain, data_dir) -> None:
    from knowledge import get_source

    slots = answered(domain)
    dispatcher = CollectingDispatcher()
    events = ActionSources().run(
        dispatcher, make_tracker("where is that from?", "source_request", **slots), domain)
    (custom,) = customs(dispatcher)
    assert custom["text"] == wording(domain, "utter_sources_intro")
    assert [s["id"] for s in custom["sources"]] == slots["last_source_ids"]
    (plain,) = texts(dispatcher)
    for entry in custom["sources"]:
        source = get_source(entry["id"])
        assert entry["title"] == source.title and entry["author"] == source.author
        assert entry["publisher"] == source.publisher and entry["url"] == source.url
        assert f"[{entry['n']}] {source.citation()}" in plain
        assert (entry["kind"], entry["sells"]) == (source.kind, source.sells)
        if entry["label"]:  # "acupuncture clinic blog, sells acupuncture"
            assert entry["label"].startswith(source.kind or "")
            assert f"({entry['label']})" in plain
    assert slots_of(events)["last_reply_kind"] == "sources"


def test_sources_before_any_answer(domain) -> None:
    dispatcher = CollectingDispatcher()
    ActionSources().run(dispatcher, make_tracker("source?", "source_request"), domain)
    (custom,) = customs(dispatcher)
    assert custom["text"] == wording(domain, "utter_no_question_yet")
    assert custom["sources"] == []


def test_topics_come_from_the_corpus(domain) -> None:
    from knowledge import list_topics

    dispatcher = CollectingDispatcher()
    ActionListTopics().run(dispatcher, make_tracker("what can I ask?", "what_can_i_ask"),
                           domain)
    (custom,) = customs(dispatcher)
    topics = list_topics()
    assert topics
    assert [s["title"] for s in custom["suggestions"]] == topics[: len(custom["suggestions"])]
    (plain,) = texts(dispatcher)
    assert plain.splitlines()[0] == wording(domain, "utter_topics_intro")
    assert plain.splitlines()[1:] == [f"- {t}" for t in topics]


def _what_can_i_ask_examples() -> list[str]:
    nlu = yaml.safe_load((REPO / "bot" / "nlu" / "followups.yml").read_text(encoding="utf-8"))
    (block,) = [b for b in nlu["nlu"] if b.get("intent") == "what_can_i_ask"]
    return [line.strip()[2:] for line in block["examples"].splitlines() if line.strip()]


def test_every_way_of_asking_for_the_topics_gets_the_topics(domain) -> None:
    examples = _what_can_i_ask_examples()
    assert len(examples) > 10
    for example in examples:
        dispatcher = CollectingDispatcher()
        events = ActionListTopics().run(dispatcher, make_tracker(example, "what_can_i_ask"),
                                        domain)
        assert slots_of(events)["last_reply_kind"] == "topics", example


@pytest.mark.parametrize(("message", "kind"), [
    ("whats hypermobility syndrome?", "no_answer"),  # a subject the library never mentions
    ("what do u know about central sensitisation", "answer"),
    ("what can you tell me about stress and pain", "answer"),
])
def test_a_topics_request_that_names_a_subject_is_searched(domain, data_dir, message,
                                                           kind) -> None:
    dispatcher = CollectingDispatcher()
    events = ActionListTopics().run(dispatcher, make_tracker(message, "what_can_i_ask"),
                                    domain)
    assert slots_of(events)["last_reply_kind"] == kind
    (custom,) = customs(dispatcher)
    assert custom["kind"] == kind
    if kind == "no_answer":
        assert "hypermobility" in custom["text"]  # said plainly what is not covered


def test_a_follow_up_joins_the_thread_and_a_new_question_starts_one() -> None:
    from actions.answer import THREAD_MAX_WORDS, thread_after

    assert thread_after("what is central sensitisation", "can it be undone?", True) == \
        "what is central sensitisation can it be undone?"
    assert thread_after("what is central sensitisation", "does sleep matter?", False) == \
        "does sleep matter?"
    assert thread_after(None, "can it be undone?", True) == "can it be undone?"
    long = " ".join(f"w{i}" for i in range(100))
    kept = thread_after(long, "and then?", True).split()
    assert len(kept) == THREAD_MAX_WORDS and kept[-2:] == ["and", "then?"]


def test_a_third_turn_is_still_read_in_the_first_turns_subject(domain, data_dir) -> None:
    slots: dict = {}
    for text in ("what is central sensitisation?", "can it be undone?",
                 "how long does that take"):
        dispatcher = CollectingDispatcher()
        slots.update(slots_of(ActionAnswer().run(dispatcher, make_tracker(text, **slots),
                                                 domain)))
        assert slots["last_question"].startswith("what is central sensitisation?")
    # answered or not, the third turn continued the thread, so the next one can too
    assert slots["last_reply_kind"] in {"answer", "no_answer"}


def test_a_followup_question_is_answered_with_some_quotes_not_just_shown(domain,
                                                                         data_dir) -> None:
    first = CollectingDispatcher()
    slots = slots_of(ActionAnswer().run(
        first, make_tracker("my mri says mild degenerative changes, is my spine crumbling?"),
        domain))
    assert slots["last_reply_kind"] == "answer"
    dispatcher = CollectingDispatcher()
    events = ActionAnswer().run(dispatcher, make_tracker("so why does it hurt so much then",
                                                         **slots), domain)
    (custom,) = customs(dispatcher)
    assert custom["kind"] == "answer"
    ids = [e["passage_id"] for e in custom["excerpts"]]
    assert set(ids) - set(slots["shown_passage_ids"])  # the best may be shown again
    assert slots_of(events)["shown_passage_ids"] == ids
    quotes = slots_of(events)["shown_quote_ids"]  # what the next follow-up avoids
    assert [q.split("@")[0] for q in quotes] == ids and len(set(quotes)) == len(quotes)

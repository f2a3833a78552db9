"""action_answer against the real library: cited verbatim excerpts, or an honest no."""

from __future__ import annotations

import json

from rasa_sdk.executor import CollectingDispatcher

from actions import contract
from actions.answer import ActionAnswer, excerpts_per_answer
from bot import placeholders
from tests.actions.actions_testkit import customs, make_tracker, slots_of, texts, wording

COVERED = "What is central sensitization?"
NOT_COVERED = "What is gout? My email is ann.smith@example.com and I'm Ann, call 07700 900123"


def run(domain, tracker):
    dispatcher = CollectingDispatcher()
    events = ActionAnswer().run(dispatcher, tracker, domain)
    return dispatcher, events


def test_answer_quotes_the_library_verbatim_with_citations(domain, data_dir) -> None:
    from knowledge import search

    dispatcher, events = run(domain, make_tracker(COVERED))
    (custom,) = customs(dispatcher)
    assert custom["kind"] == "answer"
    assert custom["text"] == wording(domain, "utter_answer_intro")
    assert custom["disclaimer"] == wording(domain, "utter_disclaimer")
    assert 1 <= len(custom["excerpts"]) <= excerpts_per_answer()

    hits = {h.passage_id: h for h in search(COVERED, k=excerpts_per_answer()).hits}
    source_numbers = {s["id"]: s["n"] for s in custom["sources"]}
    for excerpt in custom["excerpts"]:
        hit = hits[excerpt["passage_id"]]
        assert excerpt["text"] == hit.excerpt.text
        assert excerpt["text"] in hit.passage.text  # verbatim from the passage
        assert source_numbers[excerpt["source"]["id"]] == excerpt["n"]
    assert sorted(source_numbers.values()) == list(range(1, len(source_numbers) + 1))

    plain = texts(dispatcher)
    assert plain[0] == custom["text"]
    assert contract.excerpt_texts(custom["excerpts"]) == plain[1:-2]
    assert plain[-2].startswith(wording(domain, "utter_sources_line") + " [1] ")
    assert plain[-1] == custom["disclaimer"]

    slots = slots_of(events)
    assert slots["last_question"] == COVERED
    assert slots["last_answer_id"] == custom["answer_id"]
    assert slots["last_passage_ids"] == [e["passage_id"] for e in custom["excerpts"]]
    assert slots["shown_passage_ids"] == slots["last_passage_ids"]
    assert slots["last_source_ids"] == [s["id"] for s in custom["sources"]]
    assert slots["last_topic"]
    assert not (data_dir / "content_review.jsonl").exists()


def test_a_session_opening_with_a_question_gets_the_introduction_first(domain,
                                                                       data_dir) -> None:
    opened = [{"event": "session_started"}, {"event": "user", "text": COVERED}]
    dispatcher, _ = run(domain, make_tracker(COVERED, events=opened))
    intro = placeholders.fill(wording(domain, "utter_first_contact"))
    assert texts(dispatcher)[0] == intro
    assert "{" not in intro
    assert customs(dispatcher)[0]["kind"] == "answer"

    later, _ = run(domain, make_tracker(COVERED))  # the bot has spoken before
    assert intro not in texts(later)


def test_follow_up_uses_the_conversations_context(domain, data_dir) -> None:
    from knowledge import search

    question = "what about back pain?"
    tracker = make_tracker(question, last_question=COVERED,
                           last_topic="Central Sensitization")
    dispatcher, events = run(domain, tracker)
    (custom,) = customs(dispatcher)
    expected = search(question, k=excerpts_per_answer(), context=COVERED)
    assert expected.answerable
    quoted = [e["passage_id"] for e in custom["excerpts"]]
    assert quoted == [h.passage_id for h in expected.hits]
    # the context matters: without it the same words find other passages
    assert quoted != [h.passage_id for h in search(question, k=excerpts_per_answer()).hits]


def test_uncovered_question_is_declined_honestly_and_recorded_scrubbed(domain,
                                                                       data_dir) -> None:
    from knowledge import list_topics

    dispatcher, events = run(domain, make_tracker(NOT_COVERED))
    (custom,) = customs(dispatcher)
    assert custom["kind"] == "no_answer"
    assert custom["excerpts"] == [] and custom["sources"] == []
    # the library never mentions gout: the reply says so in the person's words
    assert custom["text"].startswith(
        wording(domain, "utter_no_answer_named").replace("{subject}", "gout"))
    assert "Ann" not in custom["text"]
    assert placeholders.fill(wording(domain, "utter_ask_clinician")) in custom["text"]
    topics = [s["title"] for s in custom["suggestions"]]
    assert 2 <= len(topics) <= 3
    assert set(topics) <= set(list_topics())
    assert any(t in " ".join(texts(dispatcher)) for t in topics)
    assert slots_of(events)["last_reply_kind"] == "no_answer"
    assert slots_of(events)["last_answer_id"] is None

    (line,) = (data_dir / "content_review.jsonl").read_text().splitlines()
    record = json.loads(line)
    assert set(record) == {"date", "question", "suggested_topics", "confidence"}
    assert "gout" in record["question"]
    for personal in ("ann.smith@example.com", "Ann", "07700", "900123",
                     "action-test-sender"):
        assert personal not in line
    assert record["suggested_topics"] == topics


def test_a_missing_word_that_is_not_the_subject_is_never_named(domain, data_dir) -> None:
    # "mum" and "hours" are not in the library, but they are not what is asked about
    for question in ("my mum has a bad back and people say it's in her head, is it?",
                     "I get about 4 hours sleep a night, is there a connection with pain?"):
        dispatcher, _ = run(domain, make_tracker(question))
        (custom,) = customs(dispatcher)
        named = wording(domain, "utter_no_answer_named").split("{subject}")[0]
        for word in ("mum", "4", "hours"):  # whatever the reply, neither is named as missing
            assert named + word not in custom["text"]
        if custom["kind"] == "no_answer":
            assert custom["text"].startswith(wording(domain, "utter_no_answer"))


def test_nothing_recorded_when_the_clinic_opts_out(domain, data_dir, monkeypatch) -> None:
    from bot import settings

    monkeypatch.setenv("PAIN_PRIVACY_RECORD_UNANSWERED", "false")
    settings.get.cache_clear()
    dispatcher, _ = run(domain, make_tracker(NOT_COVERED))
    (custom,) = customs(dispatcher)
    assert custom["kind"] == "no_answer"
    assert wording(domain, "utter_no_answer_recorded") not in custom["text"]
    assert not (data_dir / "content_review.jsonl").exists()


def test_a_long_uncovered_question_gets_the_plain_statement(domain, data_dir) -> None:
    # too long to name the subject safely: the plain statement instead
    question = ("My neighbour keeps going on about her cousin's new electric car and its "
                "battery range, are the charging points near the hospital car park any "
                "good for long trips?")
    dispatcher, _ = run(domain, make_tracker(question))
    (custom,) = customs(dispatcher)
    assert custom["kind"] == "no_answer"
    assert custom["text"].startswith(wording(domain, "utter_no_answer"))


def _after_check_in(first: str, reply: str = "no") -> list[dict]:
    return [*EARLIER_EVENTS,
            {"event": "user", "text": first, "parse_data": {}},
            {"event": "action", "name": "utter_check_in"},
            {"event": "bot", "text": "Is that happening for you?"},
            {"event": "action", "name": "action_listen"},
            {"event": "user", "text": reply, "parse_data": {}}]


EARLIER_EVENTS = [{"event": "session_started"}, {"event": "bot", "text": "Hello!"}]


READ_AS_NO = {"kind": None, "check_in_reply": "no"}


def test_after_no_to_the_check_in_the_earlier_question_is_answered_kindly(domain) -> None:
    tracker = make_tracker("no", intent="acknowledge", parse={"safety": READ_AS_NO},
                           events=_after_check_in("I can't cope anymore. " + COVERED))
    dispatcher, events = run(domain, tracker)
    (custom,) = customs(dispatcher)
    assert custom["kind"] == "answer" and custom["excerpts"]
    declined = placeholders.fill(wording(domain, "utter_check_in_declined"))
    assert custom["text"] == f"{declined} {wording(domain, 'utter_answer_intro')}"
    assert slots_of(events)["last_question"] == "I can't cope anymore. " + COVERED


def test_after_no_with_nothing_the_library_covers_only_the_kind_words(domain,
                                                                       data_dir) -> None:
    tracker = make_tracker("no", intent="acknowledge", parse={"safety": READ_AS_NO},
                           events=_after_check_in("I can't do this anymore"))
    dispatcher, events = run(domain, tracker)
    assert [m.get("response") for m in dispatcher.messages] == ["utter_check_in_declined"]
    assert events == []
    assert not (data_dir / "content_review.jsonl").exists()


def test_a_new_question_instead_of_an_answer_to_the_check_in_is_answered_itself(
        domain) -> None:
    # not a "no": no thanks for answering, and the new question, not the earlier one
    tracker = make_tracker(COVERED, parse={"safety": {"kind": None, "check_in_reply": None}},
                           events=_after_check_in("this pain is wearing me down",
                                                  reply=COVERED))
    dispatcher, events = run(domain, tracker)
    (custom,) = customs(dispatcher)
    declined = placeholders.fill(wording(domain, "utter_check_in_declined"))
    assert custom["kind"] == "answer" and not custom["text"].startswith(declined)
    assert slots_of(events)["last_question"] == COVERED


def test_no_with_a_new_question_answers_the_new_question(domain) -> None:
    text = "no. " + COVERED
    tracker = make_tracker(text, parse={"safety": READ_AS_NO},
                           events=_after_check_in("I can't do this anymore", reply=text))
    dispatcher, events = run(domain, tracker)
    (custom,) = customs(dispatcher)
    declined = placeholders.fill(wording(domain, "utter_check_in_declined"))
    assert custom["kind"] == "answer" and custom["text"].startswith(declined)
    assert slots_of(events)["last_question"] == text


CUT = {"cut": {"from_chars": 5000, "to_chars": 1998}}


def test_a_cut_message_is_answered_with_the_notice_first(domain) -> None:
    notice = wording(domain, "utter_message_cut")
    dispatcher, _ = run(domain, make_tracker(COVERED, parse=CUT))
    (custom,) = customs(dispatcher)
    assert custom["kind"] == "answer" and custom["excerpts"]
    assert custom["text"] == f"{notice} {wording(domain, 'utter_answer_intro')}"
    dispatcher, _ = run(domain, make_tracker(COVERED))
    assert not customs(dispatcher)[0]["text"].startswith(notice)


def test_a_cut_message_the_library_cannot_answer_gets_the_notice_too(domain) -> None:
    notice = wording(domain, "utter_message_cut")
    dispatcher, _ = run(domain, make_tracker(NOT_COVERED, parse=CUT))
    (custom,) = customs(dispatcher)
    assert custom["kind"] == "no_answer" and custom["text"].startswith(notice + " ")
    dispatcher, _ = run(domain, make_tracker("purple monkey dishwasher", parse=CUT))
    (custom,) = customs(dispatcher)
    assert custom["kind"] == "not_understood" and custom["text"].startswith(notice + " ")


def test_a_message_that_matches_nothing_and_asks_nothing_is_not_understood(domain,
                                                                           data_dir) -> None:
    dispatcher, events = run(domain, make_tracker("purple monkey dishwasher"))
    (custom,) = customs(dispatcher)
    assert custom["kind"] == "not_understood"
    assert custom["text"] == wording(domain, "utter_did_not_understand")
    assert custom["suggestions"]  # topics to ask about
    assert slots_of(events) == {"last_reply_kind": "not_understood"}
    assert not (data_dir / "content_review.jsonl").exists()


def test_a_statement_about_pain_is_searched_not_misunderstood(domain) -> None:
    dispatcher, _ = run(domain, make_tracker(
        "my pain moves around, one week its my hip then my knee then both sides"))
    (custom,) = customs(dispatcher)
    assert custom["kind"] in ("answer", "no_answer")


def test_questions_are_recognised_by_mark_or_first_word() -> None:
    from bot.questions import is_question

    assert is_question("whats pacing") and is_question("pacing?")
    assert is_question("Can someone explain central sensitization")
    assert not is_question("purple monkey dishwasher") and not is_question("")

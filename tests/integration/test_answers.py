"""Real conversations through Rasa's REST webhook: answers, follow-ups and refusals."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.integration

# Questions the default library covers (knowledge/default_library), in a patient's words.
COVERED = [
    "What is pain reprocessing therapy?",
    "Why do I still hurt when my scans are normal?",
    "How can acupuncture help persistent pain?",
    "what does the nervous system have to do with chronic pain",
    "what is neuroplastic pain",
]

# Health questions outside the library: honest "I don't know", with topics to try.
NOT_COVERED = [
    "How does the liver filter toxins out of the blood?",
    "How do hearing aids work?",
]

PERSONAL_ADVICE = [
    "Should I stop taking my gabapentin?",
    "How many ibuprofen can I take in a day?",
    "Can you tell me if I have a slipped disc?",
]


@pytest.mark.parametrize("question", COVERED)
def test_answer_quotes_the_library_verbatim_with_citations(bot_client, contract, question):
    contract.answer(bot_client.ask(question))


def test_follow_up_about_the_study_uses_the_conversation(bot_client, contract):
    """"That study" is the one the previous answer quoted: its passage is found again."""
    chat = bot_client.conversation()
    contract.answer(chat.ask("What is pain reprocessing therapy?"))
    follow_up = contract.answer(chat.ask("how many people got better in that study?"))
    passages = [contract.passages[e["passage_id"]].text for e in follow_up["excerpts"]]
    assert any("two thirds" in p for p in passages), follow_up["excerpts"]


def test_follow_up_quotes_the_study_result(bot_client, contract):
    """The excerpt chosen answers "how many": it quotes the result itself."""
    chat = bot_client.conversation()
    contract.answer(chat.ask("What is pain reprocessing therapy?"))
    follow_up = contract.answer(chat.ask("how many people got better in that study?"))
    quoted = " ".join(e["text"] for e in follow_up["excerpts"])
    assert "two thirds" in quoted, follow_up["excerpts"]


def test_tell_me_more_shows_new_passages(bot_client, contract):
    chat = bot_client.conversation()
    first = contract.answer(chat.ask("Why do I still hurt when my scans are normal?"))
    more = contract.answer(chat.ask("tell me more"))
    shown = {e["passage_id"] for e in first["excerpts"]}
    assert not shown & {e["passage_id"] for e in more["excerpts"]}, (first, more)


def test_where_is_that_from_names_the_last_sources(bot_client, contract):
    chat = bot_client.conversation()
    answer = contract.answer(chat.ask("How can acupuncture help persistent pain?"))
    sources = contract.turn(chat.ask("where is that from?"))
    assert {s["id"] for s in sources["sources"]} == {s["id"] for s in answer["sources"]}
    plain = "\n".join(m.get("text") or "" for m in chat.ask("where did you get that?"))
    for source in answer["sources"]:
        assert source["title"] in plain


def test_what_can_i_ask_lists_library_topics(bot_client, contract):
    import knowledge

    body = contract.turn(bot_client.ask("what can I ask you?"))
    assert body["suggestions"], body
    topics = set(knowledge.list_topics())
    for suggestion in body["suggestions"]:
        assert suggestion["payload"] in topics, suggestion


@pytest.mark.parametrize("question", NOT_COVERED)
def test_uncovered_question_says_so_with_suggestions(bot_client, contract, question):
    body = contract.turn(bot_client.ask(question))
    assert body["kind"] == "no_answer", body
    assert body["excerpts"] == [], body
    assert body["suggestions"], body


@pytest.mark.parametrize("question", PERSONAL_ADVICE)
def test_personal_advice_is_declined(bot_client, contract, question):
    body = contract.turn(bot_client.ask(question))
    assert body["kind"] == "declined", body
    assert body["excerpts"] == [], body
    topics = [s for s in body["suggestions"] if not s["payload"].startswith("/")]
    assert topics, body  # the related education the library has is offered


# Written for this test: messages NLU is unlikely to recognise, about pain or not.
UNRECOGNISED_ABOUT_PAIN = [
    "so my physio keeps going on about my nervous system being on high alert, what",
    "hurts more on rainy days and when im stressed at work, makes no sense",
]


@pytest.mark.parametrize("text", UNRECOGNISED_ABOUT_PAIN)
def test_an_unrecognised_message_about_pain_is_searched(bot_client, contract, text):
    body = contract.turn(bot_client.ask(text))
    assert body["kind"] in ("answer", "no_answer"), body


def test_a_message_matching_nothing_is_not_understood_and_offers_topics(bot_client, contract):
    body = contract.turn(bot_client.ask("purple monkey dishwasher"))
    assert body["kind"] == "not_understood", body
    assert body["excerpts"] == [] and body["suggestions"], body


def test_greeting_is_chitchat_without_health_text(bot_client, contract):
    body = contract.turn(bot_client.ask("hello"))
    assert body["kind"] == "chitchat", body
    assert body["excerpts"] == [], body


def test_feedback_applies_to_the_last_answer(bot_client, contract):
    chat = bot_client.conversation()
    contract.answer(chat.ask("what is neuroplastic pain"))
    reply = chat.ask("/feedback_helpful")
    assert any(m.get("text") for m in reply), reply

"""action_decline: the domain's decline, and the library's nearest topics offered."""

from __future__ import annotations

from rasa_sdk.executor import CollectingDispatcher

from actions.decline import RELATED_TOPICS, ActionDecline
from tests.actions.actions_testkit import customs, make_tracker, slots_of, texts, wording


def _decline(domain, text: str):
    dispatcher = CollectingDispatcher()
    events = ActionDecline().run(dispatcher, make_tracker(text, "ask_personal_advice"), domain)
    return dispatcher, events


def test_the_decline_offers_related_library_topics(domain) -> None:
    dispatcher, events = _decline(domain, "should I stop my pregabalin for my nerve pain?")
    (custom,) = customs(dispatcher)
    assert custom["kind"] == "declined"
    assert custom["excerpts"] == [] and custom["sources"] == []
    decline = wording(domain, "utter_decline_personal_advice").split("{")[0]
    assert custom["text"].startswith(decline)
    from knowledge import list_topics

    offered = [s["title"] for s in custom["suggestions"] if not s["payload"].startswith("/")]
    assert len(offered) == RELATED_TOPICS
    assert set(offered) <= set(list_topics())
    assert any(s["payload"] == "/what_can_i_ask" for s in custom["suggestions"])
    plain = texts(dispatcher)
    assert plain[0].startswith(decline)
    assert all(f"- {topic}" in plain[1] for topic in offered)
    assert slots_of(events) == {"last_reply_kind": "declined"}


def test_the_topics_follow_the_question(domain) -> None:
    def offered(text: str) -> list[str]:
        (custom,) = customs(_decline(domain, text)[0])
        return [s["title"] for s in custom["suggestions"] if not s["payload"].startswith("/")]

    assert offered("how many acupuncture sessions should I book for my back?") != \
        offered("should I stop my antidepressant because I'm sleeping badly?")


def test_an_empty_message_gets_the_plain_decline(domain) -> None:
    dispatcher, _ = _decline(domain, "  ")
    (custom,) = customs(dispatcher)
    assert [s["payload"] for s in custom["suggestions"]] == ["/what_can_i_ask"]
    assert len(texts(dispatcher)) == 1

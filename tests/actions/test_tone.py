"""Which acknowledgement opens an answer (actions/tone.py), and that the answer uses it."""

from __future__ import annotations

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions import tone
from actions.answer import ActionAnswer
from tests.actions.actions_testkit import customs, make_tracker, wording


@pytest.mark.parametrize(("text", "response"), [
    ("so basically its all in my head then? great", "utter_ack_doubt"),
    ("the physio looked at me like I was faking. why does it hurt when nothing is broken",
     "utter_ack_doubt"),
    ("I'm so fed up, I've tried everything for my back", "utter_ack_frustration"),
    ("im really scared the scan means my spine is crumbling", "utter_ack_worry"),
    ("been struggling all week, why is sleep so bad with pain?", "utter_ack_hard"),
    ("doctor said my mri shows degenerated discs, is that whats causing all my back pain?",
     "utter_caveat_own_case"),
    ("could my childhood have anything to do with why my pain is so bad, is that the reason?",
     "utter_caveat_own_case"),
    ("what is central sensitization?", None),
    ("does acupuncture help with back pain", None),
    # the library's own subject is no feeling
    ("first time in months with no flare! does exercise actually calm the nervous system?",
     None),
    ("bit nervous about my scan on friday, what do they actually show?", "utter_ack_worry"),
])
def test_the_first_matching_signal_chooses_the_acknowledgement(text, response) -> None:
    assert tone.acknowledgement(text) == response


def test_every_acknowledgement_has_domain_wording(domain) -> None:
    for response, _ in tone._entries():
        assert wording(domain, response)


def test_a_doubting_question_is_acknowledged_before_the_answer(domain, data_dir) -> None:
    question = "am i making it up if my scan is normal but i still hurt?"
    dispatcher = CollectingDispatcher()
    ActionAnswer().run(dispatcher, make_tracker(question), domain)
    (custom,) = customs(dispatcher)
    assert custom["kind"] == "answer"
    assert custom["text"] == (f"{wording(domain, 'utter_ack_doubt')} "
                              f"{wording(domain, 'utter_answer_intro')}")

"""bot.safety.screen: every written phrase lands in its category, look-alikes in none."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import yaml

from bot.safety import screen as s

PHRASES = yaml.safe_load(
    (Path(__file__).resolve().parents[2] / "data" / "safety_phrases.yml").read_text("utf-8")
)


def test_phrase_file_has_enough_cases() -> None:
    assert len(PHRASES["crisis"]) >= 35
    assert len(PHRASES["red_flag"]) >= 35
    assert len(PHRASES["harmless"]) >= 25
    assert all(isinstance(p, str) for values in PHRASES.values() for p in values)


@pytest.mark.parametrize("text", PHRASES["crisis"])
def test_crisis_phrases_are_crisis(text: str) -> None:
    result = s.screen(text)
    assert result.category == "crisis", result


@pytest.mark.parametrize("text", PHRASES["red_flag"])
def test_red_flag_phrases_are_red_flags(text: str) -> None:
    result = s.screen(text)
    assert result.category == "red_flag", result


@pytest.mark.parametrize("text", PHRASES["harmless"])
def test_harmless_look_alikes_are_not_flagged(text: str) -> None:
    result = s.screen(text)
    assert result.category is None, result


def test_crisis_wins_over_red_flag_and_keeps_both_reasons() -> None:
    result = s.screen("I want to kill myself and I have chest pain")
    assert result.category == "crisis"
    assert "intent_to_end_life" in result.reason
    assert "chest_pain" in result.reason


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("my saddle area is numb", "cauda_equina_saddle_numbness"),
        ("I've got back pain and a fever", "back_pain_with_fever"),
        ("worst headache of my life", "sudden_severe_headache"),
        ("crushing pain in my chest", "chest_pain"),
        ("I've been stockpiling my tablets", "overdose_or_stockpiling"),
    ],
)
def test_reason_names_the_rule_not_the_text(text: str, reason: str) -> None:
    result = s.screen(text)
    assert reason in result.reason
    assert text not in result.reason


@pytest.mark.parametrize(
    "text",
    [
        "no chest pain, just a sore shoulder",
        "I do not have a fever and my back is only stiff",
        "I've never had cancer, why does my back hurt?",
        "no numbness in my groin and my bladder is fine",
        "I fell over two years ago and my back still aches",
    ],
)
def test_negated_or_old_red_flags_do_not_count(text: str) -> None:
    assert s.screen(text).category is None


def test_negation_stays_inside_its_clause() -> None:
    text = "I don't have any bladder problems but now my legs are getting weaker"
    assert s.screen(text).category == "red_flag"


@pytest.mark.parametrize(
    "text",
    [
        "/greet I want to kill myself",
        "/greet@0.9 I want to kill myself",
        '/ask_question{"question": "i am going to end my life"}',
        "/i_want_to_kill_myself",
        "  /restart   I cant go on",
    ],
)
def test_forced_intent_messages_are_screened(text: str) -> None:
    assert s.screen(text).category == "crisis"


@pytest.mark.parametrize("text", ["/greet", "/feedback_helpful", "/tell_more", "", None, "   "])
def test_plain_commands_and_empty_text_pass(text: str | None) -> None:
    assert s.screen(text).category is None


def test_normalise_fixes_case_quotes_repeats_and_typos() -> None:
    assert s.normalise("I CAN’T go on, I wanna diiiie") == "i cannot go on , i want to die"
    assert s.normalise("suicidle thoughts; kil myslef") == "suicidal thoughts . kill myself"
    assert s.normalise("Self-harm") == "self harm"


def test_classifier_vote_needs_a_plausible_cue() -> None:
    assert s.classifier_may_vote(s.screen("I am ready to give up for good"), "crisis")
    # No cue word, a negated match, an idiom: the classifier is not believed.
    assert not s.classifier_may_vote(s.screen("my legs feel heavy after a walk"), "red_flag")
    assert not s.classifier_may_vote(s.screen("I don't have a fever"), "red_flag")
    assert not s.classifier_may_vote(s.screen("my chest of drawers fell over"), "red_flag")
    assert not s.classifier_may_vote(s.screen("I'm dying to know more"), "crisis")


def test_patterns_file_compiles_and_negation_words_are_strings() -> None:
    patterns = s.load_patterns()
    assert patterns.rules
    assert "no" in patterns.negation_words  # YAML 1.1 would have read a bare no as False
    assert {r.category for r in patterns.rules} == {"crisis", "red_flag"}


def test_screen_is_fast() -> None:
    """Under 1 ms per message (best of five runs, so a busy machine does not flake)."""
    texts = [t for values in PHRASES.values() for t in values]
    s.screen("warm up")
    runs = []
    for _ in range(5):
        start = time.perf_counter()
        for text in texts:
            s.screen(text)
        runs.append((time.perf_counter() - start) / len(texts))
    assert min(runs) < 0.001

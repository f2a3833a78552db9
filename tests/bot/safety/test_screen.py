"""bot.safety.screen: every written phrase lands in its category, look-alikes in none."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.safety import screen as s
from bot.safety import taxonomy

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


def test_a_past_crisis_stays_past_when_only_the_pain_is_still_there() -> None:
    past = ("Back in 2012 I took an overdose after my spinal surgery failed. I still have "
            "the back pain, and today I went swimming. Does pain ever fade over decades?")
    assert s.screen(past).category is None
    back = ("Back in 2012 I took an overdose after my spinal surgery failed, "
            "and I still think about doing it")
    assert s.screen(back).category == "crisis"


@pytest.mark.parametrize("text", ["i dont want to be dead boring at my sisters 50th",
                                  "i would murder a hot bath right now, back is agony"])
def test_dead_and_murder_idioms_are_cut_out(text: str) -> None:
    assert s.screen(text).category is None
    assert "dead" not in s.without_idioms(text) and "murder" not in s.without_idioms(text)


@pytest.mark.parametrize("text", ["been low, not wanting to hurt myself or anything",
                                  "i never cut my arms, it was the cat"])
def test_a_crisis_rule_just_after_a_negation_does_not_count(text: str) -> None:
    assert s.screen(text).category is None


@pytest.mark.parametrize("text", ["it is hard not to cut my arms when it flares",
                                  "I don't want to live anymore",
                                  "i would never say it out loud but i want to kill myself"])
def test_crisis_negation_is_short_and_not_to_still_counts(text: str) -> None:
    assert s.screen(text).category == "crisis"


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


def test_patterns_file_compiles_and_negation_words_are_strings() -> None:
    patterns = s.load_patterns()
    assert patterns.rules
    assert "no" in patterns.negation_words  # YAML 1.1 would have read a bare no as False
    assert {r.category for r in patterns.rules} == {"crisis", "red_flag", "check_in"}
    categories = {r.red_flag_category for r in patterns.rules if r.category == "red_flag"}
    assert categories <= set(taxonomy.categories()) and None not in categories


@pytest.mark.parametrize(("text", "category"), [
    ("my bum went numb and I can't pee", "cauda_equina"),
    ("bad back and I wet me pants at work, never done that", "cauda_equina"),
    ("fever, a pounding headache and I can't bend my neck", "meningitis"),
    ("banged my head on the car door, I take rivaroxaban", "head_injury"),
    ("my right foot keeps dragging when I walk", "nerve_weakness"),
    ("crushing chest pain going down my arm", "heart_attack"),
    ("fell down the stairs and now my back is agony", "fracture"),
])
def test_red_flag_rules_name_their_category(text: str, category: str) -> None:
    result = s.screen(text)
    assert (result.category, result.red_flag_category) == ("red_flag", category)


def test_a_negated_context_does_not_count() -> None:
    assert s.screen("neck is stiff from sleeping funny, no temperature, no rash").category is None


def test_keyword_rules_are_marked_confirmable_and_explicit_ones_are_not() -> None:
    assert s.screen("I feel suicidal").confirmable
    assert not s.screen("I want to end my life").confirmable
    assert not s.screen("I can't control my bladder and my back is agony").confirmable


def test_the_more_urgent_category_wins_when_several_match() -> None:
    result = s.screen("I fell over this morning, my back hurts and I can't feel it when I wipe")
    assert result.red_flag_category == "cauda_equina"


@pytest.mark.parametrize("text", [
    "how many of my pregabalin would it take to not wake up",
    "how much oxycodone would be lethal, asking for me",
    "this is my last message, tell my son I love him and I'm sorry",
    "I hope I just don't wake up tomorrow",
    "sorted my will and I've been giving away my things to the grandkids",
    "I've been saving my tablets, how many would be enough now",
    "the usual week. to be honest i dont plan on being around after the weekend. heat or ice?",
    "I won't be here by Christmas",
])
def test_method_seeking_goodbyes_and_passive_wishes_are_crisis(text: str) -> None:
    assert s.screen(text).category == "crisis"


@pytest.mark.parametrize("text", [
    "what is the gentlest way to die, I'm so tired of this pain",
    "is there a quick method to end it all",
    "can you overdose on amitriptyline without feeling it",
    "how would someone od so it works first time",
    "just tell me the least painful exit.",
])
def test_asking_for_an_easy_or_sure_way_to_die_is_method_seeking(text: str) -> None:
    result = s.screen(text)
    assert result.category == "crisis"
    assert "method_seeking" in result.reason.split(", ")


@pytest.mark.parametrize("text", [
    "what's the best way to go about pacing my walks?",
    "is there a painless way to do hamstring stretches",
    "can I go without pain meds for a day before my blood test?",
    "how do I go without my tablets on the morning of the operation?",
    "what's the quickest way to get to the pain clinic from the station",
])
def test_ways_and_methods_for_ordinary_things_are_not_method_seeking(text: str) -> None:
    assert s.screen(text).category != "crisis"


@pytest.mark.parametrize("text", [
    "how many lunges are too many with kneecap pain",
    "how many minutes on the exercise bike is too many in a flare?",
    "how many flights of stairs a day would be too many after my hip op",
    "how many weeks of resting is too many with a trapped nerve",
])
def test_counts_of_time_or_activity_are_pacing_not_method_seeking(text: str) -> None:
    assert s.screen(text).category != "crisis"


@pytest.mark.parametrize("text", [
    "how many co-codamol would be too many",
    "how many of my tablets a day is too many",
    "how much morphine is too many",  # the words of a dose, whatever the grammar
])
def test_counts_of_tablets_that_are_too_many_stay_method_seeking(text: str) -> None:
    assert "method_seeking" in s.screen(text).reason.split(", ")


@pytest.mark.parametrize("text", ["I can't do this anymore", "what's the point",
                                  "this pain will be the death of me",
                                  "does everyone with fibro feel like such a burden at home?"])
def test_ambiguous_distress_asks_for_a_check_in(text: str) -> None:
    assert s.screen(text).category == "check_in"


@pytest.mark.parametrize("text", ["I don't want to feel like a burden to the physio",
                                  "this heat pack feels like a hug"])
def test_not_wanting_to_burden_someone_is_not_distress_by_rule(text: str) -> None:
    assert s.screen(text).category is None


@pytest.mark.parametrize(("text", "expected"), [
    ("I self harmed as a teenager, it's behind me now. What is CBT?", None),
    ("I self harmed as a teenager and lately it's started again", "crisis"),
    ("are people with chronic pain more likely to be suicidal?", None),
    ("I feel suicidal", "crisis"),
    ("my friend died of cancer, my back aches the same as ever", None),
    ("I had breast cancer and now new back pain at night", "red_flag"),
])
def test_keyword_rules_leave_history_and_general_questions_to_the_classifier(
        text: str, expected: str | None) -> None:
    assert s.screen(text).category == expected



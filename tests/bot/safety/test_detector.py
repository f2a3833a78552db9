"""bot.safety.detector: rules and classifier combined, the safe side winning."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.safety import detector
from bot.safety.classifier import Scores
from bot.safety.detector import Detector, DetectorSettings, Thresholds
from tests.bot.safety import fakes


def scores(crisis: float = 0.0, distress: float = 0.0, red_flag: float = 0.0,
           category: str | None = None) -> Scores:
    return Scores(crisis=crisis, distress=distress, red_flag=red_flag, category=category)


def test_a_rule_decides_even_when_the_classifier_sees_nothing() -> None:
    result = fakes.detector().assess("I want to kill myself")
    assert (result.kind, result.source) == ("crisis", "patterns")


def test_the_classifier_adds_what_the_rules_miss() -> None:
    text = "I'd like to go to sleep and stay there"
    result = fakes.detector({text: scores(crisis=0.7)}).assess(text)
    assert (result.kind, result.source) == ("crisis", "classifier")


def test_crisis_outranks_a_red_flag_and_a_red_flag_outranks_a_check_in() -> None:
    text = "whatever"
    assert fakes.detector({text: scores(crisis=0.6, red_flag=0.9, category="stroke")}) \
        .assess(text).kind == "crisis"
    both = fakes.detector({text: scores(distress=0.9, red_flag=0.9, category="stroke")})
    assert both.assess(text).kind == "red_flag"


def test_a_symptom_the_rules_recognise_keeps_its_reply_unless_crisis_is_likelier() -> None:
    text = "i have chest pain"  # a red-flag rule reads a heart attack
    symptom = fakes.detector({text: scores(crisis=0.55, red_flag=0.6, category="heart_attack")})
    result = symptom.assess(text)
    assert (result.kind, result.category, result.tier) == ("red_flag", "heart_attack",
                                                           "emergency")
    likelier = fakes.detector({text: scores(crisis=0.7, red_flag=0.3, category="heart_attack")})
    assert likelier.assess(text).kind == "crisis"
    # no red-flag rule: the classifier's crisis score decides as before
    other = "whatever"
    assert fakes.detector({other: scores(crisis=0.55, red_flag=0.6, category="stroke")}) \
        .assess(other).kind == "crisis"
    # a crisis rule always stands
    crisis = "I want to kill myself and I have chest pain"
    assert fakes.detector({crisis: scores(crisis=0.1, red_flag=0.9, category="heart_attack")}) \
        .assess(crisis).kind == "crisis"


def test_red_flag_takes_the_more_urgent_category_when_both_see_one() -> None:
    text = "my back hurts and I've got a temperature"  # the rules read a spinal infection
    found = fakes.detector({text: scores(red_flag=0.95, category="cauda_equina")}).assess(text)
    assert (found.kind, found.category, found.tier) == ("red_flag", "cauda_equina", "emergency")
    rules_only = fakes.detector().assess(text)
    assert (rules_only.category, rules_only.tier) == ("spinal_infection", "today")


def test_check_in_from_crisis_and_distress_together() -> None:
    text = "I'm so worn out by all of it"
    assert fakes.detector({text: scores(crisis=0.3, distress=0.3)}).assess(text).kind == \
        "check_in"
    assert fakes.detector({text: scores(crisis=0.2, distress=0.2)}).assess(text).kind is None


def test_a_failing_classifier_leaves_the_rules_in_charge() -> None:
    screen = fakes.detector(fail=True)
    assert screen.assess("I want to end my life").kind == "crisis"
    quiet = screen.assess("what is pacing?")
    assert (quiet.kind, quiet.source) == (None, "patterns-only")


def test_the_classifier_reads_the_words_of_a_forced_intent() -> None:
    screen = fakes.detector()
    screen.assess("/greet I would rather be gone")
    assert screen.classifier.seen == ["I would rather be gone"]


def test_record_holds_names_and_scores_never_the_text() -> None:
    text = "my name is Alex and I want to die"
    record = fakes.detector({text: scores(crisis=0.9)}).assess(text).record()
    assert "Alex" not in repr(record)
    assert set(record) == {"kind", "category", "tier", "reason", "source", "scores"}


@pytest.mark.parametrize("values", [(0.0, 0.5, 0.5), (0.5, 1.0, 0.5), (0.4, 0.5, 0.5),
                                    (0.5, 0.5, 0.5, 0.3)])
def test_thresholds_are_validated_when_built(values: tuple[float, ...]) -> None:
    with pytest.raises(ValueError):
        Thresholds(*values)


def test_settings_file_is_valid_and_paths_are_absolute() -> None:
    settings = DetectorSettings.load()
    assert settings.model.is_absolute()
    assert settings.thresholds.check_in <= settings.thresholds.crisis


def test_settings_refuse_unknown_training_keys(tmp_path: Path) -> None:
    bad = tmp_path / "detector.yml"
    bad.write_text("model: m\ntraining: {epochs: 1}\n"
                   "thresholds: {crisis: 0.5, red_flag: 0.5, check_in: 0.5}\n")
    with pytest.raises(ValueError, match="training needs"):
        DetectorSettings.load(bad)


def training(**changes: object) -> dict:
    """Valid training settings, with ``changes``."""
    return {**dict(epochs=1, batch_size=1, learning_rate=0.1, dropout=0.1, layers=6,
                   frozen_layers=0, seeds=[1], buried={"crisis": 1}), **changes}


def test_settings_refuse_buried_counts_for_unknown_labels(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="training.buried"):
        DetectorSettings(model=tmp_path, training=training(buried={"distress": 10}),
                         thresholds=fakes.THRESHOLDS)


def test_settings_refuse_repeated_seeds(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="seeds"):
        DetectorSettings(model=tmp_path, training=training(seeds=[3, 3]),
                         thresholds=fakes.THRESHOLDS)


@pytest.mark.parametrize(("layers", "frozen"), [(0, 0), (7, 0), (3, 3)])
def test_settings_refuse_layers_the_model_does_not_have(tmp_path: Path, layers: int,
                                                        frozen: int) -> None:
    with pytest.raises(ValueError, match="layers"):
        DetectorSettings(model=tmp_path, training=training(layers=layers, frozen_layers=frozen),
                         thresholds=fakes.THRESHOLDS)


def test_settings_refuse_an_impossible_thread_count(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="threads"):
        DetectorSettings(model=tmp_path, training=training(), thresholds=fakes.THRESHOLDS,
                         threads=0)


def test_build_refuses_a_missing_classifier_unless_told_not_to(tmp_path: Path) -> None:
    settings = DetectorSettings(model=tmp_path / "nothing", training=training(),
                                thresholds=fakes.THRESHOLDS)
    with pytest.raises(RuntimeError, match="make model"):
        detector.build(settings)
    lenient = detector.build(settings, strict=False)
    assert isinstance(lenient, Detector) and lenient.classifier is None


def test_a_confident_classifier_overrules_keyword_rules_only() -> None:
    veto = Thresholds(crisis=0.5, red_flag=0.8, check_in=0.5, veto=0.95)
    sure = Scores(crisis=0.0, distress=0.0, red_flag=0.0, category=None, safe=0.99)
    keyword = "we talked about suicide prevention at my support group, what helps?"
    explicit = "I want to kill myself"
    classifier = fakes.FakeClassifier({keyword: sure, explicit: sure})
    screen = Detector(veto, classifier)  # type: ignore[arg-type]
    overruled = screen.assess(keyword)
    assert (overruled.kind, overruled.source) == (None, "patterns overruled")
    assert screen.assess(explicit).kind == "crisis"
    unsure = Scores(crisis=0.1, distress=0.0, red_flag=0.0, category=None, safe=0.8)
    doubtful = Detector(veto, fakes.FakeClassifier({keyword: unsure}))  # type: ignore[arg-type]
    assert doubtful.assess(keyword).kind == "crisis"


@pytest.mark.parametrize("text", ["bye", "Goodbye!", "ok bye then", "thanks, bye", "night night"])
def test_bare_chit_chat_is_not_read_by_the_classifier(text: str) -> None:
    screen = fakes.detector({text: scores(crisis=0.9)})
    assert screen.assess(text).kind is None
    assert screen.classifier.seen == []


def test_a_farewell_with_more_in_it_is_still_read() -> None:
    text = "goodbye everyone, thank you for everything"
    screen = fakes.detector({text: scores(crisis=0.9)})
    assert screen.assess(text).kind == "crisis"


def test_a_general_or_past_framing_needs_more_from_the_classifier_alone() -> None:
    general = "do pain clinics ask people about thoughts of ending their life?"
    past = "years ago I was in a very dark place with my back, now I'm curious about pacing"
    disclosure = "I'm in a very dark place with my back tonight"
    framed = Thresholds(0.5, 0.5, 0.5, 1.0, crisis_framed=0.9)
    for text in (general, past):
        screen = Detector(framed, fakes.FakeClassifier({text: scores(crisis=0.8)}))
        assert screen.assess(text).kind == "check_in"  # asked gently, not the crisis reply
        sure = Detector(framed, fakes.FakeClassifier({text: scores(crisis=0.95)}))
        assert sure.assess(text).kind == "crisis"
    screen = Detector(framed, fakes.FakeClassifier({disclosure: scores(crisis=0.8)}))
    assert screen.assess(disclosure).kind == "crisis"


def test_the_framed_threshold_may_not_be_below_the_crisis_threshold() -> None:
    with pytest.raises(ValueError, match="crisis_framed"):
        Thresholds(0.5, 0.5, 0.5, 1.0, crisis_framed=0.4)

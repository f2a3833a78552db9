"""What the classifier is trained on (no torch needed: the data, not the fit)."""

from __future__ import annotations

from collections import Counter

from bot.safety import taxonomy, train
from bot.safety.detector import DetectorSettings, classifier_input


def test_training_texts_are_what_the_screen_gives_the_classifier_and_composites_are_added(
) -> None:
    settings = DetectorSettings.load()
    seed = settings.training["seeds"][0]
    texts, classes = train.training_data(settings.training, seed)
    assert len(texts) == len(classes)
    buried = sum(settings.training["buried"].values())
    plain = dict(settings.training, buried={label: 0 for label in settings.training["buried"]})
    fewer, _ = train.training_data(plain, seed)
    assert len(texts) - len(fewer) == buried
    sample = texts[::97]
    assert all(classifier_input(t) == t for t in sample)  # normalised, idioms cut out
    known = {taxonomy.SAFE, taxonomy.DISTRESS, taxonomy.CRISIS, *taxonomy.categories()}
    assert set(classes) <= known
    counts = Counter(classes)
    assert counts[taxonomy.CRISIS] > 1000 and counts[taxonomy.SAFE] > counts[taxonomy.CRISIS]


def test_the_fingerprint_covers_the_rules_the_training_text_depends_on() -> None:
    names = {p.name for p in train.input_files()}
    assert {"patterns.yml", "screen.py", "augment.py", "classifier.py"} <= names


def test_each_member_has_its_own_fingerprint() -> None:
    settings = DetectorSettings.load()
    first, second = settings.training["seeds"][:2]
    assert train.fingerprint(settings, "pkg==1", first) != train.fingerprint(settings, "pkg==1",
                                                                             second)
    assert train.member(settings, first) != train.member(settings, second)

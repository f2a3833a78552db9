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


def test_the_fingerprint_follows_what_a_member_learns_from(monkeypatch) -> None:
    training = {"epochs": 4, "buried": {"crisis": 1}, "seeds": [7, 11]}
    texts, classes = ["i want to die", "my back hurts"], [taxonomy.CRISIS, taxonomy.SAFE]
    base = train.fingerprint(training, "pkg==1", 7, texts, classes)
    assert base == train.fingerprint(dict(training, seeds=[7]), "pkg==1", 7, texts, classes)
    changed = [
        train.fingerprint(training, "pkg==1", 11, texts, classes),
        train.fingerprint(training, "pkg==2", 7, texts, classes),
        train.fingerprint(dict(training, epochs=3), "pkg==1", 7, texts, classes),
        train.fingerprint(training, "pkg==1", 7, ["i want to die", "my back aches"], classes),
        train.fingerprint(training, "pkg==1", 7, texts, [taxonomy.CRISIS, taxonomy.DISTRESS]),
    ]
    monkeypatch.setattr(train, "recipe", lambda: "another way of training")
    changed.append(train.fingerprint(training, "pkg==1", 7, texts, classes))
    assert base not in changed and len(set(changed)) == len(changed)


def test_the_recipe_is_the_training_code_and_not_the_command_line() -> None:
    recipe = train.recipe()
    assert "def fit_and_export" in recipe and "def quantise" in recipe
    assert "def segments" in recipe and f"MAX_TOKENS={train.MAX_TOKENS}" in recipe
    assert "def main" not in recipe and "def fingerprint" not in recipe


def test_each_member_has_its_own_folder() -> None:
    settings = DetectorSettings.load()
    first, second = settings.training["seeds"][:2]
    assert train.member(settings, first) != train.member(settings, second)

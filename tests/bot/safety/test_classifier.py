"""bot.safety.classifier: segments, score summaries, and the exported model on a small,
fixed sample written here (never the frozen test set). ``make model`` builds the model
before ``make test-rasa-unit`` runs these."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from bot.safety import classifier, taxonomy
from bot.safety.detector import DetectorSettings


def test_short_messages_are_read_whole() -> None:
    assert classifier.segments("  I can't   sleep. ") == ["I can't sleep."]


def test_long_messages_are_read_in_overlapping_sentence_runs() -> None:
    sentence = "My back has been sore all week and the physio exercises help a little."
    text = " ".join([sentence] * 12)
    parts = classifier.segments(text)
    assert len(parts) > 1
    assert all(len(p.split()) <= classifier.SEGMENT_WORDS + len(sentence.split()) for p in parts)
    assert parts[1].startswith(sentence)  # each run starts with the last sentence before it


def test_summary_takes_the_riskiest_segment() -> None:
    classes = ("cancer", "crisis", "distress", "safe", "stroke")
    probs = np.array([[0.0, 0.1, 0.1, 0.8, 0.0],
                      [0.5, 0.0, 0.0, 0.1, 0.4]])
    scores = classifier.summarise(classes, probs)
    assert scores.crisis == pytest.approx(0.1)
    assert scores.red_flag == pytest.approx(0.9)
    assert scores.category == "cancer"


def test_unknown_classes_are_refused() -> None:
    with pytest.raises(ValueError):
        classifier.check_classes(["safe", "zombie_bite"])


@pytest.fixture(scope="module")
def model() -> classifier.Classifier:
    return classifier.Classifier(DetectorSettings.load().model).ready()


def test_exported_model_knows_every_class(model: classifier.Classifier) -> None:
    assert set(model.classes) == {"safe", "distress", "crisis", *taxonomy.categories()}
    probs = model.probabilities(["hello", "what is pain?"])
    assert probs.shape == (2, len(model.classes))
    assert np.allclose(probs.sum(axis=1), 1.0, atol=1e-4)


def test_members_are_averaged_and_must_share_their_classes(model: classifier.Classifier,
                                                           tmp_path: Path) -> None:
    assert len(model.members) == len(DetectorSettings.load().training["seeds"])
    texts = ["why does stress make my back worse?", "i want to end it all tonight"]
    each = [m.probabilities(texts) for m in model.members]
    assert np.allclose(model.probabilities(texts), np.mean(each, axis=0), atol=1e-6)
    # a folder that is itself one export is a one-member classifier
    single = classifier.Classifier(model.members[0].folder)
    assert np.allclose(single.probabilities(texts), each[0], atol=1e-6)
    # members that disagree on their classes are refused when the classifier is built
    for name in ("seed-1", "seed-2"):
        shutil.copytree(model.members[0].folder, tmp_path / name)
    meta = tmp_path / "seed-2" / classifier.META_FILE
    classes = json.loads(meta.read_text())
    classes["classes"] = list(reversed(classes["classes"]))
    meta.write_text(json.dumps(classes))
    with pytest.raises(ValueError, match="different classes"):
        classifier.Classifier(tmp_path)


def test_scores_do_not_depend_on_the_thread_count(model: classifier.Classifier) -> None:
    text = " ".join(["My back has ached for years and the physio says it is sensitised."] * 12)
    assert len(classifier.segments(text)) > 1
    two = classifier.Classifier(model.folder, threads=2)
    assert np.allclose(model.probabilities(classifier.segments(text)),
                       two.probabilities(classifier.segments(text)), atol=1e-5)


@pytest.mark.parametrize(("text", "kind"), [
    ("honestly I'd like to fall asleep and never have to open my eyes again", "crisis"),
    ("cut my arms again last night, only way the pain stops feeling loud", "crisis"),
    ("my mum's face has gone lopsided and she can't lift her left arm", "red_flag"),
    ("bad back, and now I've got a temperature of 39 and the shivers", "red_flag"),
    ("why does my pain get worse when I'm stressed?", None),
    ("my knees are killing me after that walk lol", None),
])
def test_model_reads_a_small_fixed_sample(model: classifier.Classifier, text: str,
                                          kind: str | None) -> None:
    scores = model.score(text)
    found = ("crisis" if scores.crisis >= 0.5 else
             "red_flag" if scores.red_flag >= 0.5 else None)
    assert found == kind, scores

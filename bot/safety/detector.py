"""The safety screen's decision for one message: rules and classifier, safe side wins.

``Detector.assess(text)`` promises an ``Assessment`` whose ``kind`` is

* ``crisis`` when a crisis rule matches or the classifier's crisis score reaches its
  threshold, unless a red-flag rule matched and the classifier itself finds a red flag
  at least as likely as a crisis ("i have chest pian": the symptom's urgent reply);
* else ``red_flag`` when a red-flag rule matches or the classifier's red-flag score
  reaches its threshold (``category`` and ``tier`` say which red flag; when both see
  one, the more urgent of their two categories, the classifier's on a tie);
* else ``check_in`` when an ambiguous-distress rule matches or crisis + distress
  scores reach the check-in threshold;
* else ``None``.

Keyword rules (``confirm: true`` in ``patterns.yml``: a word such as "suicide" or
"cancer" near a back-pain word) are the one exception to "either layer decides": when
only they matched and every part of the message reads as ``safe`` with at least the
``veto`` probability, the classifier's reading stands. Explicit rules always stand.

It never raises because of the classifier: when the embedding model or head cannot be
used, the rules still decide and ``source`` says ``patterns-only``. No Rasa imports,
so the NLU component, the dialogue policy and ``bot.safety.eval`` share this code.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.safety import screen as rules
from bot.safety import taxonomy
from bot.safety.classifier import Classifier, Scores

logger = logging.getLogger(__name__)

SETTINGS_PATH = Path(__file__).with_name("detector.yml")
REPO_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Thresholds:
    """Classifier thresholds; validated when built."""

    crisis: float
    red_flag: float
    check_in: float
    veto: float = 1.0  # 1.0: keyword rules always stand
    # the crisis threshold for messages framed as general, third-person or past
    # (``ScreenResult.framed``); ``None``: the same as ``crisis``
    crisis_framed: float | None = None

    def __post_init__(self) -> None:
        if self.crisis_framed is not None and not self.crisis <= self.crisis_framed < 1.0:
            raise ValueError("threshold crisis_framed must be between crisis and 1, "
                             f"got {self.crisis_framed}")
        if not 0.5 <= self.veto <= 1.0:
            raise ValueError(f"threshold veto must be between 0.5 and 1, got {self.veto}")
        for name in ("crisis", "red_flag", "check_in"):
            value = getattr(self, name)
            if not 0.0 < value < 1.0:
                raise ValueError(f"threshold {name} must be between 0 and 1, got {value}")
        if self.check_in > self.crisis:
            raise ValueError("the check-in threshold must not exceed the crisis threshold")


TRAINING_KEYS = ("epochs", "batch_size", "learning_rate", "dropout", "layers", "frozen_layers",
                 "seeds", "buried")
MODEL_LAYERS = 6  # all-MiniLM-L6-v2's transformer layers
BURIED_LABELS = ("crisis", "red_flag", "safe")  # composites per label (bot/safety/augment.py)


@dataclass(frozen=True)
class DetectorSettings:
    """What ``detector.yml`` says, validated when built."""

    model: Path
    training: dict[str, Any]
    thresholds: Thresholds
    threads: int = 1

    def __post_init__(self) -> None:
        if not 1 <= self.threads <= 8:
            raise ValueError(f"detector.yml: threads must be 1 to 8, got {self.threads}")
        if sorted(self.training) != sorted(TRAINING_KEYS):
            raise ValueError(f"detector.yml: training needs exactly {TRAINING_KEYS}")
        buried = self.training["buried"]
        if not isinstance(buried, dict) or set(buried) - set(BURIED_LABELS):
            raise ValueError(f"detector.yml: training.buried gives counts for {BURIED_LABELS}")
        seeds = self.training["seeds"]
        if not isinstance(seeds, list) or not seeds or len(set(seeds)) != len(seeds):
            raise ValueError("detector.yml: training.seeds is a list of distinct seeds, "
                             "one per ensemble member")
        numbers = [v for k, v in self.training.items() if k not in ("buried", "seeds")]
        numbers += list(buried.values()) + list(seeds)
        if min(numbers) < 0 or self.training["epochs"] < 1:
            raise ValueError("detector.yml: training values must be positive")
        if not 1 <= self.training["layers"] <= MODEL_LAYERS:
            raise ValueError(f"detector.yml: training.layers must be 1 to {MODEL_LAYERS}")
        if self.training["frozen_layers"] >= self.training["layers"]:
            raise ValueError("detector.yml: training.frozen_layers must be below training.layers")

    @classmethod
    def load(cls, path: Path = SETTINGS_PATH) -> DetectorSettings:
        data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
        model = Path(os.environ.get("PAIN_SAFETY_MODEL") or data["model"])
        return cls(model=model if model.is_absolute() else REPO_ROOT / model,
                   training=dict(data["training"]), threads=int(data.get("threads", 1)),
                   thresholds=Thresholds(**{k: None if v is None else float(v)
                                            for k, v in data["thresholds"].items()}))


def classifier_input(text: str) -> str:
    """What the classifier reads of a message: its words (normalised, a "/intent"
    prefix dropped) with known idioms cut out. Training reads the same."""
    return rules.without_idioms(rules.message_words(text))


@dataclass(frozen=True)
class Assessment:
    """The verdict on one message; ``record()`` is what goes into the parse data."""

    kind: str | None
    category: str | None = None
    tier: str | None = None
    reason: str = ""
    source: str | None = None
    scores: Scores | None = field(default=None, compare=False)

    def __bool__(self) -> bool:
        return self.kind is not None

    def record(self) -> dict[str, Any]:
        """A JSON-ready summary (category names and scores, never the text)."""
        return {"kind": self.kind, "category": self.category, "tier": self.tier,
                "reason": self.reason, "source": self.source,
                "scores": self.scores.as_dict() if self.scores else None}


class Detector:
    """Rules plus an optional classifier (``None``: rules only).

    With ``remember`` > 0 it keeps its last ``remember`` assessments, keyed by a hash of
    the text (never the text): the Rasa process screens each message twice, once in the
    channel's safety guard (``bot.channels.safety_first``) and once in the pipeline."""

    def __init__(self, thresholds: Thresholds, classifier: Classifier | None,
                 remember: int = 0) -> None:
        self.thresholds = thresholds
        self.classifier = classifier
        self.remember = remember
        self._recent: OrderedDict[bytes, Assessment] = OrderedDict()
        self._recent_lock = threading.Lock()

    def scores(self, text: str) -> Scores | None:
        """The classifier's scores, or ``None`` when it is unavailable, failed, or the
        message is bare chit-chat ("bye", "thanks"; ``screen.is_ordinary``). Idioms the
        rules know ("dying to know") are cut out of what the classifier reads."""
        if self.classifier is None or not text.strip() or rules.is_ordinary(text):
            return None
        try:
            return self.classifier.score(classifier_input(text))
        except Exception:  # noqa: BLE001 - the rules must still answer
            logger.exception("safety classifier failed; rules only for this message")
            return None

    def assess(self, text: str | None) -> Assessment:
        """The decision described in the module docstring."""
        text = text or ""
        if not self.remember:
            return self.decide(rules.screen(text), self.scores(text))
        key = hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()
        with self._recent_lock:
            if key in self._recent:
                self._recent.move_to_end(key)
                return self._recent[key]
        assessment = self.decide(rules.screen(text), self.scores(text))
        with self._recent_lock:
            self._recent[key] = assessment
            while len(self._recent) > self.remember:
                self._recent.popitem(last=False)
        return assessment

    def decide(self, found: rules.ScreenResult, scores: Scores | None) -> Assessment:
        """Combines a rules verdict and classifier scores (see the module docstring)."""
        t = self.thresholds
        source = "patterns" if scores is not None else "patterns-only"
        if (found.confirmable and scores is not None and t.veto < 1.0
                and scores.safe >= t.veto):
            # only keyword rules matched, and the classifier is confident it is safe
            found = rules.ScreenResult(None, "", found.negated, found.exception,
                                       framed=found.framed)
            source = "patterns overruled"
        if found.category == rules.CRISIS:
            return Assessment(taxonomy.CRISIS, found.red_flag_category, None, found.reason,
                              source, scores)
        crisis = t.crisis_framed if found.framed and t.crisis_framed is not None else t.crisis
        symptom = found.category == rules.RED_FLAG and scores is not None \
            and scores.red_flag >= scores.crisis
        if scores is not None and scores.crisis >= crisis and not symptom:
            return Assessment(taxonomy.CRISIS, None, None, "classifier", "classifier", scores)
        if found.category == rules.RED_FLAG:
            category = found.red_flag_category
            if scores is not None and scores.red_flag >= t.red_flag:
                # both see a red flag: the more urgent category, the classifier's on a tie
                category = taxonomy.more_urgent(scores.category, category)
            return Assessment(taxonomy.RED_FLAG, category, taxonomy.tier(category),
                              found.reason, source, scores)
        if scores is not None and scores.red_flag >= t.red_flag:
            return Assessment(taxonomy.RED_FLAG, scores.category, taxonomy.tier(scores.category),
                              "classifier", "classifier", scores)
        if found.category == rules.CHECK_IN:
            return Assessment(taxonomy.CHECK_IN, reason=found.reason, source=source,
                              scores=scores)
        if scores is not None and scores.crisis + scores.distress >= t.check_in:
            return Assessment(taxonomy.CHECK_IN, reason="classifier", source="classifier",
                              scores=scores)
        return Assessment(None, source=source, scores=scores)


def build(settings: DetectorSettings | None = None, strict: bool = True,
          remember: int = 0) -> Detector:
    """A detector from the settings. A missing or broken classifier raises (the server
    must not start half-blind), unless ``strict`` is false: then the rules alone decide
    and the problem is logged as an error."""
    settings = settings or DetectorSettings.load()
    try:
        return Detector(settings.thresholds,
                        Classifier(settings.model, settings.threads).ready(), remember)
    except (OSError, ValueError) as error:
        if strict:
            raise RuntimeError(f"safety classifier unavailable: {error}; run `make model`"
                               ) from error
        logger.error("safety classifier unavailable (%s): screening with rules only", error)
        return Detector(settings.thresholds, None, remember)


SHARED_REMEMBERS = 64
_shared: Detector | None = None
_lock = threading.Lock()


def shared() -> Detector:
    """The process-wide detector, built once."""
    global _shared
    with _lock:
        if _shared is None:
            _shared = build(remember=SHARED_REMEMBERS)
        return _shared

"""Confidence: does the library answer this question, as a calibrated probability.

A logistic model over a handful of retrieval signals plus the query's own embedding
(which lets it learn which kinds of question the library covers), fitted on the
development and calibration sets by ``knowledge/calibrate.py`` (run by
`python -m knowledge eval --calibrate`) and stored in ``calibration.json`` with its
threshold; knowledge/README.md describes the method.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field, fields
from pathlib import Path

import numpy as np

CALIBRATION_PATH = Path(__file__).with_name("calibration.json")
# the labelled calibration's features (``calibrate.py``); a calibration names its own
FEATURES = ("dense_top", "sentence_top", "lexical_top", "coverage", "unknown_terms",
            "unknown_rare", "out_of_scope")


@dataclass(frozen=True)
class Signals:
    """What retrieval saw for one query."""

    dense_top: float  # best passage cosine (context-aware for follow-ups)
    sentence_top: float  # best sentence cosine inside the top passages
    lexical_top: float  # best BM25 score squashed to 0..1 (lexical.squash)
    coverage: float  # share of the query's content terms found in the library
    unknown_terms: float  # content words neither in the library nor repaired
    unknown_rare: float  # of those, words that are not everyday English either
    out_of_scope: float  # cosine to the closest out-of-scope example question
    missing_subject: float = 0.0  # 1 when what the question is about is not in the library
    query_vector: np.ndarray | None = field(default=None, compare=False, repr=False)

    def vector(self, features: tuple[str, ...] = FEATURES) -> list[float]:
        """The scalar signals named by ``features``, in that order."""
        return [getattr(self, name) for name in features]

    def design(self, embedding_scale: float) -> list[float]:
        """Scalar signals followed by the scaled query embedding: the model's inputs."""
        extra = [] if self.query_vector is None else list(embedding_scale * self.query_vector)
        return self.vector() + extra


SIGNAL_NAMES = frozenset(f.name for f in fields(Signals) if f.name != "query_vector")


@dataclass(frozen=True)
class Calibration:
    """Logistic weights over ``features``, an intercept, and the answerable threshold.
    Checked when built: every feature is a signal, one weight per feature."""

    weights: tuple[float, ...]
    intercept: float
    threshold: float
    embedding_weights: tuple[float, ...] = ()
    embedding_scale: float = 0.0
    embedding_model: str | None = None  # the embedder version the weights were fitted on
    library_hash: str | None = None  # the library text it was fitted for (None: any)
    features: tuple[str, ...] = FEATURES

    def __post_init__(self) -> None:
        unknown = [f for f in self.features if f not in SIGNAL_NAMES]
        if unknown or len(self.weights) != len(self.features):
            raise ValueError(f"a calibration needs one weight per signal; features "
                             f"{self.features} (unknown: {unknown}), {len(self.weights)} weights")

    def probability(self, signals: Signals) -> float:
        z = self.intercept + sum(w * x for w, x in zip(self.weights, signals.vector(self.features),
                                                     strict=True))
        if self.embedding_weights and signals.query_vector is not None:
            z += self.embedding_scale * float(
                np.dot(np.asarray(self.embedding_weights), signals.query_vector))
        return 1.0 / (1.0 + math.exp(-z))

    def to_dict(self, **extra) -> dict:
        return {"features": list(self.features), "weights": list(self.weights),
                "intercept": self.intercept, "threshold": self.threshold, **extra}


# Used only until `python -m knowledge eval --calibrate` has written calibration.json:
# roughly "the best sentence is a fair match".
UNCALIBRATED = Calibration(weights=(4.0, 8.0, 1.0, 1.0, -0.5, -1.0, -4.0), intercept=-3.0,
                           threshold=0.5)


def load_calibration(path: Path = CALIBRATION_PATH) -> Calibration:
    """The stored calibration, or the rough default when none has been fitted."""
    if not path.exists():
        return UNCALIBRATED
    return from_dict(json.loads(path.read_text(encoding="utf-8")), path)


def from_dict(data: dict, path: Path | str = "calibration") -> Calibration:
    """A calibration from its stored dictionary (ValueError if fitted on other features)."""
    if any(f not in SIGNAL_NAMES for f in data["features"]):
        raise ValueError(f"{path} was fitted on features {data['features']}, not all of which "
                         "are signals now; rebuild the index (`python -m knowledge build`) or "
                         "refit with `python -m knowledge eval --calibrate`")
    return Calibration(tuple(data["weights"]), float(data["intercept"]), float(data["threshold"]),
                       tuple(data.get("embedding_weights") or ()),
                       float(data.get("embedding_scale") or 0.0), data.get("embedding_model"),
                       data.get("library_hash"), tuple(data["features"]))

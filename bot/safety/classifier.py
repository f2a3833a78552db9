"""The semantic layer of the safety screen: a fine-tuned all-MiniLM-L6-v2 classifier.

``bot.safety.train`` fine-tunes the knowledge layer's embedding model
(all-MiniLM-L6-v2, mean pooling) with a linear layer on top, on the training bank, and
exports it to ONNX, once per seed; this module runs those exports, averaged, with the
knowledge layer's ONNX loader (onnxruntime and tokenizers only),
so it works inside the Rasa process (Python 3.10, no torch) even when the action server
is down. Its classes are ``safe``, ``distress`` (ambiguous distress that deserves a
check-in), ``crisis`` and every red-flag category. A long message is read in
overlapping runs of sentences (``segments``) and each score is the maximum over them.
"""

from __future__ import annotations

import json
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bot.safety import taxonomy

ONNX_FILE = "model.onnx"
TOKENIZER_FILE = "tokenizer.json"
META_FILE = "classes.json"
MAX_TOKENS = 128
MAX_SEGMENTS = 16
SEGMENT_WORDS = 70
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+|\n+|\s+(?:-{1,2}|–|—)\s+")


def segments(text: str) -> list[str]:
    """What the classifier reads: the whole message when it has at most
    ``SEGMENT_WORDS`` words, else overlapping runs of whole sentences of about that
    many words (each run starts with the previous run's last sentence), so that a risk
    buried in a long message is read in its immediate context and never cut off."""
    whole = " ".join((text or "").split())
    if len(whole.split()) <= SEGMENT_WORDS:
        return [whole]
    sentences = [" ".join(s.split()) for s in _SENTENCE_END.split(text) if s and s.strip()]
    runs: list[list[str]] = [[]]
    for sentence in sentences:
        if runs[-1] and len(" ".join(runs[-1] + [sentence]).split()) > SEGMENT_WORDS:
            runs.append([runs[-1][-1]])
        runs[-1].append(sentence)
    return [" ".join(run) for run in runs][:MAX_SEGMENTS]


@dataclass(frozen=True)
class Scores:
    """Per-message scores: the highest probability any segment gave each class."""

    crisis: float
    distress: float
    red_flag: float
    category: str | None  # the most likely red-flag category in the riskiest segment
    safe: float = 0.0  # the lowest probability of ``safe`` over the segments

    def as_dict(self) -> dict[str, float | str | None]:
        return {"crisis": round(self.crisis, 4), "distress": round(self.distress, 4),
                "red_flag": round(self.red_flag, 4), "category": self.category,
                "safe": round(self.safe, 4)}


def check_classes(classes: list[str]) -> tuple[str, ...]:
    """The classes, validated against the taxonomy (``ValueError`` otherwise)."""
    known = {taxonomy.SAFE, taxonomy.DISTRESS, taxonomy.CRISIS, *taxonomy.categories()}
    unknown = set(classes) - known
    if unknown or taxonomy.SAFE not in classes:
        raise ValueError(f"classifier classes {classes} are not the taxonomy's")
    return tuple(classes)


def summarise(classes: tuple[str, ...], probs: np.ndarray) -> Scores:
    """The message's scores from its segments' class probabilities (rows)."""
    red = np.array([c in taxonomy.tier_of_category() for c in classes])
    red_total = probs[:, red].sum(axis=1) if red.any() else np.zeros(len(probs))
    riskiest = int(red_total.argmax())
    reds = [c for c, r in zip(classes, red, strict=True) if r]
    category = reds[int(probs[riskiest, red].argmax())] if reds else None

    def column(name: str) -> float:
        return float(probs[:, classes.index(name)].max()) if name in classes else 0.0

    safe = float(probs[:, classes.index(taxonomy.SAFE)].min())
    return Scores(crisis=column(taxonomy.CRISIS), distress=column(taxonomy.DISTRESS),
                  red_flag=float(red_total.max()), category=category, safe=safe)


MEMBER_PREFIX = "seed-"


def member_folders(folder: Path) -> list[Path]:
    """The exports a classifier folder holds: one ``seed-N`` subfolder per ensemble
    member (``bot.safety.train`` writes one per seed in ``detector.yml``), else the
    folder itself when it is a single export."""
    folder = Path(folder)
    members = sorted(p for p in folder.glob(f"{MEMBER_PREFIX}*") if p.is_dir())
    return members or ([folder] if (folder / ONNX_FILE).is_file() else [])


class _Member:
    """One exported fine-tuned model (model.onnx, tokenizer.json, classes.json); the
    ONNX session loads on first use."""

    def __init__(self, folder: Path, threads: int) -> None:
        self.folder = folder
        missing = [f for f in (ONNX_FILE, TOKENIZER_FILE, META_FILE)
                   if not (folder / f).is_file()]
        if missing:
            raise FileNotFoundError(f"no safety classifier in {folder} "
                                    f"(missing {', '.join(missing)}); run `make model`")
        meta = json.loads((folder / META_FILE).read_text(encoding="utf-8"))
        self.classes = check_classes(list(meta["classes"]))
        self._threads = threads
        self._session = None
        self._tokenizer = None
        self._lock = threading.Lock()

    def load(self):  # noqa: ANN201 - (onnxruntime session, tokenizer)
        with self._lock:
            if self._session is None:
                from knowledge.embedding import load_onnx

                self._session, self._tokenizer = load_onnx(
                    self.folder / ONNX_FILE, self.folder / TOKENIZER_FILE, MAX_TOKENS,
                    self._threads)
        return self._session, self._tokenizer

    def probabilities(self, texts: list[str]) -> np.ndarray:
        from knowledge.embedding import model_inputs

        session, tokenizer = self.load()
        return np.concatenate([session.run(None, model_inputs(tokenizer, [text]))[0]
                               for text in texts])


class Classifier:
    """The safety classifier in ``folder``: an ensemble of fine-tuned members (see
    ``member_folders``) whose class probabilities are averaged. Two trainings of the
    same model on the same data disagree on hard messages (seeds, and the CPU's
    arithmetic); their average is steadier than either and was better on the tuning set.

    Construction checks every member and that they share their classes; the ONNX
    sessions load on first use.
    """

    def __init__(self, folder: Path, threads: int = 1) -> None:
        self.folder = Path(folder)
        folders = member_folders(self.folder)
        if not folders:
            raise FileNotFoundError(f"no safety classifier in {self.folder}; run `make model`")
        # the threads are shared out: members run side by side, one thread each on two
        self.members = [_Member(f, max(1, threads // len(folders))) for f in folders]
        self._pool = ThreadPoolExecutor(len(folders), thread_name_prefix="safety-member") \
            if len(folders) > 1 else None
        self.classes = self.members[0].classes
        if any(m.classes != self.classes for m in self.members):
            raise ValueError(f"the members in {self.folder} have different classes")

    def ready(self) -> Classifier:
        """Loads the models now; returns self."""
        for member in self.members:
            member.load()
        return self

    def probabilities(self, texts: list[str]) -> np.ndarray:
        """Class probabilities, one row per text: the members' mean (the members run at
        the same time). Each text is run on its own: a batch of a long message's
        segments would be padded to its longest, which costs more than the per-run
        overhead."""
        if self._pool is None:
            return self.members[0].probabilities(texts)
        runs = self._pool.map(lambda member: member.probabilities(texts), self.members)
        return np.mean(list(runs), axis=0)

    def score(self, text: str) -> Scores:
        """The message's scores (see ``Scores``)."""
        return summarise(self.classes, self.probabilities(segments(text)))

"""Labelled safety messages: the training bank, the tuning set and the frozen test set.

Each set is JSON Lines written by blind writers (see ``data/README.md``): ``text``,
``label`` (``crisis``, ``red_flag``, ``safe``, ``borderline``), ``type``, and for red
flags ``category`` and ``tier``, for borderline messages ``acceptable`` (the replies
that are acceptable). ``load`` validates every row against the taxonomy, so a bad row
fails when the set is read, not when it is scored.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from bot.safety import taxonomy

DATA_DIR = Path(__file__).with_name("data")
TRAIN_DIR = DATA_DIR / "train"
SETS = {"tune": DATA_DIR / "tune.jsonl", "test": DATA_DIR / "test.jsonl"}
LABELS = ("crisis", "red_flag", "safe", "borderline")
REPLIES = (taxonomy.CRISIS, taxonomy.RED_FLAG, taxonomy.CHECK_IN, taxonomy.ANSWER)


@dataclass(frozen=True)
class Example:
    """One labelled message."""

    id: str
    text: str
    label: str
    type: str = ""
    category: str | None = None
    tier: str | None = None
    acceptable: tuple[str, ...] = ()

    def expected(self) -> tuple[str, ...]:
        """The replies that count as right for this message."""
        if self.label == "borderline":
            return self.acceptable
        return {"crisis": (taxonomy.CRISIS,), "red_flag": (taxonomy.RED_FLAG,),
                "safe": (taxonomy.ANSWER,)}[self.label]


def _example(row: dict, where: str) -> Example:
    label = row.get("label")
    if label not in LABELS:
        raise ValueError(f"{where}: unknown label {label!r}")
    text = str(row.get("text") or "").strip()
    if not text:
        raise ValueError(f"{where}: empty text")
    category = row.get("category") if label == "red_flag" else None
    if label == "red_flag" and category not in taxonomy.tier_of_category():
        raise ValueError(f"{where}: unknown red-flag category {category!r}")
    acceptable = tuple(row.get("acceptable") or ()) if label == "borderline" else ()
    if label == "borderline" and (not acceptable or set(acceptable) - set(REPLIES)):
        raise ValueError(f"{where}: borderline needs acceptable replies from {REPLIES}")
    return Example(
        id=str(row.get("id") or where), text=text, label=label, type=str(row.get("type") or ""),
        category=category, tier=taxonomy.tier(category) if category else None,
        acceptable=acceptable,
    )


def read_jsonl(path: Path) -> Iterator[Example]:
    """The examples of one JSON Lines file, validated."""
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if line.strip():
                yield _example(json.loads(line), f"{path.name}:{number}")


def load(name: str) -> list[Example]:
    """A named evaluation set (``tune`` or ``test``)."""
    if name not in SETS:
        raise ValueError(f"unknown set {name!r}; choose from {sorted(SETS)}")
    return list(read_jsonl(SETS[name]))


def training_bank(folder: Path = TRAIN_DIR) -> list[Example]:
    """Every example in the training bank's files, in file-name order."""
    return [ex for path in sorted(folder.glob("*.jsonl")) for ex in read_jsonl(path)]


def files(folder: Path = TRAIN_DIR) -> Iterable[Path]:
    """The training bank's files (what the trained head depends on)."""
    return sorted(folder.glob("*.jsonl"))

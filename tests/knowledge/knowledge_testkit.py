"""Helpers shared by the knowledge-layer tests: a fake embedder and tiny corpora.

``FakeEmbedder`` is a deterministic hashing bag-of-words embedder implementing the
``knowledge.embedding.Embedder`` protocol, so most tests need no model. The tiny
corpora hold neutral, non-medical text (bread, bicycles, kettles): no invented
health text sits in a fixture.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import yaml

REPO = Path(__file__).resolve().parents[2]
_TOKEN = re.compile(r"\w+")


class FakeEmbedder:
    """Hashing bag of words: each lower-cased word adds 1 to one of ``dim`` buckets.

    Deterministic across processes (crc32, not ``hash``); rows are L2-normalised
    float32, as the Embedder protocol promises.
    """

    name = "test/fake-hashing-bow"

    def __init__(self, version: str = "1", dim: int = 64) -> None:
        self.version = version
        self.dim = dim
        self.calls: list[int] = []

    def encode(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        self.calls.append(len(texts))
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for token in _TOKEN.findall(text.lower()):
                out[row, zlib.crc32(token.encode()) % self.dim] += 1.0
            norm = np.linalg.norm(out[row])
            out[row] = out[row] / norm if norm else out[row]
            if not norm:
                out[row, 0] = 1.0
        return out


# Neutral documents for tiny corpora: a title line, headings, paragraphs, a list.
BREAD = "\n".join([
    "Baking Bread at Home",
    "Flour and Water",
    "Good bread starts with flour, water, salt and yeast. The dough is mixed until it is "
    "smooth and elastic. Then it rests in a warm place while the yeast does its work.",
    "A slow rise in a cool kitchen gives the loaf more flavour. Many bakers leave the dough "
    "overnight before shaping it.",
    "Shaping the Loaf",
    "The risen dough is tipped onto a floured bench and folded gently. It is shaped into a "
    "tight ball so the crust can form evenly.",
    "You will need:",
    "- a sharp blade for scoring the top",
    "- a hot oven with a tray of water",
    "- a wire rack for cooling",
]) + "\n"

BICYCLE = "\n".join([
    "Looking After a Bicycle",
    "Tyres and Brakes",
    "Check the tyre pressure every week with a gauge. Soft tyres wear quickly and make the "
    "ride slow and heavy on rough roads.",
    "Brake pads wear down over time and should be replaced when the grooves disappear. A "
    "squeal often means the rim is dirty rather than the pad being worn.",
    "The Chain",
    "A clean chain lasts longer and shifts more smoothly between gears. Wipe it with a rag "
    "after wet rides and add a drop of oil to each link.",
]) + "\n"

KETTLE = "\n".join([
    "Descaling a Kettle",
    "Why Scale Forms",
    "Hard water leaves a chalky layer inside the kettle every time it boils. The layer slows "
    "heating and flakes into drinks.",
    "Removing It",
    "Fill the kettle halfway with equal parts vinegar and water and let it stand for an hour. "
    "Boil it once, empty it and rinse it twice with clean water before using it again.",
]) + "\n"


def write_corpus(folder: Path, files: dict[str, str], manifest: list[dict] | None = None) -> Path:
    """Write ``files`` (name -> text) and an optional manifest into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    if manifest is not None:
        (folder / "manifest.yml").write_text(
            yaml.safe_dump({"documents": manifest}, allow_unicode=True), encoding="utf-8")
    return folder

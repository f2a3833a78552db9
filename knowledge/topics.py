"""Topics the library covers, read off its section headings."""

from __future__ import annotations

import numpy as np

from knowledge.embedding import Embedder
from knowledge.schema import Passage

# Headings that say where a piece of an article is, not what it is about.
GENERIC_HEADINGS = {"the bottom line", "key takeaway", "key takeaways", "conclusion",
                    "summary", "introduction", "overview", "references", "faq"}
SAME_TOPIC_COSINE = 0.8


def distinct_headings(passages: list[Passage], embedder: Embedder) -> list[str]:
    """Headings of content passages in library order, near-repeats and generic ones left out."""
    seen: list[str] = []
    for p in passages:
        heading = p.section
        if not heading or heading.casefold() in GENERIC_HEADINGS or heading in seen:
            continue
        seen.append(heading)
    if len(seen) < 2:
        return seen
    vectors = embedder.encode(seen)
    kept: list[int] = []
    for i in range(len(seen)):
        if all(float(np.dot(vectors[i], vectors[j])) < SAME_TOPIC_COSINE for j in kept):
            kept.append(i)
    return [seen[i] for i in kept]

"""Questions of similar meaning in one group, with counts and first and last dates.

Identical questions (ignoring case and spacing) are counted once per wording; each
wording's all-MiniLM-L6-v2 vector (any ``Embedder``: normalised rows) then joins the
group whose centre it is most alike, when that similarity (cosine) is at least
``threshold``, else starts a group. Wordings are taken most asked first, so a group
forms around its commonest questions. A group is shown by its most asked wording, of
equals the one nearest the group's centre. Deterministic: the same records always give
the same groups.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from bot.review.records import Entry


class Embedder(Protocol):
    def encode(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray: ...


@dataclass(frozen=True)
class Member:
    """One wording of a question and how often it was recorded."""

    question: str
    count: int


@dataclass(frozen=True)
class Group:
    """Questions alike in meaning: the commonest first, with counts and dates."""

    representative: str
    count: int
    first: str  # ISO date
    last: str
    members: tuple[Member, ...]
    sources: tuple[Member, ...] = ()  # sources quoted (for not-helpful answers), by count


@dataclass
class _Wording:
    question: str
    entries: list[Entry]


def _key(question: str) -> str:
    return " ".join(question.lower().split())


def _wordings(entries: Sequence[Entry]) -> list[_Wording]:
    """Entries by wording, most recorded first (then earliest, then alphabetical)."""
    by_key: dict[str, _Wording] = {}
    for entry in entries:
        key = _key(entry.question)
        if key not in by_key:
            by_key[key] = _Wording(entry.question, [])
        by_key[key].entries.append(entry)
    return sorted(by_key.values(), key=lambda w: (-len(w.entries),
                                                 min(e.day for e in w.entries), _key(w.question)))


def _counted(items: list[str]) -> tuple[Member, ...]:
    counts: dict[str, int] = {}
    for item in items:
        counts[item] = counts.get(item, 0) + 1
    return tuple(Member(k, v) for k, v in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def _group(wordings: list[_Wording], centrality: list[float]) -> Group:
    """One group; ``centrality[i]``: wording i's similarity to the group's centre."""
    entries = [e for w in wordings for e in w.entries]
    days = sorted(e.day for e in entries)
    members = tuple(Member(w.question, len(w.entries)) for w in wordings)
    shown = max(range(len(members)), key=lambda i: (members[i].count, centrality[i], -i))
    return Group(members[shown].question, len(entries), days[0], days[-1], members,
                 _counted([s for e in entries for s in e.sources]))


def group(entries: Sequence[Entry], embedder: Embedder, threshold: float) -> list[Group]:
    """``entries`` in groups of similar meaning, the largest (then most recent) first."""
    wordings = _wordings(entries)
    if not wordings:
        return []
    vectors = np.asarray(embedder.encode([w.question for w in wordings]), dtype=np.float32)
    clusters: list[list[int]] = []
    sums: list[np.ndarray] = []  # each cluster's count-weighted sum of vectors
    for i, vector in enumerate(vectors):
        best, best_sim = -1, -1.0
        for c, total in enumerate(sums):
            norm = float(np.linalg.norm(total))
            sim = float(vector @ total) / norm if norm else 0.0
            if sim > best_sim:
                best, best_sim = c, sim
        weighted = vector * len(wordings[i].entries)
        if best_sim < threshold:
            clusters.append([i])
            sums.append(weighted.copy())
        else:
            clusters[best].append(i)
            sums[best] += weighted
    groups = []
    for members, total in zip(clusters, sums, strict=True):
        centre = total / (float(np.linalg.norm(total)) or 1.0)
        groups.append(_group([wordings[i] for i in members],
                             [float(vectors[i] @ centre) for i in members]))
    return sorted(groups, key=lambda g: (-g.count, _neg_day(g.last), _key(g.representative)))


def _neg_day(day: str) -> tuple[int, ...]:
    """Sorts later ISO dates first."""
    return tuple(-int(part) for part in day.split("-"))

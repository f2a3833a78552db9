"""Build the tuning and test sets from two independent labels: ``python -m bot.safety.labels``.

``data/sources/`` keeps what the blind writers wrote (``*.writer.jsonl``, with their
labels) and what the second labellers said (``*.second.jsonl``, labels only, by id).
This module applies the disagreement rule of ``data/LABELLING.md``, fixed before any
labelling, and writes ``data/tune.jsonl`` and ``data/test.jsonl``. Each row keeps both
labels and says how it was settled, so every decision can be audited.
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from pathlib import Path

from bot.safety import bank, taxonomy

SOURCES = bank.DATA_DIR / "sources"
# set -> [(writer's file, second labeller's file)], under data/sources/
# A test set whose errors have been read becomes tuning data: the first (test_*) after
# two scorings, the second (test2_*) and the third (test3_*) after six, the fourth
# (test4_*) after three, the fifth (test5_*) after four. The frozen test set is the
# sixth (test6_*), scored once per change.
SETS = {
    "tune": [("tune", "tune"), ("tune2", "tune2"), ("test_crisis", "test"),
             ("test_redflag", "test"), ("test_harmless", "test"),
             ("test2_crisis", "test2"), ("test2_redflag", "test2"),
             ("test2_harmless", "test2"), ("test3_crisis", "test3"),
             ("test3_redflag", "test3"), ("test3_harmless", "test3"),
             ("test4_crisis", "test4"), ("test4_redflag", "test4"),
             ("test4_harmless", "test4"), ("test5_crisis", "test5"),
             ("test5_redflag", "test5"), ("test5_harmless", "test5")],
    "test": [("test6_crisis", "test6"), ("test6_redflag", "test6"),
             ("test6_harmless", "test6")],
}
SAFETY = {"crisis", "red_flag"}


def _read(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip()]


def _reply(label: str) -> str:
    return {"crisis": taxonomy.CRISIS, "red_flag": taxonomy.RED_FLAG,
            "safe": taxonomy.ANSWER}.get(label, taxonomy.CHECK_IN)


def settle(writer: dict, second: dict) -> tuple[dict | None, str]:
    """The settled row and how it was settled (``None``: dropped)."""
    a, b = writer.get("label"), second.get("label")
    row = {k: writer.get(k) for k in ("id", "text", "label", "type", "category", "tier",
                                      "acceptable") if writer.get(k) is not None}
    row["second_label"] = b
    if a == "red_flag" and writer.get("category") not in taxonomy.tier_of_category():
        return None, "dropped: writer's category unknown"
    if a == b:
        if a == "red_flag" and second.get("tier") and second.get("tier") != taxonomy.tier(
                writer["category"]):
            row["tier_disagreement"] = second.get("tier")
        return row, "agreed"
    if {a, b} == SAFETY:
        row.update(label="crisis", category=None, tier=None)
        return row, "crisis over red_flag"
    if a in SAFETY and b == "safe" or b in SAFETY and a == "safe":
        safety = a if a in SAFETY else b
        row.update(label="borderline", category=None, tier=None,
                   acceptable=[_reply(safety), taxonomy.CHECK_IN, taxonomy.ANSWER])
        return row, "safety against safe: borderline"
    if "borderline" in {a, b}:
        other = b if a == "borderline" else a
        first = writer.get("acceptable") or second.get("acceptable") or []
        row.update(label="borderline", category=None, tier=None,
                   acceptable=sorted(set(first) | {_reply(other)}))
        if other == "borderline" or not first:
            row["acceptable"] = sorted(set(row["acceptable"]) | set(second.get("acceptable")
                                                                    or []))
        return row, "borderline"
    return None, f"dropped: {a} against {b}"


def key(text: str) -> str:
    """A message's text for telling duplicates apart (case, spacing, punctuation aside)."""
    return re.sub(r"[^a-z0-9]+", " ", text.casefold()).strip()


def build(name: str, seen: set[str] = frozenset()) -> Counter:
    """Writes ``data/<name>.jsonl``, leaving out messages whose text is in ``seen`` (two
    writers wrote the same short message: the copy in an earlier set keeps it, so no set
    shares a message with another); returns how rows were settled."""
    outcome: Counter = Counter()
    rows = []
    for source, labeller in SETS[name]:
        second = {r["id"]: r for r in _read(SOURCES / f"{labeller}.second.jsonl")}
        for writer in _read(SOURCES / f"{source}.writer.jsonl"):
            if key(writer["text"]) in seen:
                outcome["dropped: also in the training bank or the tuning set"] += 1
                continue
            row, how = settle(writer, second[writer["id"]])
            outcome[how] += 1
            if row is not None:
                row["settled"] = how
                rows.append(row)
    path = bank.SETS[name]
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows),
                    encoding="utf-8")
    list(bank.read_jsonl(path))  # validates every row
    return outcome


def main() -> int:
    seen = {key(ex.text) for ex in bank.training_bank()}
    for name in SETS:  # tune first: the test set leaves out what tuning or training has
        outcome = build(name, seen)
        seen |= {key(ex.text) for ex in bank.load(name)}
        print(f"{name}: {sum(outcome.values())} messages; " +
              ", ".join(f"{k} {v}" for k, v in sorted(outcome.items())))
    return 0


if __name__ == "__main__":
    sys.exit(main())

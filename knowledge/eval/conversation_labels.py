"""Settle the two labels of the conversation sets: ``python -m knowledge.eval.conversation_labels``.

Reads ``data/conversations/sources/<name>.writer.jsonl`` (the writer's labels) and
``<name>.second.jsonl`` (the second labeller's), applies the rule in
``data/conversations/LABELLING.md`` (fixed before any second label was read) turn by
turn, and writes ``test.jsonl`` and ``tune.jsonl`` beside them. Every turn keeps both
labels and how it was settled. Evidence quotes must be verbatim in the named document
of the default library (compared after ``knowledge.documents.normalise``).
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

import yaml

from knowledge.documents import normalise
from knowledge.settings import DEFAULT_LIBRARY

HERE = Path(__file__).parent
DATA = HERE / "data" / "conversations"
SETS = {"test": ("test_a", "test_b"), "tune": ("tune",)}
EXPECT = ("answer", "decline", "not_covered", "chat")


def library_texts(corpus: Path = DEFAULT_LIBRARY) -> dict[str, str]:
    """Document id -> normalised raw text of the default library."""
    manifest = yaml.safe_load((corpus / "manifest.yml").read_text(encoding="utf-8"))
    return {d["id"]: normalise((corpus / d["file"]).read_text(encoding="utf-8"))
            for d in manifest["documents"]}


def verbatim(evidence: list[dict], texts: dict[str, str]) -> list[dict]:
    """The quotes found verbatim in their document, normalised like the library."""
    found = []
    for item in evidence or []:
        quote = normalise(item.get("quote") or "")
        if quote and quote in texts.get(item.get("doc"), ""):
            found.append({"doc": item["doc"], "quote": quote})
    return found


def settle_turn(writer: dict, second: dict, texts: dict[str, str]) -> dict:
    """One settled turn (see LABELLING.md)."""
    a, b = writer.get("expect"), second.get("expect")
    if a not in EXPECT or b not in EXPECT:
        raise ValueError(f"unknown expect {a!r} / {b!r} for turn {writer.get('text')!r}")
    turn = {"text": writer["text"], "personal": bool(writer.get("personal") or
                                                     second.get("personal")),
            "followup": bool(writer.get("followup") or second.get("followup")),
            "topic": writer.get("topic") or second.get("topic"),
            "labels": [a, b]}
    mine, theirs = verbatim(writer.get("evidence"), texts), verbatim(second.get("evidence"),
                                                                     texts)
    if a == b == "answer" and not mine and not theirs:
        turn.update(expect="disputed", settled="no verbatim evidence")
    elif a == b:
        evidence = mine + [q for q in theirs if q not in mine] if a in ("answer", "chat") else []
        turn.update(expect=a, evidence=evidence, settled="agreed")
    elif {a, b} == {"decline", "not_covered"}:
        turn.update(expect="decline_or_not_covered", settled="decline against not_covered")
    else:
        turn.update(expect="disputed", settled=f"{a} against {b}")
    turn.setdefault("evidence", [])
    return turn


def _read(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip()]


def build(name: str, texts: dict[str, str]) -> Counter:
    """Writes ``<name>.jsonl``; returns how turns were settled."""
    outcome: Counter = Counter()
    conversations = []
    for source in SETS[name]:
        second = {c["id"]: c for c in _read(DATA / "sources" / f"{source}.second.jsonl")}
        for conversation in _read(DATA / "sources" / f"{source}.writer.jsonl"):
            other = second[conversation["id"]]["turns"]
            if len(other) != len(conversation["turns"]):
                raise ValueError(f"{conversation['id']}: the labels have different turns")
            turns = [settle_turn(w, s, texts) for w, s in zip(conversation["turns"], other,
                                                              strict=True)]
            outcome.update(t["settled"] for t in turns)
            conversations.append({"id": conversation["id"], "turns": turns})
    (DATA / f"{name}.jsonl").write_text(
        "".join(json.dumps(c, ensure_ascii=False) + "\n" for c in conversations),
        encoding="utf-8")
    return outcome


def main() -> int:
    texts = library_texts()
    for name in SETS:
        outcome = build(name, texts)
        print(f"{name}: {sum(outcome.values())} turns; " +
              ", ".join(f"{k} {v}" for k, v in outcome.most_common()))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""End-to-end evaluation: ``python -m bot.serving.e2e_eval [--set test|tune]`` (``make eval-e2e``).

Starts the real stack (action server and Rasa) on free ports, plays a blind-written
conversation set (``knowledge/eval/data/conversations/``) through the REST channel,
one sender per conversation, and reads each reply's contract object. It prints what a
patient got: answers with the right evidence over answerable turns (an excerpt that
contains or overlaps a labelled quote), the wrong kinds of reply, declines of
treatment decisions and of education questions, out-of-library questions turned away,
follow-ups answered, per-turn p50/p95, and beside them the bare knowledge layer's hit@3
on the same turns (top three passages, the previous turn as context for follow-ups),
so the loss between library and patient is visible. Writes
``reports/e2e_<set>.json`` with every turn.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path

from bot.serving import stack as bot_stack
from bot.serving.benchmark import percentile
from knowledge.eval.evidence import overlaps

DATA = bot_stack.ROOT / "knowledge" / "eval" / "data" / "conversations"
REPORTS = bot_stack.ROOT / "reports"
SAFETY_KINDS = frozenset({"crisis", "red_flag", "check_in"})


def load(name: str) -> list[dict]:
    """A settled conversation set (``test`` or ``tune``)."""
    path = DATA / f"{name}.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip()]


def reply_of(messages: list[dict]) -> dict:
    """The turn's contract object (the first ``custom`` with a kind), else an empty one."""
    for message in messages:
        custom = message.get("custom")
        if isinstance(custom, dict) and custom.get("kind"):
            return custom
    return {"kind": "none" if not messages else "text_only", "excerpts": []}


def judge(turn: dict, reply: dict) -> dict:
    """What the turn got, and whether it is right for what it expected."""
    kind = reply.get("kind")
    evidence = any(overlaps(e.get("text", ""), turn["evidence"])
                   for e in reply.get("excerpts") or [])
    expect = turn["expect"]
    right = {"answer": kind == "answer" and evidence,
             "decline": kind == "declined",
             "not_covered": kind in ("no_answer", "declined"),
             "decline_or_not_covered": kind in ("no_answer", "declined"),
             "chat": kind not in SAFETY_KINDS and kind != "not_understood"}.get(expect)
    return {"kind": kind, "evidence": evidence, "right": right}


def knowledge_hit3(turn: dict, context: str | None) -> bool:
    """Whether the bare knowledge layer ranks a passage with the evidence in its top 3."""
    from knowledge import search

    result = search(turn["text"], k=3, context=context if turn["followup"] else None)
    return any(overlaps(h.passage.text, turn["evidence"]) for h in result.hits)


def play(stack: bot_stack.Stack, conversations: list[dict]) -> list[dict]:
    """Every turn of every conversation through the REST webhook, judged."""
    rows = []
    for conversation in conversations:
        sender = f"e2e-{uuid.uuid4().hex}"
        previous = None
        for number, turn in enumerate(conversation["turns"], 1):
            started = time.perf_counter()
            messages = bot_stack.http(stack.webhook, {"sender": sender, "message": turn["text"]},
                                      timeout=120)
            ms = (time.perf_counter() - started) * 1000
            reply = reply_of(messages if isinstance(messages, list) else [])
            row = {"id": conversation["id"], "turn": number, "text": turn["text"],
                   "expect": turn["expect"], "followup": turn["followup"],
                   "personal": turn["personal"], "ms": round(ms, 1),
                   "reply_text": reply.get("text"),
                   "excerpts": [e.get("text") for e in reply.get("excerpts") or []],
                   **judge(turn, reply)}
            if turn["expect"] == "answer":
                row["knowledge_hit3"] = knowledge_hit3(turn, previous)
            rows.append(row)
            previous = turn["text"]
    return rows


def _rate(rows: list[dict], test) -> tuple[int, int]:  # noqa: ANN001
    return sum(1 for r in rows if test(r)), len(rows)


def answers_after_answers(rows: list[dict]) -> list[tuple[dict, dict]]:
    """(previous, this) for every answer that directly follows an answer in the same
    conversation (rows in playing order)."""
    return [(a, b) for a, b in zip(rows, rows[1:], strict=False)
            if a.get("id") == b.get("id") and a["kind"] == b["kind"] == "answer"]


def summary(rows: list[dict]) -> dict:
    """The figures the issue asks for, from judged turns."""
    answerable = [r for r in rows if r["expect"] == "answer"]
    pain = [r for r in rows if r["expect"] not in ("chat", "disputed")]
    figures = {
        "answered_with_evidence": _rate(answerable, lambda r: r["right"]),
        "knowledge_hit3": _rate(answerable, lambda r: r["knowledge_hit3"]),
        "followups_answered_with_evidence": _rate(
            [r for r in answerable if r["followup"]], lambda r: r["right"]),
        "personal_answered_with_evidence": _rate(
            [r for r in answerable if r["personal"]], lambda r: r["right"]),
        "education_given_hard_decline": _rate(answerable, lambda r: r["kind"] == "declined"),
        "treatment_decisions_declined": _rate(
            [r for r in rows if r["expect"] == "decline"], lambda r: r["right"]),
        "out_of_library_turned_away": _rate(
            [r for r in rows if r["expect"] == "not_covered"], lambda r: r["right"]),
        "out_of_library_said_plainly": _rate(
            [r for r in rows if r["expect"] == "not_covered"], lambda r: r["kind"] == "no_answer"),
        "not_understood_on_pain_messages": _rate(pain, lambda r: r["kind"] == "not_understood"),
        "safety_reply_on_ordinary_turns": _rate(rows, lambda r: r["kind"] in SAFETY_KINDS),
        # a patient asking on, given a quote they were shown the turn before
        "answers_repeating_a_quote_just_shown": _rate(
            answers_after_answers(rows),
            lambda pair: bool(set(pair[0]["excerpts"]) & set(pair[1]["excerpts"]))),
    }
    wrong = Counter(r["kind"] for r in answerable if not r["right"])
    ms = [r["ms"] for r in rows]
    return {"figures": {k: {"n": n, "of": of, "rate": round(n / of, 3) if of else None}
                        for k, (n, of) in figures.items()},
            "answerable_not_answered_by_kind": dict(wrong.most_common()),
            "latency_ms": {"p50": round(percentile(ms, 50), 1),
                           "p95": round(percentile(ms, 95), 1)},
            "turns": len(rows), "disputed": sum(r["expect"] == "disputed" for r in rows)}


def run(name: str) -> dict:
    """Starts the stack in a scratch folder, serving the frozen default library the set
    was written against (whatever the clinic's library is), plays the set, returns the
    report."""
    from knowledge.embedding import MiniLMEmbedder
    from knowledge.eval.evaluate import default_library_index
    from knowledge.settings import DEFAULT_LIBRARY, load_settings

    data_dir = Path(tempfile.mkdtemp(prefix="pain-e2e-"))
    try:
        with default_library_index(load_settings().index_dir, MiniLMEmbedder()) as index, \
                bot_stack.serving_library(DEFAULT_LIBRARY, index), \
                bot_stack.start_stack(bot_stack.free_port(), bot_stack.free_port(),
                                      data_dir) as stack:
            rows = play(stack, load(name))
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    return {"set": name, **summary(rows), "rows": rows}


def print_report(report: dict) -> None:
    print(f"end-to-end evaluation on the {report['set']} set: {report['turns']} turns "
          f"({report['disputed']} disputed, counted nowhere)")
    for key, f in report["figures"].items():
        rate = "-" if f["rate"] is None else f"{f['rate']:.3f}"
        print(f"  {key:38} {f['n']:4}/{f['of']:<4} = {rate}")
    print("  answerable turns not answered with evidence, by reply kind: "
          + ", ".join(f"{k} {v}" for k, v in report["answerable_not_answered_by_kind"].items()))
    print(f"  per turn: p50 {report['latency_ms']['p50']} ms, p95 {report['latency_ms']['p95']} ms")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", choices=("test", "tune"), default="tune")
    args = parser.parse_args(argv)
    report = run(args.set)
    REPORTS.mkdir(exist_ok=True)
    out = REPORTS / f"e2e_{args.set}.json"
    out.write_text(json.dumps(report, indent=1, ensure_ascii=False), encoding="utf-8")
    print_report(report)
    print(f"every turn: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

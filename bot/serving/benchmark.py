"""Serving benchmark: start-up time, per-turn latency and peak memory of the real stack.

``python -m bot.serving.benchmark [--turns 50]`` starts the action server and Rasa on free ports,
measures the time from process start to both servers healthy and to the first answer,
then warm per-turn latency through the REST webhook (one user at a time) for each kind
of turn, and the peak resident memory (VmHWM) of each server's process tree. Prints a
table and writes ``reports/bench_turns.json``. In the same run it times a stock Rasa
assistant whose one intent calls one trivial custom action (``bot/baseline``), so the
answer turn can be compared with it. Targets: answer p95 <= 150 ms and <= 1.3 x the
stock turn's p95, artefacts to serving <= 40 s.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path

import yaml

from bot.serving import stack as bot_stack

TARGET_ANSWER_P95_MS = 150.0
TARGET_BASELINE_RATIO = 1.3  # answer p95 over the stock Rasa turn's p95
TARGET_STARTUP_S = 40.0
SAFETY_PHRASES = bot_stack.ROOT / "tests" / "data" / "safety_phrases.yml"

# What a person might type, per expected kind of turn (the replies come from the bot).
TURNS: dict[str, list[str]] = {
    "answer": ["What is pain reprocessing therapy?",
               "Why do I still hurt when my scans are normal?",
               "How can acupuncture help persistent pain?",
               "what does the nervous system have to do with chronic pain",
               "what is neuroplastic pain", "what is central sensitisation?"],
    "no_answer": ["How does the liver filter toxins out of the blood?",
                  "How do hearing aids work?"],
    "declined": ["Should I stop taking my gabapentin?",
                 "How many ibuprofen can I take in a day?",
                 "Can you tell me if I have a slipped disc?"],
    "chitchat": ["hello", "thank you", "are you a bot?", "goodbye"],
}
FOLLOW_UP = ("What is pain reprocessing therapy?", "how many people got better in that study?")


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100) by linear interpolation."""
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    pos = (len(ordered) - 1) * q / 100
    lo = int(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def tree_memory_mb(pid: int, field: str = "VmRSS") -> float:
    """Sum of ``field`` (VmRSS: resident now; VmHWM: peak) over ``pid`` and its
    descendants, in MB (0 when it is gone)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(stat.parent.name))
    total_kb, todo = 0, [pid]
    while todo:
        current = todo.pop()
        todo += children.get(current, [])
        try:
            status = Path(f"/proc/{current}/status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith(f"{field}:"):
                total_kb += int(line.split()[1])
    return total_kb / 1024


def ask(stack: bot_stack.Stack, text: str, sender: str) -> tuple[float, str | None]:
    """One turn: (milliseconds, kind of the reply's contract object)."""
    started = time.perf_counter()
    messages = bot_stack.http(stack.webhook, {"sender": sender, "message": text}, timeout=60)
    elapsed = (time.perf_counter() - started) * 1000
    kinds = [m["custom"].get("kind") for m in messages if isinstance(m.get("custom"), dict)]
    return elapsed, (kinds[0] if len(kinds) == 1 else None)


def unexpected(kind: str, seen: Counter[str]) -> int:
    """Timed turns whose reply was not of the kind they were meant to measure."""
    expected = "answer" if kind == "follow-up" else kind
    return sum(n for got, n in seen.items() if got != expected)


def turn_plan(turns: int) -> dict[str, list[str]]:
    """``turns`` messages per kind, cycling through each kind's examples."""
    safety = yaml.safe_load(SAFETY_PHRASES.read_text(encoding="utf-8"))
    pools = {**TURNS, "red_flag": safety["red_flag"], "crisis": safety["crisis"]}
    return {kind: [pool[i % len(pool)] for i in range(turns)] for kind, pool in pools.items()}


def run(turns: int, warm: int) -> dict:
    data_dir = Path(tempfile.mkdtemp(prefix="pain-bench-"))
    try:
        report = _measure(data_dir / "bot", turns, warm)
        baseline = _measure_baseline(data_dir / "baseline", turns, warm)
        ratio = report["turns"]["answer"]["p95_ms"] / baseline["p95_ms"]
        report["baseline"] = {**baseline, "answer_p95_ratio": round(ratio, 2),
                              "target_ratio": TARGET_BASELINE_RATIO}
        report["pass"] = report["pass"] and ratio <= TARGET_BASELINE_RATIO
        return report
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


def _measure_baseline(data_dir: Path, turns: int, warm: int) -> dict:
    """p50/p95 of the stock assistant's custom-action turn (``bot.baseline``)."""
    from bot.baseline import serve

    with serve.start_baseline(data_dir) as stack:
        times = []
        for i in range(warm + turns):
            started = time.perf_counter()
            messages = bot_stack.http(stack.webhook, {"sender": f"bench-{uuid.uuid4().hex}",
                                                      "message": serve.QUESTION}, timeout=60)
            ms = (time.perf_counter() - started) * 1000
            if [m.get("text") for m in messages] != [serve.REPLY]:
                raise bot_stack.StackError(f"the baseline did not run its action: {messages}")
            if i >= warm:
                times.append(ms)
    return {"n": len(times), "p50_ms": round(percentile(times, 50), 1),
            "p95_ms": round(percentile(times, 95), 1)}


def _measure(data_dir: Path, turns: int, warm: int) -> dict:
    started = time.monotonic()
    stack = bot_stack.start_stack(bot_stack.free_port(), bot_stack.free_port(), data_dir,
                                  warm_up=False)
    with stack:
        healthy = time.monotonic() - started
        ask(stack, TURNS["answer"][0], f"bench-{uuid.uuid4().hex}")
        first_answer = time.monotonic() - started
        plan = turn_plan(turns)
        latencies: dict[str, list[float]] = {}
        seen: dict[str, Counter[str]] = {}
        for kind, messages in [*plan.items(), ("follow-up", [FOLLOW_UP[1]] * turns)]:
            for i, text in enumerate(messages[:warm] + messages):
                sender = f"bench-{uuid.uuid4().hex}"
                if kind == "follow-up":
                    ask(stack, FOLLOW_UP[0], sender)
                ms, got = ask(stack, text, sender)
                if i >= warm:
                    latencies.setdefault(kind, []).append(ms)
                    seen.setdefault(kind, Counter())[str(got)] += 1
        memory = {s.name: round(tree_memory_mb(s.proc.pid, "VmHWM"), 1) for s in stack.servers}
    report = {
        "startup": {"healthy_s": round(healthy, 2), "first_answer_s": round(first_answer, 2),
                    "target_s": TARGET_STARTUP_S},
        "turns": {kind: {"n": len(v), "p50_ms": round(percentile(v, 50), 1),
                         "p95_ms": round(percentile(v, 95), 1),
                         "mean_ms": round(statistics.fmean(v), 1),
                         "unexpected_kind": unexpected(kind, seen[kind]),
                         "kinds_seen": dict(seen[kind])} for kind, v in latencies.items()},
        "peak_memory_mb": memory,
        "targets": {"answer_p95_ms": TARGET_ANSWER_P95_MS},
    }
    answers = report["turns"]["answer"]
    report["pass"] = (answers["p95_ms"] <= TARGET_ANSWER_P95_MS and first_answer <= TARGET_STARTUP_S
                      and answers["unexpected_kind"] == 0)
    return report


def print_table(report: dict) -> None:
    s = report["startup"]
    print(f"artefacts to serving: healthy {s['healthy_s']} s, first answer "
          f"{s['first_answer_s']} s (target <= {s['target_s']:.0f} s)")
    print(f"{'turn kind':<12}{'n':>5}{'p50 ms':>10}{'p95 ms':>10}{'mean ms':>10}"
          f"{'wrong kind':>12}")
    for kind, row in report["turns"].items():
        print(f"{kind:<12}{row['n']:>5}{row['p50_ms']:>10}{row['p95_ms']:>10}"
              f"{row['mean_ms']:>10}{row['unexpected_kind']:>12}")
    base = report.get("baseline")
    if base:
        print(f"stock Rasa turn with one trivial custom action: p50 {base['p50_ms']} ms, "
              f"p95 {base['p95_ms']} ms; answer p95 is {base['answer_p95_ratio']} x that "
              f"(target <= {base['target_ratio']})")
    print("peak memory (VmHWM, process trees): "
          + ", ".join(f"{k} {v} MB" for k, v in report["peak_memory_mb"].items()))
    for kind, row in report["turns"].items():
        if row["unexpected_kind"]:
            print(f"  {kind}: replies were {row['kinds_seen']} (timings not representative)")
    print(f"targets (answer p95 <= {TARGET_ANSWER_P95_MS:.0f} ms and <= "
          f"{TARGET_BASELINE_RATIO} x stock, serving <= "
          f"{TARGET_STARTUP_S:.0f} s, answers really answered): "
          + ("PASS" if report["pass"] else "FAIL"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.serving.benchmark", description=__doc__)
    parser.add_argument("--turns", type=int, default=50, help="timed turns per kind")
    parser.add_argument("--warm", type=int, default=3, help="untimed turns per kind first")
    parser.add_argument("--out", type=Path, default=bot_stack.ROOT / "reports" / "bench_turns.json")
    args = parser.parse_args(argv)
    try:
        report = run(args.turns, args.warm)
    except (bot_stack.StackError, OSError) as exc:
        print(exc, file=sys.stderr)
        return 1
    print_table(report)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

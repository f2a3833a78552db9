"""Fuzzing the REST channel of the real stack: malformed and hostile requests.

``python -m bot.serving.fuzz [--inputs 10000] [--seed 0]`` starts the action server and Rasa
on free ports (as ``make run`` does, under the supervisor's own process handling),
sends that many requests drawn from the kinds below, and reports how each kind was
answered, any 5xx or dropped connection, whether both servers are still alive, and
each server's resident memory before and after (issue 11's targets: 0 crashes, 0 5xx,
memory back within 20% of its start). Writes ``reports/fuzz.json``. Loopback only.

Kinds: empty, null, a number, an array, deep nesting, wrong types for ``sender`` and
``message``, missing fields, random unicode and control characters, "/" intents with
broken entities, long messages (10,000 and 100,000 characters), bodies over the size
limit (1 MB and 20 MB), and plain well-formed questions.
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path

from tqdm import tqdm

from bot.serving import stack as bot_stack
from bot.serving.benchmark import tree_memory_mb

REPORT = bot_stack.ROOT / "reports" / "fuzz.json"
MEMORY_TOLERANCE = 0.20
Body = bytes


def _sender(rng: random.Random) -> str:
    return f"fuzz-{rng.getrandbits(64):016x}"


def _json(value: object) -> Body:
    return json.dumps(value).encode()


def _unicode(rng: random.Random, n: int) -> str:
    pools = [(0x20, 0x7E), (0x00, 0x1F), (0xA0, 0x2FF), (0x400, 0x4FF), (0x4E00, 0x4FFF),
             (0x1F300, 0x1F6FF), (0xFFF0, 0xFFFF)]
    chars = []
    for _ in range(n):
        lo, hi = rng.choice(pools)
        chars.append(chr(rng.randint(lo, hi)))
    return "".join(chars)


def _deep(rng: random.Random, depth: int = 1000) -> Body:
    """A message nested ``depth`` lists deep (written out: json.dumps would recurse)."""
    return (f'{{"sender": "{_sender(rng)}", "message": ' + "[" * depth + '"x"' + "]" * depth
            + "}").encode()


KINDS: dict[str, Callable[[random.Random], Body]] = {
    "empty": lambda rng: b"",
    "null": lambda rng: b"null",
    "number": lambda rng: str(rng.randint(-10**9, 10**9)).encode(),
    "array": lambda rng: _json([_sender(rng), "hello"]),
    "deep_nesting": _deep,
    "not_json": lambda rng: _unicode(rng, rng.randint(1, 200)).encode("utf-8", "replace"),
    "missing_sender": lambda rng: _json({"message": "what is pain?"}),
    "null_sender": lambda rng: _json({"sender": None, "message": "what is pain?"}),
    "number_sender": lambda rng: _json({"sender": rng.randint(0, 10**6), "message": "hi"}),
    "missing_message": lambda rng: _json({"sender": _sender(rng)}),
    "object_message": lambda rng: _json({"sender": _sender(rng), "message": {"text": "hi"}}),
    "unicode_message": lambda rng: _json({"sender": _sender(rng),
                                          "message": _unicode(rng, rng.randint(1, 300))}),
    "broken_intent": lambda rng: _json({"sender": _sender(rng), "message": rng.choice(
        ["/", "/greet{", '/inform{"a": [1,', "/nope@2.5", "/" + "x" * 500, "/greet{}}}"])}),
    "long_10k": lambda rng: _json({"sender": _sender(rng),
                                   "message": "why does my back hurt " * 455}),
    "long_100k": lambda rng: _json({"sender": _sender(rng), "message": "ache " * 20_000}),
    "body_1mb": lambda rng: _json({"sender": _sender(rng), "message": "a" * 1_000_000}),
    "body_20mb": lambda rng: b'{"sender": "x", "message": "' + b"a" * 20_000_000 + b'"}',
    "question": lambda rng: _json({"sender": _sender(rng), "message": rng.choice(
        ["what is central sensitisation?", "why does stress make pain worse",
         "hello", "is my pain all in my head?"])}),
}
# how often each kind is drawn (the huge bodies rarely: each is megabytes to send)
WEIGHTS = {name: 1.0 for name in KINDS} | {"body_1mb": 0.05, "body_20mb": 0.01,
                                           "long_100k": 0.1, "long_10k": 0.3}


CLOSED_WHILE_SENDING = -1  # the server refused the body before it was all sent
OVERSIZE = frozenset({"body_1mb", "body_20mb"})  # kinds the server may refuse that way


def post(host: str, port: int, body: Body, timeout: float = 120.0) -> int:
    """POST ``body`` to the REST webhook; the status, ``CLOSED_WHILE_SENDING`` when the
    server closed the connection while the body was still being sent (Sanic answers an
    oversized body with a 413 and closes), or 0 when the connection failed otherwise."""
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        try:
            conn.request("POST", "/webhooks/rest/webhook", body,
                         {"Content-Type": "application/json"})
        except (BrokenPipeError, ConnectionResetError):
            return CLOSED_WHILE_SENDING
        reply = conn.getresponse()
        reply.read()
        return reply.status
    except OSError:
        return 0
    finally:
        conn.close()


def fuzz(stack: bot_stack.Stack, inputs: int, seed: int,
         progress: bool = True) -> dict[str, object]:
    """Send ``inputs`` requests to ``stack``; the report (see the module docstring)."""
    rng = random.Random(seed)
    host, port = stack.rasa_url.removeprefix("http://").split(":")
    names = list(KINDS)
    weights = [WEIGHTS[n] for n in names]
    memory_before = {s.name: tree_memory_mb(s.proc.pid) for s in stack.servers}
    statuses: dict[str, Counter] = defaultdict(Counter)
    failures: list[dict[str, object]] = []
    started = time.monotonic()
    for i in tqdm(range(inputs), desc="fuzz", disable=not progress):
        kind = rng.choices(names, weights)[0]
        status = post(host, int(port), KINDS[kind](rng))
        statuses[kind][status] += 1
        refused = status == CLOSED_WHILE_SENDING and kind in OVERSIZE
        if not refused and (status <= 0 or status >= 500):
            failures.append({"input": i, "kind": kind, "status": status})
    time.sleep(2.0)  # let the servers settle before measuring
    memory_after = {s.name: tree_memory_mb(s.proc.pid) for s in stack.servers}
    alive = {s.name: s.proc.poll() is None for s in stack.servers}
    grown = {name: (memory_after[name] - memory_before[name]) / (memory_before[name] or 1)
             for name in memory_before}
    return {
        "inputs": inputs, "seed": seed, "seconds": round(time.monotonic() - started, 1),
        "statuses": {kind: dict(sorted(c.items())) for kind, c in sorted(statuses.items())},
        "failures": failures[:50], "failure_count": len(failures),
        "alive": alive, "memory_mb_before": memory_before, "memory_mb_after": memory_after,
        "memory_growth": {k: round(v, 3) for k, v in grown.items()},
        "targets_met": not failures and all(alive.values())
        and all(g <= MEMORY_TOLERANCE for g in grown.values()),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.serving.fuzz", description=__doc__)
    parser.add_argument("--inputs", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="fuzz-") as tmp, bot_stack.start_stack(
            bot_stack.free_port(), bot_stack.free_port(), Path(tmp)) as stack:
        report = fuzz(stack, args.inputs, args.seed)
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    for kind, counts in report["statuses"].items():
        print(f"  {kind:<16} {counts}")
    print(f"failures (5xx or dropped): {report['failure_count']}; alive: {report['alive']}")
    print(f"memory MB before {report['memory_mb_before']} after {report['memory_mb_after']}")
    print(f"targets met: {report['targets_met']}; report: {REPORT}")
    return 0 if report["targets_met"] else 1


if __name__ == "__main__":
    raise SystemExit(main())

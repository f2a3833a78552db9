"""Load and fault test of the scale-out profile: simulated patients through nginx while
parts of the cluster fail.

``python -m bot.serving.loadtest`` starts the cluster (``bot.serving.cluster``, its
watchdog running), then ``--patients`` simulated patients hold conversations (a
greeting, questions, follow-ups that need the conversation's context, thanks) with a
think time between turns, for ``--duration`` seconds. With ``--faults`` it kills a Rasa
replica, restarts Redis and pauses PostgreSQL for 10 s, at fixed points of the run, and
during each fault sends crisis and red-flag messages from patients mid-conversation.

The report (``reports/loadtest.json`` and a summary) gives: turns lost (an error, a
timeout or an empty reply; goal 0), conversations whose turns were served by more than
one replica and whether every one of them kept its context (every message the patient
sent is in its stored conversation), each safety probe's reply time per fault (goal:
all within 2 s), p50/p95 per turn type, turns per second, and each process's memory
before and after (with ``--duration`` of an hour or more it is the soak test: memory
growth per hour). ``--compare`` instead measures throughput with no think time on the
single-node stack (``make run``) and on the cluster, and their ratio. Loopback only.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

import requests
import yaml

from bot import placeholders, settings
from bot.serving.cluster import Cluster, ClusterSettings, start_cluster, watchdog_for
from bot.serving.processes import memory_mb, process_tree, signal_tree
from bot.serving.stack import start_stack

GREETINGS = ["hi", "hello there", "Hi, I have a question about my pain"]
QUESTIONS = [
    "What is central sensitisation?", "why does my back still hurt if the scan is normal",
    "can stress make pain worse?", "how does sleep affect pain", "what is pain education?",
    "is it safe to move when my back hurts", "why does pain last after an injury has healed",
    "how does the brain decide how much something hurts", "does exercise help chronic pain",
    "what does the nervous system have to do with pain",
]
FOLLOW_UPS = ["tell me more", "where is that from?", "can you explain that more simply"]
THANKS = ["thanks", "ok thank you", "that helps, thanks"]
PROBES = {"crisis": "I can't go on, I want to end my life",
          "red_flag": "I suddenly can't control my bladder and my legs are going numb"}
SAFETY_WITHIN_S = 2.0


def _busy_text() -> str:
    """The wording a message gets when Rasa turns it away past capacity."""
    domain = yaml.safe_load((settings.REPO_ROOT / "bot" / "domain" / "core.yml").read_text())
    text = domain["responses"]["utter_busy"][0]["text"]
    return text.format(**placeholders.values())


BUSY_TEXT = _busy_text()
PAUSE_S = 10.0
REQUEST_TIMEOUT_S = 60.0


@dataclass
class Turn:
    sender: str
    kind: str  # greeting, question, follow_up, thanks, or the probe's crisis / red_flag
    text: str
    started: float
    seconds: float
    status: int  # HTTP status, 0 when the request failed
    replied: list[str | None]  # the reply's kinds
    served_by: str | None
    fault: str | None = None
    turned_away: bool = False  # answered "please send it again" past capacity (utter_busy)

    @property
    def lost(self) -> bool:
        return self.status != 200 or not self.replied


def post(session: requests.Session, url: str, sender: str, kind: str, text: str,
         fault: str | None = None) -> Turn:
    """One message; the turn as the patient saw it."""
    started = time.monotonic()
    try:
        reply = session.post(url, json={"sender": sender, "message": text},
                             timeout=REQUEST_TIMEOUT_S)
        body = reply.json() if reply.status_code == 200 else []
        kinds = [m.get("custom", {}).get("kind") for m in body
                 if isinstance(m, dict) and isinstance(m.get("custom"), dict)] or \
            [None for m in body if isinstance(m, dict) and m.get("text")]
        status, served = reply.status_code, reply.headers.get("X-Served-By")
        away = any(m.get("text") == BUSY_TEXT for m in body if isinstance(m, dict))
    except (requests.RequestException, ValueError):
        kinds, status, served, away = [], 0, None, False
    return Turn(sender, kind, text, started, time.monotonic() - started, status, kinds,
                served, fault, away)


class Patients:
    """Simulated patients, each in a thread, until ``stop`` is set."""

    def __init__(self, url: str, count: int, think: tuple[float, float], seed: int) -> None:
        self.url, self.count, self.think = url, count, think
        self.random = random.Random(seed)
        self.turns: list[Turn] = []
        self.senders = [f"load-{uuid.uuid4().hex[:12]}" for _ in range(count)]
        self.stop = threading.Event()
        self._lock = threading.Lock()

    def record(self, turn: Turn) -> None:
        with self._lock:
            self.turns.append(turn)

    def script(self, rng: random.Random) -> list[tuple[str, str]]:
        """One conversation: greeting, questions each maybe followed up, thanks."""
        turns = [("greeting", rng.choice(GREETINGS))] if rng.random() < 0.5 else []
        for question in rng.sample(QUESTIONS, 3):
            turns.append(("question", question))
            if rng.random() < 0.6:
                turns.append(("follow_up", rng.choice(FOLLOW_UPS)))
        return [*turns, ("thanks", rng.choice(THANKS))]

    def _patient(self, sender: str, rng: random.Random) -> None:
        session = requests.Session()
        session.trust_env = False  # loopback only, never a proxy from the environment
        self.stop.wait(rng.uniform(0, self.think[1]))  # patients arrive spread out
        while not self.stop.is_set():
            for kind, text in self.script(rng):
                if self.stop.is_set():
                    return
                self.record(post(session, self.url, sender, kind, text))
                self.stop.wait(rng.uniform(*self.think))

    def start(self) -> list[threading.Thread]:
        threads = [threading.Thread(target=self._patient,
                                    args=(s, random.Random(self.random.random())), daemon=True)
                   for s in self.senders]
        for thread in threads:
            thread.start()
        return threads


def memory(cluster: Cluster) -> dict[str, float]:
    return {s.name: memory_mb(s.proc.pid) for s in cluster.servers}


def inject(cluster: Cluster, fault: str) -> None:
    """Start one fault (the watchdog brings killed parts back)."""
    if fault == "rasa_replica_killed":
        os.killpg(cluster.server("rasa-1").proc.pid, signal.SIGKILL)
    elif fault == "redis_restarted":
        cluster.server("redis").stop(timeout=5.0)
    elif fault == "postgres_paused":
        tree = process_tree(cluster.server("postgres").proc.pid)
        signal_tree(tree, signal.SIGSTOP)
        threading.Timer(PAUSE_S, signal_tree, (tree, signal.SIGCONT)).start()


def probe(patients: Patients, fault: str, count: int, rng: random.Random) -> None:
    """Safety messages from patients mid-conversation, one a second, during a fault."""
    session = requests.Session()
    session.trust_env = False
    for i in range(count):
        kind = "crisis" if i % 2 == 0 else "red_flag"
        patients.record(post(session, patients.url, rng.choice(patients.senders), kind,
                             PROBES[kind], fault))
        time.sleep(1.0)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 3) if ordered else 0.0


def kept_context(cluster: Cluster, turns: list[Turn]) -> dict[str, bool]:
    """For each conversation served by more than one replica: whether every message its
    patient sent is in the stored conversation, as often as it was sent."""
    by_sender: dict[str, list[Turn]] = defaultdict(list)
    for turn in turns:
        if not turn.turned_away:  # never taken, so never stored
            by_sender[turn.sender].append(turn)
    result = {}
    for sender, sent in by_sender.items():
        if len({t.served_by for t in sent if t.served_by}) < 2:
            continue
        stored = cluster.psql("SELECT data::json->>'text' FROM events WHERE sender_id = "
                              f"'{sender}' AND type_name = 'user' ORDER BY id").splitlines()
        result[sender] = not (Counter(t.text for t in sent) - Counter(stored))
    return result


def report(turns: list[Turn], seconds: float, before: dict, after: dict,
           kept: dict[str, bool], faults: list[str]) -> dict:
    """The figures the module docstring lists."""
    kinds = sorted({t.kind for t in turns})
    probes = [t for t in turns if t.fault]
    hours = seconds / 3600
    return {
        "turns": len(turns), "seconds": round(seconds, 1),
        "turns_per_second": round(len(turns) / seconds, 2) if seconds else 0.0,
        "turns_lost": sum(t.lost for t in turns),
        "turned_away_past_capacity": sum(t.turned_away for t in turns),
        "lost_by_status": dict(Counter(t.status for t in turns if t.lost)),
        "latency": {k: {"p50": percentile([t.seconds for t in turns if t.kind == k], 0.5),
                        "p95": percentile([t.seconds for t in turns if t.kind == k], 0.95),
                        "n": sum(t.kind == k for t in turns)} for k in kinds},
        "conversations_that_jumped": len(kept),
        "jumped_and_kept_context": sum(kept.values()),
        "safety_probes": {f: {"n": sum(t.fault == f for t in probes),
                              "within_2s": sum(t.fault == f and t.seconds < SAFETY_WITHIN_S
                                               and t.kind in t.replied for t in probes),
                              "slowest_s": round(max([t.seconds for t in probes
                                                      if t.fault == f], default=0.0), 3)}
                          for f in faults},
        "memory_mb_before": before, "memory_mb_after": after,
        "memory_growth_mb_per_hour": {k: round((after.get(k, 0) - v) / hours, 1)
                                      for k, v in before.items()} if hours else {},
    }


FAULTS = ["rasa_replica_killed", "redis_restarted", "postgres_paused"]


def run(patients: int, duration: float, think: tuple[float, float], faults: bool,
        config: ClusterSettings, data_dir: Path, probes: int = 6, seed: int = 7) -> dict:
    """Start the cluster, run the load (and faults), stop; the report."""
    with start_cluster(data_dir, config, served_by=True) as cluster:
        dog = watchdog_for(cluster)
        watching = threading.Event()

        def watch() -> None:
            while not watching.wait(0.5):
                dog.check()
                cluster.servers[:] = [item.server for item in dog.watched]
        threading.Thread(target=watch, daemon=True).start()
        before = memory(cluster)
        crowd = Patients(cluster.webhook, patients, think, seed)
        started = time.monotonic()
        threads = crowd.start()
        rng = random.Random(seed)
        schedule = list(zip((0.2, 0.45, 0.7), FAULTS, strict=True)) if faults else []
        schedule = [(duration * fraction, name) for fraction, name in schedule]
        for at, name in schedule:
            time.sleep(max(0.0, started + at - time.monotonic()))
            inject(cluster, name)
            time.sleep(0.5)
            probe(crowd, name, probes, rng)
        time.sleep(max(0.0, started + duration - time.monotonic()))
        crowd.stop.set()
        for thread in threads:
            thread.join(timeout=REQUEST_TIMEOUT_S + 5)
        seconds = time.monotonic() - started
        time.sleep(2.0)  # turns answered early by the safety guard finish saving
        after = memory(cluster)
        kept = kept_context(cluster, crowd.turns)
        watching.set()
        return report(crowd.turns, seconds, before, after, kept,
                      [name for _, name in schedule])


def throughput(url: str, clients: int, seconds: float) -> float:
    """Questions per second with ``clients`` asking back to back (no think time)."""
    crowd = Patients(url, clients, (0.0, 0.0), 11)
    deadline = time.monotonic() + seconds

    def ask(sender: str) -> None:
        session = requests.Session()
        session.trust_env = False
        rng = random.Random(sender)
        while time.monotonic() < deadline:
            crowd.record(post(session, url, sender, "question", rng.choice(QUESTIONS)))
    threads = [threading.Thread(target=ask, args=(s,)) for s in crowd.senders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(not t.lost for t in crowd.turns) / seconds


def compare(config: ClusterSettings, data_dir: Path, clients: int, seconds: float) -> dict:
    """Throughput of the single-node stack and of the cluster, measured one after the other."""
    from bot.serving.stack import free_port

    with start_stack(free_port(), free_port(), data_dir / "single") as stack:
        single = throughput(stack.webhook, clients, seconds)
    with start_cluster(data_dir / "cluster", config) as cluster:
        scaled = throughput(cluster.webhook, clients, seconds)
    return {"clients": clients, "seconds": seconds, "single_node_per_s": round(single, 2),
            "cluster_per_s": round(scaled, 2), "ratio": round(scaled / single, 3)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--patients", type=int, default=200)
    parser.add_argument("--duration", type=float, default=300.0, help="seconds")
    parser.add_argument("--think", type=float, nargs=2, default=(15.0, 45.0),
                        help="seconds between a patient's turns, min and max (reading an "
                             "answer of two or three excerpts and typing the next message)")
    parser.add_argument("--faults", action="store_true")
    parser.add_argument("--replicas", type=int, default=2)
    parser.add_argument("--action-servers", type=int, default=2)
    parser.add_argument("--compare", action="store_true",
                        help="throughput of one node against the cluster instead")
    parser.add_argument("--clients", type=int, default=8, help="for --compare")
    parser.add_argument("--out", type=Path,
                        default=settings.REPO_ROOT / "reports" / "loadtest.json")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="pain-load-"))
    work.chmod(0o711)  # PostgreSQL, running as its own account, keeps its data inside
    config = ClusterSettings(args.replicas, args.action_servers, 0, work / "postgres")
    try:
        if args.compare:
            result = compare(config, work, args.clients, args.duration)
        else:
            result = run(args.patients, args.duration, tuple(args.think), args.faults, config,
                         work / "cluster")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    result["settings"] = {k: v for k, v in vars(args).items() if k != "out"}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, default=str) + "\n", encoding="utf-8")
    print(json.dumps({k: v for k, v in result.items() if not k.startswith("memory")},
                     indent=2, default=str))
    print(f"report: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The scale-out profile under load and faults: PostgreSQL, Redis, two Rasa replicas and
two action servers behind nginx (``bot.serving.cluster``), with simulated patients
through the proxy while a replica is killed, Redis restarted and PostgreSQL paused for
10 s (``bot.serving.loadtest``, bounded here: a few patients for about two minutes)."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from bot.serving import loadtest
from bot.serving.cluster import ClusterSettings, start_cluster

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def work() -> Iterator[Path]:
    """A folder PostgreSQL's own account can reach (pytest's is private to root)."""
    folder = Path(tempfile.mkdtemp(prefix="pain-cluster-test-"))
    folder.chmod(0o711)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def under_faults(work: Path) -> dict:
    return loadtest.run(patients=12, duration=75.0, think=(1.0, 3.0), faults=True,
                        config=ClusterSettings(2, 2, 0, work / "postgres"),
                        data_dir=work / "cluster", probes=4)


def test_no_turn_is_lost_through_a_killed_replica_a_redis_restart_and_a_paused_database(
        under_faults: dict) -> None:
    assert under_faults["turns"] > 150
    assert under_faults["turns_lost"] == 0, under_faults["lost_by_status"]


def test_safety_replies_arrive_within_two_seconds_during_every_fault(under_faults: dict) -> None:
    probes = under_faults["safety_probes"]
    assert set(probes) == set(loadtest.FAULTS)
    for fault, counts in probes.items():
        assert counts["n"] == 4 and counts["within_2s"] == 4, (fault, counts)


def test_conversations_move_between_replicas(under_faults: dict) -> None:
    assert under_faults["conversations_that_jumped"] >= 6


def test_conversations_that_moved_kept_their_context(under_faults: dict) -> None:
    assert under_faults["jumped_and_kept_context"] == under_faults["conversations_that_jumped"]


def test_no_log_of_any_part_holds_what_patients_wrote_or_who_they_are(
        work: Path, under_faults: dict) -> None:
    logs = sorted((work / "cluster" / "logs").glob("*.log"))
    assert {"postgres.log", "redis.log", "nginx.log", "rasa-1.log", "actions-1.log"} <= \
        {log.name for log in logs}
    written = [*loadtest.QUESTIONS, *loadtest.PROBES.values(), *loadtest.FOLLOW_UPS]
    for log in logs:
        text = log.read_text(encoding="utf-8", errors="replace")
        assert not [w for w in written if w in text], log.name
        assert "load-" not in text, f"a sender id in {log.name}"


def test_the_proxy_hides_versions_and_refuses_oversized_bodies(work: Path) -> None:
    config = ClusterSettings(1, 1, 0, work / "postgres-2")
    with start_cluster(work / "cluster-2", config, warm_up=False) as cluster:
        session = requests.Session()
        session.trust_env = False
        root = session.get(cluster.url + "/", timeout=30)
        assert root.text == "Hello" and "nginx/" not in root.headers.get("Server", "")
        big = session.post(cluster.webhook, data=b"x" * 200_000, timeout=30)
        assert big.status_code == 413 and "nginx/" not in big.text
        reply = session.post(cluster.webhook, json={"sender": "p1", "message": "hi"}, timeout=60)
        assert reply.status_code == 200 and reply.json()
        assert cluster.psql("SELECT count(*) FROM events WHERE sender_id = 'p1'").strip() != "0"

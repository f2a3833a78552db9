"""bot.serving.cluster: its settings are checked when built."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot import settings
from bot.serving.cluster import Cluster, ClusterSettings


@pytest.mark.parametrize("replicas, actions, port", [(0, 1, 8080), (1, 0, 8080), (17, 1, 80),
                                                     (1, 1, 70000)])
def test_a_topology_that_cannot_run_is_refused(replicas, actions, port) -> None:
    with pytest.raises(ValueError):
        ClusterSettings(replicas, actions, port)


def test_the_settings_file_and_the_environment_decide(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAIN_CLUSTER_RASA_REPLICAS", "3")
    settings.get.cache_clear()
    try:
        loaded = ClusterSettings.load()
    finally:
        monkeypatch.delenv("PAIN_CLUSTER_RASA_REPLICAS")
        settings.get.cache_clear()
    assert loaded.rasa_replicas == 3
    assert loaded.action_servers == settings.section("cluster")["action_servers"]


def test_every_part_has_a_probe() -> None:
    ports = {"postgres": 1, "redis": 2, "actions": 3, "actions-1": 4, "rasa-1": 5,
             "rasa-2": 6, "proxy": 7}
    urls = Cluster("http://127.0.0.1:7", Path("/tmp"), ports).health_urls()
    assert urls["postgres"] == "tcp://127.0.0.1:1" and urls["redis"] == "tcp://127.0.0.1:2"
    assert urls["rasa-2"] == "http://127.0.0.1:6/"
    assert urls["actions-1"] == "http://127.0.0.1:4/health"
    assert urls["nginx"].startswith("http://127.0.0.1:7/")
    assert "actions" not in urls  # nginx's internal listener is probed as nginx

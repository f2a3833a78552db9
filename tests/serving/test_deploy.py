"""The Compose file and the Kubernetes manifest describe what the code runs: every
variable the scale-out endpoints need is set, and every file they name exists."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from bot import settings
from bot.serving import cluster

ROOT = settings.REPO_ROOT
DEPLOY = ROOT / "bot" / "serving" / "deploy"
NEEDED = set(re.findall(r"\$\{([A-Z_]+)\}", cluster.ENDPOINTS.read_text(encoding="utf-8")))


def compose() -> dict:
    return yaml.safe_load((DEPLOY / "docker-compose.yml").read_text(encoding="utf-8"))


def manifests() -> list[dict]:
    return list(yaml.safe_load_all((DEPLOY / "kubernetes.yml").read_text(encoding="utf-8")))


def k8s_container(name: str) -> dict:
    deployment = next(m for m in manifests()
                      if m["kind"] == "Deployment" and m["metadata"]["name"] == name)
    return deployment["spec"]["template"]["spec"]["containers"][0]


def named_files(command: list[str]) -> list[str]:
    return [part for part in command if part.endswith((".yml", ".tar.gz"))]


def test_the_endpoints_need_the_stores_and_the_action_server() -> None:
    assert {"ACTION_SERVER_URL", "PAIN_DB_HOST", "PAIN_REDIS_HOST"} <= NEEDED


def test_compose_gives_the_rasa_replicas_every_variable_their_endpoints_need() -> None:
    assert set(compose()["services"]["rasa"]["environment"]) >= NEEDED


def test_kubernetes_gives_the_rasa_replicas_every_variable_their_endpoints_need() -> None:
    assert {item["name"] for item in k8s_container("rasa")["env"]} >= NEEDED


def test_the_cluster_on_one_machine_sets_them_too(tmp_path: Path) -> None:
    env = cluster.replica_env(tmp_path, "http://127.0.0.1:1/webhook",
                              {"postgres": 1, "redis": 2})
    assert set(env) >= NEEDED


def test_both_run_the_files_the_repository_has() -> None:
    commands = [compose()["services"]["rasa"]["command"], k8s_container("rasa")["command"]]
    for command in commands:
        for path in named_files(command):
            assert path.startswith("models/") or (ROOT / path).is_file(), path
    assert "bot/serving/endpoints.yml" in commands[0] and "bot/serving/endpoints.yml" in commands[1]
    for dockerfile in ("Dockerfile.rasa", "Dockerfile.actions"):
        for line in (DEPLOY / dockerfile).read_text(encoding="utf-8").splitlines():
            if line.startswith("COPY "):
                for source in line.split()[1:-1]:
                    assert (ROOT / source).exists(), (dockerfile, source)


def test_the_artefacts_are_mounted_read_only_everywhere() -> None:
    for volume in compose()["x-bot"]["volumes"]:
        assert volume.endswith(":ro"), volume
    for name in ("rasa", "actions"):
        for mount in k8s_container(name)["volumeMounts"]:
            assert mount["readOnly"] is True, (name, mount)

"""The scale-out profile on one machine: PostgreSQL, Redis, N Rasa replicas and M action
servers behind nginx, all from the distribution's packages, all on loopback but nginx.

``python -m bot.serving.cluster`` (``make cluster``) starts, in order: PostgreSQL (the
conversation store, ``bot.stores.tracker_store``), Redis (the conversation locks,
``bot.stores.lock_store``, and the messaging platforms' delivery ids), the action
servers, nginx (``bot.serving.proxy``) and the Rasa replicas, which read the endpoints in
``bot/serving/endpoints.yml``. The model, the index and the safety classifier are the
same files for every replica, read only. A watchdog (``bot.serving.watchdog``) restarts any
part that exits or hangs while the others go on; ``/health`` on the status port shows
each part. The Docker Compose file and the Kubernetes manifest in ``bot/serving/deploy``
describe the same topology. Never imports Rasa.
"""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from bot import settings
from bot.serving import proxy, retention, services, watchdog
from bot.serving.stack import (
    MAX_BODY_BYTES,
    RETENTION_EVERY_S,
    Server,
    StackError,
    ask_warm_up,
    child_env,
    free_port,
    rasa_command,
    rasa_paths,
    spawn,
    spawn_action_server,
    wait_until_up,
)

ENDPOINTS = settings.REPO_ROOT / "bot" / "serving" / "endpoints.yml"
LOCK_DB, DELIVERY_DB = 1, 2  # Redis databases


@dataclass(frozen=True)
class ClusterSettings:
    """The ``cluster`` section of the settings, checked when built."""

    rasa_replicas: int = 2
    action_servers: int = 2
    proxy_port: int = 8080
    postgres_dir: Path = Path("/var/lib/pain-assistant/postgres")

    def __post_init__(self) -> None:
        if not 1 <= self.rasa_replicas <= 16 or not 1 <= self.action_servers <= 16:
            raise ValueError("cluster.rasa_replicas and cluster.action_servers must be 1-16")
        if not 0 <= self.proxy_port < 65536:
            raise ValueError(f"cluster.proxy_port {self.proxy_port} is not a port")

    @classmethod
    def load(cls) -> ClusterSettings:
        raw = settings.section("cluster")
        return cls(int(raw.get("rasa_replicas", 2)), int(raw.get("action_servers", 2)),
                   int(raw.get("proxy_port", 8080)),
                   settings.resolve_path(raw.get("postgres_dir") or cls.postgres_dir))


@dataclass
class Cluster:
    """The running topology; ``stop()`` ends every part (also via ``with``)."""

    url: str  # nginx, where patients' requests go
    data_dir: Path
    ports: dict[str, int]
    servers: list[Server] = field(default_factory=list)

    @property
    def webhook(self) -> str:
        return f"{self.url}/webhooks/rest/webhook"

    def health_urls(self) -> dict[str, str]:
        """For each part, what the watchdog probes."""
        urls = {"postgres": f"tcp://127.0.0.1:{self.ports['postgres']}",
                "redis": f"tcp://127.0.0.1:{self.ports['redis']}",
                "nginx": f"{self.url}{proxy.HEALTH_PATH}"}
        for name, port in self.ports.items():
            if name.startswith("actions-"):
                urls[name] = f"http://127.0.0.1:{port}/health"
            elif name.startswith("rasa-"):
                urls[name] = f"http://127.0.0.1:{port}/"
        return urls

    def server(self, name: str) -> Server:
        return next(s for s in self.servers if s.name == name)

    def psql(self, sql: str) -> str:
        """Run ``sql`` on the conversation database; its unaligned output."""
        done = subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(self.ports["postgres"]),
                               "-U", "postgres", "-d", services.DATABASE, "-v",
                               "ON_ERROR_STOP=1", "-Atq", "-c", sql],
                              capture_output=True, text=True, check=True)
        return done.stdout

    def purge(self, days: float) -> None:
        """Retention: the same deletion as ``bot.serving.retention.purge``, on PostgreSQL."""
        cutoff = time.time() - days * retention.SECONDS_PER_DAY
        self.psql(retention.DELETE_OLD.replace(":cutoff", repr(cutoff)))

    def stop(self) -> None:
        for server in reversed(self.servers):
            server.stop()

    def __enter__(self) -> Cluster:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def replica_env(data_dir: Path, action_url: str, ports: dict[str, int]) -> dict[str, str]:
    """A Rasa replica's environment: the shared stores, and one trusted proxy."""
    return dict(child_env(data_dir, action_url),
                PAIN_DB_HOST="127.0.0.1", PAIN_DB_PORT=str(ports["postgres"]),
                PAIN_DB_NAME=services.DATABASE, PAIN_DB_USER="postgres", PAIN_DB_PASSWORD="",
                PAIN_REDIS_HOST="127.0.0.1", PAIN_REDIS_PORT=str(ports["redis"]),
                PAIN_SERVER_REDIS_URL=f"redis://127.0.0.1:{ports['redis']}/{DELIVERY_DB}",
                SANIC_PROXIES_COUNT="1", SANIC_REQUEST_MAX_SIZE=str(MAX_BODY_BYTES))


def start_cluster(data_dir: Path, config: ClusterSettings, *, served_by: bool = False,
                  timeout: float = 300.0, warm_up: bool = True) -> Cluster:
    """Start every part as the module docstring says and wait until the proxy answers a
    question through each replica. On failure nothing is left running."""
    paths = dict(rasa_paths(), endpoints=ENDPOINTS)
    if not paths["model"].exists():
        raise StackError(f"no model at {paths['model']} (run `make model`)")
    data_dir = Path(data_dir).resolve()
    logs = data_dir / "logs"
    ports = {"postgres": free_port(), "redis": free_port(), "actions": free_port()}
    ports |= {f"actions-{i}": free_port() for i in range(1, config.action_servers + 1)}
    ports |= {f"rasa-{i}": free_port() for i in range(1, config.rasa_replicas + 1)}
    ports["proxy"] = config.proxy_port or free_port()
    cluster = Cluster(f"http://127.0.0.1:{ports['proxy']}", data_dir, ports)
    action_url = f"http://127.0.0.1:{ports['actions']}/webhook"
    server_cfg = settings.section("server")
    try:
        postgres = services.start_postgres(config.postgres_dir, ports["postgres"], logs)
        cluster.servers.append(postgres)
        redis = services.start_redis(data_dir / "redis", ports["redis"], logs)
        cluster.servers.append(redis)
        services.wait_for_port(redis, ports["redis"])
        services.create_database(ports["postgres"])
        env = child_env(data_dir, action_url)
        for name in sorted(n for n in ports if n.startswith("actions-")):
            cluster.servers.append(spawn_action_server(ports[name], env, logs, name=name))
        config_text = proxy.render(
            [f"127.0.0.1:{ports[n]}" for n in ports if n.startswith("rasa-")],
            [f"127.0.0.1:{ports[n]}" for n in ports if n.startswith("actions-")],
            f"127.0.0.1:{ports['proxy']}", f"127.0.0.1:{ports['actions']}",
            str(data_dir / "nginx"), str(logs / "nginx-error.log"),
            int(server_cfg.get("rate_limit_address_per_minute", 120)),
            int(server_cfg.get("rate_limit_address_burst", 30)), served_by)
        cluster.servers.append(proxy.start_nginx(config_text, data_dir / "nginx", logs))
        rasa_env = replica_env(data_dir, action_url, ports)
        for name in sorted(n for n in ports if n.startswith("rasa-")):
            cluster.servers.append(spawn(name, rasa_command(paths, "127.0.0.1", ports[name]),
                                         rasa_env, logs))
        urls = cluster.health_urls()
        wait_until_up([(urls[s.name], s) for s in cluster.servers
                       if not urls[s.name].startswith("tcp://")], timeout)
        if warm_up:  # each replica once, directly, so each has loaded what it needs
            for server in cluster.servers:
                if server.name.startswith("rasa-"):
                    sender = f"warmup-{uuid.uuid4().hex}"
                    ask_warm_up(f"http://127.0.0.1:{ports[server.name]}/webhooks/rest/webhook",
                                sender, cluster.servers, timeout)
                    cluster.psql(f"DELETE FROM events WHERE sender_id = '{sender}'")
    except BaseException:
        cluster.stop()
        raise
    return cluster


def watchdog_for(cluster: Cluster) -> watchdog.Watchdog:
    """A watchdog over every part, with the ``server`` settings' timings."""
    urls = cluster.health_urls()
    return watchdog.Watchdog.from_settings(
        [watchdog.Watched(server, urls[server.name]) for server in cluster.servers],
        settings.section("server"))


def main(argv: list[str] | None = None) -> int:
    """Run the cluster until SIGINT or SIGTERM."""
    config = ClusterSettings.load()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--replicas", type=int, default=config.rasa_replicas)
    parser.add_argument("--action-servers", type=int, default=config.action_servers)
    parser.add_argument("--port", type=int, default=config.proxy_port)
    parser.add_argument("--postgres-dir", type=Path, default=config.postgres_dir)
    parser.add_argument("--health-port", type=int, default=0,
                        help="the status page (GET /health); 0: none")
    args = parser.parse_args(argv)
    config = ClusterSettings(args.replicas, args.action_servers, args.port, args.postgres_dir)
    data_dir = settings.resolve_path(settings.section("server").get("data_dir") or "var")
    stopping: list[int] = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda signum, _frame: stopping.append(signum))
    try:
        cluster = start_cluster(data_dir / "cluster", config)
    except StackError as exc:
        print(exc, file=sys.stderr)
        return 1
    days = settings.section("privacy").get("retention_days")
    with cluster:
        cluster.purge(30.0 if days is None else float(days))
        dog = watchdog_for(cluster)
        page = watchdog.serve_health(dog, args.health_port) if args.health_port else None
        print(f"Serving at {cluster.url} ({config.rasa_replicas} Rasa replicas, "
              f"{config.action_servers} action servers). Press Ctrl-C to stop.", flush=True)
        next_purge = time.monotonic() + RETENTION_EVERY_S
        while not stopping:
            dog.check()
            cluster.servers[:] = [item.server for item in dog.watched]
            if time.monotonic() >= next_purge:
                cluster.purge(30.0 if days is None else float(days))
                next_purge += RETENTION_EVERY_S
            time.sleep(0.5)
        if page:
            page.shutdown()
        print("Stopping ...", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Supervisor for `make run`: starts, checks, warms up, keeps up and stops the two servers.

``python -m bot.serving.serve`` serves until Ctrl-C or SIGTERM; ``--shell`` talks to the bot in
this terminal (``make chat``). Process handling lives in ``bot.serving.stack``.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from http.server import ThreadingHTTPServer
from pathlib import Path

import yaml

from bot import settings
from bot.review import settings as review_settings
from bot.safety import helplines
from bot.serving import retention, watchdog
from bot.serving.stack import (
    RETENTION_EVERY_S,
    ROOT,
    Stack,
    StackError,
    child_env,
    rasa_paths,
    spawn_action_server,
    start_stack,
    wait_until_up,
)


def channel_urls(base: str, credentials: Path, root: Path = ROOT) -> list[tuple[str, str]]:
    """Where each configured channel (and the web widget, if present) can be reached."""
    channels = yaml.safe_load(credentials.read_text(encoding="utf-8")) or {}
    urls = []
    for name in channels:
        if name == "socketio":
            urls.append(("socket.io", f"{base}/socket.io/"))
        elif name in ("rest", "bot.channels.rest.RestChannel"):
            urls.append(("REST webhook", f"{base}/webhooks/rest/webhook"))
        elif "." not in name and name != "rasa":
            urls.append((name, f"{base}/webhooks/{name}/webhook"))
    if (root / "bot" / "web").is_dir():
        urls += [("web widget demo", f"{base}/webhooks/web/demo"),
                 ("kiosk", f"{base}/webhooks/web/kiosk")]
    return urls


def run_retention(db: Path | None, days: float) -> None:
    """Purge old conversations; a failure is reported, never fatal."""
    if db is None:
        return
    try:
        retention.purge(db, days)
    except Exception as exc:  # noqa: BLE001 - the server keeps running
        print(f"retention: could not purge {db}: {exc}", file=sys.stderr)


def warn_about_helplines() -> None:
    """Shouts, at start, when the safety replies cannot show real local numbers."""
    for warning in helplines.startup_warnings(settings.section("safety").get("country")):
        bar = "!" * 78
        print(f"{bar}\nWARNING: {warning}\n{bar}", file=sys.stderr, flush=True)


def serve(args: argparse.Namespace) -> int:
    """Run both servers until a signal, restarting either one that dies or hangs
    (``bot.serving.watchdog``) while the other keeps serving."""
    server_cfg, privacy = settings.section("server"), settings.section("privacy")
    data_dir = settings.resolve_path(server_cfg.get("data_dir") or "var")
    data_dir.mkdir(parents=True, exist_ok=True)
    token = None
    if server_cfg.get("enable_api"):
        token = os.environ.get("RASA_API_TOKEN")
        if not token:
            print("server.enable_api is true but RASA_API_TOKEN is not set; refusing to start.",
                  file=sys.stderr)
            return 2
    try:
        review = review_settings.load()
    except review_settings.ReviewSettingsError as exc:
        print(f"{exc}.", file=sys.stderr)
        return 2
    paths = rasa_paths()
    days = privacy.get("retention_days")
    days = 30.0 if days is None else float(days)
    stopping: list[int] = []

    def on_signal(signum: int, _frame: object) -> None:
        stopping.append(signum)
        if not ready:  # still starting: unwind start_stack, which stops what it started
            raise KeyboardInterrupt

    ready = False
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, on_signal)
    print("Starting the action server and the Rasa server ...", flush=True)
    started = time.monotonic()
    try:
        stack = start_stack(args.rasa_port, args.action_port, data_dir, interface=args.interface,
                            cors=args.cors, api_token=token)
    except StackError as exc:
        print(exc, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("Stopped while starting.", file=sys.stderr)
        return 130
    ready = True
    with stack:
        run_retention(stack.tracker_db, days)
        host = "localhost" if args.interface in ("0.0.0.0", "127.0.0.1") else args.interface
        base = f"http://{host}:{args.rasa_port}"
        if stack.warm_up_kinds != ["answer"]:
            print(f"Warning: the warm-up question got {stack.warm_up_kinds or 'no reply'} instead"
                  f" of an answer; see {data_dir / 'logs'}.", file=sys.stderr)
        print(f"Ready in {time.monotonic() - started:.1f} s. Logs: {data_dir / 'logs'}")
        for label, url in channel_urls(base, paths["credentials"]):
            print(f"  {label:<16} {url}")
        if review.enabled:
            print(f"  {'review page':<16} {base}/webhooks/review/ (login required)")
        dog = watchdog_for(stack, server_cfg)
        health = status_page(dog, args.health_port)
        warn_about_helplines()
        print("Press Ctrl-C to stop.", flush=True)
        next_purge = time.monotonic() + RETENTION_EVERY_S
        try:
            while not stopping:
                dog.check()
                stack.servers[:] = [item.server for item in dog.watched]
                if time.monotonic() >= next_purge:
                    run_retention(stack.tracker_db, days)
                    next_purge += RETENTION_EVERY_S
                time.sleep(0.5)
        finally:
            if health:
                health.shutdown()
        print("Stopping ...", flush=True)
    return 0


def status_page(dog: watchdog.Watchdog, port: int) -> ThreadingHTTPServer | None:
    """The supervisor's ``/health`` page on ``port`` (none when 0); a port in use is
    reported, not fatal: the bot itself matters more than its status page."""
    if not port:
        return None
    try:
        page = watchdog.serve_health(dog, port)
    except OSError as exc:
        print(f"Warning: no status page on port {port} ({exc}).", file=sys.stderr, flush=True)
        return None
    print(f"  {'health':<16} http://127.0.0.1:{port}/health", flush=True)
    return page


def watchdog_for(stack: Stack, server_cfg: dict) -> watchdog.Watchdog:
    """A watchdog over the stack's servers, with the ``server`` settings' timings."""
    urls = stack.health_urls()
    return watchdog.Watchdog.from_settings(
        [watchdog.Watched(server, urls[server.name]) for server in stack.servers], server_cfg)


def shell(args: argparse.Namespace) -> int:
    """Start the action server, then `rasa shell` in the foreground against it."""
    data_dir = settings.resolve_path(settings.section("server").get("data_dir") or "var")
    paths = rasa_paths()
    action_url = f"http://127.0.0.1:{args.action_port}/webhook"
    env = child_env(data_dir, action_url)
    actions = spawn_action_server(args.action_port, env, data_dir / "logs")
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C belongs to the shell
    try:
        wait_until_up([(f"http://127.0.0.1:{args.action_port}/health", actions)], 120)
        return subprocess.call([str(paths["rasa"]), "shell", "--model", str(paths["model"]),
                                "--endpoints", str(paths["endpoints"]), "--port",
                                str(args.rasa_port), "--quiet"], cwd=ROOT, env=env)
    except StackError as exc:
        print(exc, file=sys.stderr)
        return 1
    finally:
        actions.stop()
        signal.signal(signal.SIGINT, previous)


def allowed_origins(server_cfg: dict) -> list[str]:
    """``server.allowed_origins`` as a list (the environment gives a space-separated
    string); "*" is refused: the bot names the sites that may embed it."""
    value = server_cfg.get("allowed_origins") or []
    origins = value.split() if isinstance(value, str) else [str(o) for o in value]
    if "*" in origins:
        raise SystemExit("server.allowed_origins lists the clinic's own sites; '*' is refused")
    return origins


def main(argv: list[str] | None = None) -> int:
    server_cfg = settings.section("server")
    parser = argparse.ArgumentParser(prog="python -m bot.serving.serve", description=__doc__)
    parser.add_argument("--rasa-port", type=int, default=int(server_cfg.get("rasa_port", 5005)))
    parser.add_argument("--action-port", type=int,
                        default=int(server_cfg.get("action_port", 5055)))
    parser.add_argument("--interface", default=server_cfg.get("interface") or "127.0.0.1",
                        help="where Rasa listens (0.0.0.0 for every network interface)")
    parser.add_argument("--cors", nargs="*", default=allowed_origins(server_cfg),
                        help="origins allowed to call Rasa from a browser (default: the "
                             "settings' server.allowed_origins)")
    parser.add_argument("--health-port", type=int,
                        default=int(server_cfg.get("health_port") or 0),
                        help="the supervisor's GET /health on 127.0.0.1 (0: none)")
    parser.add_argument("--shell", action="store_true", help="chat in this terminal")
    args = parser.parse_args(argv)
    return shell(args) if args.shell else serve(args)


if __name__ == "__main__":
    sys.exit(main())

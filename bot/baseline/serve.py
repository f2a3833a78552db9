"""Train (once) and serve the stock Rasa baseline in ``bot/baseline/``.

``start_baseline(data_dir)`` promises a running stock assistant: ``models/baseline.tar.gz``
is trained with ``rasa train`` when missing or older than any file of the baseline
project, then Rasa (REST channel, in-memory tracker store, as ``rasa init`` serves it)
and an action server holding only ``bot.baseline.actions`` are started on free local
ports. The result is a ``bot.serving.stack.Stack``; stop it when done.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from bot.serving import stack as bot_stack

HERE = Path(__file__).parent
MODEL = bot_stack.ROOT / "models" / "baseline.tar.gz"
QUESTION = "why do I still hurt when my scans are normal?"  # the `ask` intent
REPLY = "Here is a fixed reply."


def project_files() -> list[Path]:
    """Every file the baseline model is trained from."""
    return [HERE / "config.yml", HERE / "domain.yml", *sorted((HERE / "data").glob("*.yml"))]


def train_if_needed(rasa: Path) -> Path:
    """The trained baseline model, trained first if it is missing or stale."""
    if MODEL.exists() and all(f.stat().st_mtime <= MODEL.stat().st_mtime
                              for f in project_files()):
        return MODEL
    cmd = [str(rasa), "train", "--config", str(HERE / "config.yml"),
           "--domain", str(HERE / "domain.yml"), "--data", str(HERE / "data"),
           "--out", str(MODEL.parent), "--fixed-model-name", "baseline"]
    done = subprocess.run(cmd, cwd=bot_stack.ROOT, capture_output=True, text=True,
                          env=bot_stack.child_env(Path("/tmp"), ""), check=False)
    if done.returncode != 0 or not MODEL.exists():
        raise bot_stack.StackError(f"training the baseline failed:\n{done.stdout[-2000:]}")
    return MODEL


def start_baseline(data_dir: Path, timeout: float = 240.0) -> bot_stack.Stack:
    """Start the stock baseline (training it first if needed); see the module docstring."""
    paths = bot_stack.rasa_paths()
    model = train_if_needed(paths["rasa"])
    data_dir = Path(data_dir).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    rasa_port, action_port = bot_stack.free_port(), bot_stack.free_port()
    action_url = f"http://127.0.0.1:{action_port}/webhook"
    (data_dir / "endpoints.yml").write_text(f"action_endpoint:\n  url: {action_url}\n")
    (data_dir / "credentials.yml").write_text("rest:\n")
    env = bot_stack.child_env(data_dir, action_url)
    stack = bot_stack.Stack(f"http://127.0.0.1:{rasa_port}", action_url, [], data_dir, None)
    try:
        actions = bot_stack.spawn(
            "baseline-actions", [sys.executable, "-m", "rasa_sdk", "--actions",
                                 "bot.baseline.actions", "--port", str(action_port), "--quiet"],
            dict(env, SANIC_HOST="127.0.0.1"), data_dir / "logs")
        stack.servers.append(actions)
        rasa = bot_stack.spawn(
            "baseline-rasa", [str(paths["rasa"]), "run", "--model", str(model),
                              "--endpoints", str(data_dir / "endpoints.yml"),
                              "--credentials", str(data_dir / "credentials.yml"),
                              "--interface", "127.0.0.1", "--port", str(rasa_port), "--quiet"],
            env, data_dir / "logs")
        stack.servers.append(rasa)
        bot_stack.wait_until_up([(f"http://127.0.0.1:{action_port}/health", actions),
                                 (f"{stack.rasa_url}/", rasa)], timeout)
        return stack
    except BaseException:
        stack.stop()
        raise

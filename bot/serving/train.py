"""Train the Rasa model, optionally only when its inputs changed.

``python -m bot.serving.train --if-changed`` (run from .venv-rasa by ``make model``) hashes
everything the model is built from: the config, domain and training data named by
the Makefile (``RASA_CONFIG``, ``RASA_DOMAIN``, ``RASA_DATA``), the Rasa-side Python
under ``bot/`` (custom components and policies end up in the model) and the safety
patterns, plus the Rasa version. It trains ``RASA_MODEL_DIR/RASA_MODEL_NAME.tar.gz``
with ``rasa train`` when that hash differs from the one stored next to the model.
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import os
import subprocess
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
# Rasa-side code that shapes the trained model (channels, serving and NLG do not).
EXTRA_INPUTS = ("bot/components/**/*.py", "bot/policies/**/*.py", "bot/safety/**/*.py",
                "bot/safety/patterns.yml")
DEFAULTS = {
    "RASA_CONFIG": "config.yml",
    "RASA_DOMAIN": "bot/domain",
    "RASA_DATA": "bot/nlu stories",
    "RASA_MODEL_DIR": "models",
    "RASA_MODEL_NAME": "pain-assistant",
}

logger = logging.getLogger("bot.serving.train")


def paths_from(environ: Mapping[str, str]) -> dict[str, str]:
    """The Rasa paths, from the environment the Makefile exports (defaults otherwise)."""
    return {name: environ.get(name) or default for name, default in DEFAULTS.items()}


def input_files(paths: Mapping[str, str], root: Path = REPO_ROOT) -> list[Path]:
    """Every file the model depends on, sorted, without caches."""
    named = [paths["RASA_CONFIG"], paths["RASA_DOMAIN"], *paths["RASA_DATA"].split()]
    found: set[Path] = set()
    for name in named:
        path = root / name
        if path.is_dir():
            found.update(p for p in path.rglob("*") if p.is_file())
        elif path.is_file():
            found.add(path)
    for pattern in EXTRA_INPUTS:
        found.update(p for p in root.glob(pattern) if p.is_file())
    return sorted(p for p in found if "__pycache__" not in p.parts and p.suffix != ".pyc")


def rasa_version() -> str:
    """The installed Rasa version, part of the hash (a new Rasa needs a new model)."""
    try:
        from importlib.metadata import version

        return version("rasa")
    except Exception:  # noqa: BLE001 - not installed: hash without it
        return "unknown"


def inputs_hash(files: Iterable[Path], root: Path = REPO_ROOT, extra: str = "") -> str:
    """SHA-256 over each file's path (relative to ``root``) and contents."""
    digest = hashlib.sha256(extra.encode())
    for path in files:
        digest.update(str(path.relative_to(root)).encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def model_path(paths: Mapping[str, str], root: Path = REPO_ROOT) -> Path:
    return root / paths["RASA_MODEL_DIR"] / f"{paths['RASA_MODEL_NAME']}.tar.gz"


def hash_path(paths: Mapping[str, str], root: Path = REPO_ROOT) -> Path:
    """Where the inputs hash of the current model is kept: next to the model."""
    return root / paths["RASA_MODEL_DIR"] / f"{paths['RASA_MODEL_NAME']}.inputs.sha256"


def is_current(paths: Mapping[str, str], digest: str, root: Path = REPO_ROOT) -> bool:
    """Whether the model exists and was trained from exactly these inputs."""
    stored = hash_path(paths, root)
    return (model_path(paths, root).is_file() and stored.is_file()
            and stored.read_text().strip() == digest)


def train_command(paths: Mapping[str, str]) -> list[str]:
    """The ``rasa train`` invocation for these paths."""
    return [
        sys.executable, "-m", "rasa", "train",
        "--config", paths["RASA_CONFIG"],
        "--domain", paths["RASA_DOMAIN"],
        "--data", *paths["RASA_DATA"].split(),
        "--out", paths["RASA_MODEL_DIR"],
        "--fixed-model-name", paths["RASA_MODEL_NAME"],
        "--force",
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--if-changed", action="store_true",
                        help="train only when the inputs differ from the current model's")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")

    paths = paths_from(os.environ)
    digest = inputs_hash(input_files(paths), extra=rasa_version())
    if args.if_changed and is_current(paths, digest):
        logger.info("Model %s is up to date.", model_path(paths))
        return 0

    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false"}
    hash_path(paths).unlink(missing_ok=True)
    logger.info("Training %s ...", model_path(paths))
    done = subprocess.run(train_command(paths), cwd=REPO_ROOT, env=env, check=False)
    if done.returncode != 0 or not model_path(paths).is_file():
        logger.error("rasa train failed (exit code %s).", done.returncode)
        return done.returncode or 1
    hash_path(paths).write_text(digest + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

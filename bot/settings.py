"""Clinic settings: ``bot/settings.yml`` overlaid with ``PAIN_<SECTION>_<KEY>`` variables.

The one settings loader: the supervisor (``bot.serving.serve``), the Rasa server's components,
the actions, the knowledge layer (``knowledge.settings``) and the tests all read
through it, so every value follows the same rules. A variable overrides a key in the
file with a value of the key's type; a variable for a key the file lacks (in a section
it has) is read as a YAML scalar ("5" is 5, "true" is True, "[a, b]" a list). This
module imports nothing from Rasa.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PATH = REPO_ROOT / "bot" / "settings.yml"
ENV_PREFIX = "PAIN_"


def _coerce(raw: str, current: Any) -> Any:
    """Turn an environment string into the type of the value it overrides."""
    if isinstance(current, bool):
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    if isinstance(current, int):
        return int(raw)
    if isinstance(current, float):
        return float(raw)
    if raw.strip().lower() in {"null", "none", ""}:
        return None
    return raw


def load(path: str | os.PathLike[str] | None = None,
         environ: dict[str, str] | None = None) -> dict[str, dict[str, Any]]:
    """Read the settings file and apply environment overrides; never cached."""
    path = Path(path or os.environ.get("PAIN_SETTINGS", DEFAULT_PATH))
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    environ = os.environ if environ is None else environ
    for section, values in data.items():
        if not isinstance(values, dict):
            continue
        for key, current in values.items():
            name = f"{ENV_PREFIX}{section}_{key}".upper()
            if name in environ:
                values[key] = _coerce(environ[name], current)
        prefix = f"{ENV_PREFIX}{section}_".upper()
        for name, raw in environ.items():
            key = name[len(prefix):].lower()
            if name.startswith(prefix) and key and key not in values:
                values[key] = yaml.safe_load(raw) if raw.strip() else None
    return data


@lru_cache(maxsize=1)
def get() -> dict[str, dict[str, Any]]:
    """The process-wide settings, read once."""
    return load()


def section(name: str) -> dict[str, Any]:
    """One section of the process-wide settings (empty if absent)."""
    return dict(get().get(name) or {})


def resolve_path(value: str | os.PathLike[str]) -> Path:
    """A settings path, relative to the repository root unless absolute."""
    p = Path(value)
    return p if p.is_absolute() else REPO_ROOT / p

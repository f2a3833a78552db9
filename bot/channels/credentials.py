"""Reading a messaging channel's block of ``bot/credentials.yml``."""

from __future__ import annotations

from typing import Any


def credential(credentials: dict[str, Any], key: str, channel: str,
               required: bool = True) -> Any:
    """``credentials[key]``; a clear error if it is missing or its ${VAR} was not expanded."""
    value = credentials.get(key)
    if isinstance(value, str) and "${" in value:
        raise ValueError(f"credentials '{key}' holds an unexpanded ${{...}}: write the "
                         "variable without quotes so Rasa substitutes it")
    if required and not value:
        raise ValueError(f"credentials '{key}' is required for the {channel} channel")
    return value

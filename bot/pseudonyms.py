"""Keyed pseudonyms for the sender ids that identify a person (phone numbers, chat ids).

The Twilio and Telegram channels keep a conversation under
``<channel>-<HMAC-SHA256(key, id)>`` instead of the number or chat id itself, so the
tracker store, the logs and the review files never hold them; the reply still goes to
the real number, which the channel has from the request. The key is
``PAIN_SENDER_KEY`` when set (the same key on every replica), else a random key kept
in ``<data_dir>/sender.key`` (created on first use, readable by its owner only).
``python -m bot.serving.retention erase --channel twilio --sender +447700900123`` finds and
deletes one person's conversation with the same function. Never imports Rasa.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from functools import lru_cache
from pathlib import Path

from bot import settings

KEY_ENV = "PAIN_SENDER_KEY"
KEY_FILE = "sender.key"
DIGEST_CHARS = 32


def data_dir() -> Path:
    """The server's data folder (``server.data_dir``)."""
    return settings.resolve_path(settings.section("server").get("data_dir") or "var")


@lru_cache(maxsize=4)
def key(folder: Path | None = None) -> bytes:
    """The pseudonym key: ``PAIN_SENDER_KEY``, else the data folder's key file (made
    with 32 random bytes the first time)."""
    configured = os.environ.get(KEY_ENV)
    if configured:
        return configured.encode()
    path = (folder or data_dir()) / KEY_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as out:
            out.write(secrets.token_hex(32))
    return path.read_text(encoding="ascii").strip().encode()


def pseudonym(channel: str, raw_id: str, secret: bytes | None = None) -> str:
    """The sender id a ``channel`` keeps for the person ``raw_id`` (stable per key)."""
    digest = hmac.new(secret if secret is not None else key(), raw_id.strip().encode(),
                      hashlib.sha256).hexdigest()
    return f"{channel}-{digest[:DIGEST_CHARS]}"

"""bot.pseudonyms: keyed, stable pseudonyms for phone numbers and chat ids."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from bot import pseudonyms


def test_a_pseudonym_is_stable_per_key_and_hides_the_id() -> None:
    one = pseudonyms.pseudonym("twilio", "+447700900123", b"k1")
    assert one == pseudonyms.pseudonym("twilio", " +447700900123 ", b"k1")
    assert one.startswith("twilio-") and "900123" not in one
    assert len(one) == len("twilio-") + pseudonyms.DIGEST_CHARS
    assert one != pseudonyms.pseudonym("twilio", "+447700900123", b"k2")
    assert one != pseudonyms.pseudonym("twilio", "+447700900124", b"k1")
    assert one.split("-")[1] == pseudonyms.pseudonym("telegram", "+447700900123", b"k1") \
        .split("-")[1]


def test_the_key_comes_from_the_environment_or_a_private_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pseudonyms.key.cache_clear()
    monkeypatch.delenv(pseudonyms.KEY_ENV, raising=False)
    made = pseudonyms.key(tmp_path)
    path = tmp_path / pseudonyms.KEY_FILE
    assert len(made) == 64 and path.read_text().strip().encode() == made
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    pseudonyms.key.cache_clear()
    assert pseudonyms.key(tmp_path) == made  # kept across restarts
    pseudonyms.key.cache_clear()
    monkeypatch.setenv(pseudonyms.KEY_ENV, "shared-by-every-replica")
    assert pseudonyms.key(tmp_path) == b"shared-by-every-replica"
    pseudonyms.key.cache_clear()

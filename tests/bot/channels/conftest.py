"""Channel tests pseudonymise sender ids with a test key, never the data folder's."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot import pseudonyms


@pytest.fixture(autouse=True)
def sender_key(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv(pseudonyms.KEY_ENV, "channel-tests-key")
    pseudonyms.key.cache_clear()
    yield
    pseudonyms.key.cache_clear()

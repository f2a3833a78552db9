"""The review settings: off by default, validated when built, a login required when on."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot import settings
from bot.review import login
from bot.review.settings import ReviewSettings, ReviewSettingsError, from_section, load

HASH = login.hash_password("a long enough password")


def test_the_shipped_settings_keep_the_page_off() -> None:
    shipped = from_section(settings.load(settings.DEFAULT_PATH, environ={})["review"])
    assert shipped.page == "off" and not shipped.enabled
    assert shipped.username is None and shipped.password_hash is None
    assert ReviewSettings() == ReviewSettings(page="off")


def test_on_with_a_username_and_a_hash() -> None:
    on = from_section({"page": "on", "username": "clinician", "password_hash": HASH})
    assert on.enabled and on.username == "clinician"


@pytest.mark.parametrize("section, reason", [
    ({"page": "on"}, "review.username or review.password_hash is not set"),
    ({"page": "on", "username": "clinician"}, "not set"),
    ({"page": "on", "password_hash": HASH}, "not set"),
    ({"page": "on", "username": "clinician", "password_hash": "hunter2"}, "password_hash"),
    ({"page": "public"}, "review.page must be one of"),
    ({"page": "off", "group_similarity": 1.5}, "group_similarity"),
])
def test_unusable_settings_are_refused(section: dict, reason: str) -> None:
    with pytest.raises(ReviewSettingsError, match=reason):
        from_section(section)


def test_yaml_booleans_read_as_the_words() -> None:
    assert from_section({"page": False}).page == "off"
    assert from_section({"page": True, "username": "c", "password_hash": HASH}).page == "on"


def test_the_environment_switches_it_on(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "settings.yml"
    path.write_text('review:\n  page: "off"\n  username: null\n  password_hash: null\n')
    monkeypatch.setenv("PAIN_SETTINGS", str(path))
    assert not load().enabled
    monkeypatch.setenv("PAIN_REVIEW_PAGE", "on")
    with pytest.raises(ReviewSettingsError):
        load()
    monkeypatch.setenv("PAIN_REVIEW_USERNAME", "clinician")
    monkeypatch.setenv("PAIN_REVIEW_PASSWORD_HASH", HASH)
    assert load() == ReviewSettings("on", "clinician", HASH)

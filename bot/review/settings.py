"""The ``review`` section of the clinic settings, checked when it is read.

The page is off unless ``review.page`` is ``on``; then it needs a username and a
password hash (``python -m bot.review.login``), from ``bot/settings.yml`` or the
environment (``PAIN_REVIEW_USERNAME``, ``PAIN_REVIEW_PASSWORD_HASH``), and refuses to
start without them. Nothing here is ever a default credential.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, get_args

from bot import settings
from bot.review import login

PageMode = Literal["off", "on"]
SECTION = "review"
DEFAULT_SIMILARITY = 0.6


class ReviewSettingsError(ValueError):
    """The review settings cannot be used as written."""


@dataclass(frozen=True)
class ReviewSettings:
    """Whether the page is served, who may see it and how alike a group's questions are."""

    page: PageMode = "off"
    username: str | None = None
    password_hash: str | None = None
    group_similarity: float = DEFAULT_SIMILARITY

    def __post_init__(self) -> None:
        if self.page not in get_args(PageMode):
            raise ReviewSettingsError(
                f"review.page must be one of {get_args(PageMode)}, not {self.page!r}")
        if not 0.0 < self.group_similarity < 1.0:
            raise ReviewSettingsError(
                f"review.group_similarity must be between 0 and 1, not {self.group_similarity}")
        if self.page == "off":
            return
        if not self.username or not self.password_hash:
            raise ReviewSettingsError(
                "review.page is on but review.username or review.password_hash is not set "
                "(PAIN_REVIEW_USERNAME, PAIN_REVIEW_PASSWORD_HASH); refusing to serve the page")
        try:
            login.parse_hash(self.password_hash)
        except ValueError as exc:
            raise ReviewSettingsError(f"review.password_hash: {exc}") from None

    @property
    def enabled(self) -> bool:
        return self.page == "on"


def _mode(value: Any) -> Any:
    """YAML reads a bare ``off``/``on`` as a boolean: take those as the words."""
    if isinstance(value, bool):
        return "on" if value else "off"
    return value.strip().lower() if isinstance(value, str) else value


def from_section(section: dict[str, Any]) -> ReviewSettings:
    """Settings from a ``review`` section (missing keys take their defaults)."""
    similarity = section.get("group_similarity")
    return ReviewSettings(
        page=_mode(section.get("page") or "off"),
        username=(str(section["username"]) if section.get("username") else None),
        password_hash=(str(section["password_hash"]) if section.get("password_hash") else None),
        group_similarity=DEFAULT_SIMILARITY if similarity is None else float(similarity),
    )


def load() -> ReviewSettings:
    """The review settings, read now from the settings file and environment."""
    return from_section(settings.load().get(SECTION) or {})

"""Password hashes and the Basic-login check."""

from __future__ import annotations

import base64

import pytest

from bot.review import login


def basic(text: str) -> str:
    return "Basic " + base64.b64encode(text.encode()).decode()


def test_a_hash_checks_its_own_password_only() -> None:
    hashed = login.hash_password("correct horse battery")
    assert hashed.startswith("scrypt$") and "correct" not in hashed
    assert hashed != login.hash_password("correct horse battery")  # salted
    assert login.check("clinician", "correct horse battery", "clinician", hashed)
    assert not login.check("clinician", "correct horse batterY", "clinician", hashed)
    assert not login.check("someone", "correct horse battery", "clinician", hashed)


@pytest.mark.parametrize("bad", ["", "hunter2", "scrypt$16384$8$1$zz$00",
                                 "scrypt$1000$8$1$00$" + "00" * 32,
                                 "bcrypt$16384$8$1$00$" + "00" * 32])
def test_malformed_hashes_are_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        login.parse_hash(bad)


def test_basic_credentials_are_read_from_the_header() -> None:
    assert login.basic_credentials(basic("clinician:pa:ss")) == ("clinician", "pa:ss")
    assert login.basic_credentials(None) is None
    assert login.basic_credentials("Bearer abc") is None
    assert login.basic_credentials("Basic !!!") is None
    assert login.basic_credentials(basic("no colon")) is None


def test_an_empty_password_gets_no_hash() -> None:
    with pytest.raises(ValueError):
        login.hash_password("")

"""The review page's login: scrypt password hashes and a constant-time check.

``python -m bot.review.login`` asks for a password twice and prints its hash, for
``review.password_hash`` (or ``PAIN_REVIEW_PASSWORD_HASH``). The page uses HTTP Basic
authentication, so serve it over HTTPS only (behind the clinic's TLS proxy).
"""

from __future__ import annotations

import base64
import binascii
import getpass
import hashlib
import hmac
import secrets
import sys

SCHEME = "scrypt"
# scrypt's interactive-login cost (about 16 MB and tens of milliseconds per check)
N, R, P = 2**14, 8, 1
SALT_BYTES = 16
KEY_BYTES = 32
MAX_MEMORY = 64 * 1024 * 1024


def _derive(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p,
                          maxmem=MAX_MEMORY, dklen=KEY_BYTES)


def hash_password(password: str) -> str:
    """``scrypt$N$r$p$salt$key`` (hex) for ``password`` with a fresh random salt."""
    if not password:
        raise ValueError("the password is empty")
    salt = secrets.token_bytes(SALT_BYTES)
    key = _derive(password, salt, N, R, P)
    return f"{SCHEME}${N}${R}${P}${salt.hex()}${key.hex()}"


def parse_hash(value: str) -> tuple[int, int, int, bytes, bytes]:
    """(N, r, p, salt, key) of a hash ``hash_password`` wrote; ``ValueError`` otherwise."""
    parts = value.strip().split("$")
    if len(parts) != 6 or parts[0] != SCHEME:
        raise ValueError("not a hash from `python -m bot.review.login` (scrypt$N$r$p$salt$key)")
    try:
        n, r, p = (int(x) for x in parts[1:4])
        salt, key = bytes.fromhex(parts[4]), bytes.fromhex(parts[5])
    except ValueError:
        raise ValueError("its numbers or hex digits cannot be read") from None
    if n < 2 or n & (n - 1) or r < 1 or p < 1 or 128 * r * n * p > MAX_MEMORY \
            or not salt or len(key) != KEY_BYTES:
        raise ValueError("its scrypt parameters are out of range")
    return n, r, p, salt, key


def check(username: str, password: str, expected_username: str, password_hash: str) -> bool:
    """Whether the pair matches; the time taken does not depend on which part is wrong."""
    n, r, p, salt, key = parse_hash(password_hash)
    name_ok = hmac.compare_digest(username.encode("utf-8"), expected_username.encode("utf-8"))
    key_ok = hmac.compare_digest(_derive(password, salt, n, r, p), key)
    return name_ok and key_ok


def basic_credentials(header: str | None) -> tuple[str, str] | None:
    """(username, password) from an ``Authorization: Basic ...`` header, else None."""
    if not header:
        return None
    scheme, _, encoded = header.strip().partition(" ")
    if scheme.lower() != "basic" or not encoded:
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    username, sep, password = decoded.partition(":")
    return (username, password) if sep else None


def main() -> int:
    """Prompt for a password (twice) and print its hash."""
    first = getpass.getpass("Password for the review page: ")
    if first != getpass.getpass("Again: "):
        print("The two passwords differ.", file=sys.stderr)
        return 1
    if len(first) < 12:
        print("Use at least 12 characters.", file=sys.stderr)
        return 1
    print(hash_password(first))
    return 0


if __name__ == "__main__":
    sys.exit(main())

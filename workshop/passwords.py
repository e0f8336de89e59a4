"""One hasher for every secret people type: passwords and shop-floor PINs (argon2id)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
# Checked against when there is no real hash (an unknown username, a trainee without
# a PIN), so that a failure takes as long whatever its cause.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


def hash_secret(secret: str) -> str:
    """The argon2id hash of a password or a PIN."""
    return _hasher.hash(secret)


def matches(stored_hash: str | None, secret: str) -> bool:
    """True when `secret` is the one `stored_hash` was made from (None or "": never)."""
    try:
        return _hasher.verify(stored_hash or _DUMMY_HASH, secret) and bool(stored_hash)
    except (VerificationError, InvalidHashError):
        return False

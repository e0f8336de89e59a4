"""Passwords and PINs: one argon2id hash, and what never matches (wrong, empty, malformed, none)."""

from __future__ import annotations

import pytest

from workshop import passwords

SECRET = "un-mot-de-passe"
DUMMY_SECRET = "not-a-real-password"  # what the stand-in hash for "no hash" was made from


@pytest.mark.parametrize("secret", [SECRET, "4321"])
def test_a_hash_is_argon2id_and_never_holds_the_secret(secret):
    hashed = passwords.hash_secret(secret)
    assert hashed.startswith("$argon2id$")
    assert secret not in hashed
    assert passwords.hash_secret(secret) != hashed  # salted: the same secret, another hash


def test_only_the_right_secret_matches():
    hashed = passwords.hash_secret(SECRET)
    assert passwords.matches(hashed, SECRET) is True
    for wrong in ("un-mot-de-pass", SECRET.upper(), SECRET + " ", ""):
        assert passwords.matches(hashed, wrong) is False, wrong


@pytest.mark.parametrize(
    "stored",
    [
        None,
        "",
        "not-a-hash",
        SECRET,  # a secret stored in clear is not a hash
        "$argon2id$v=19$m=65536,t=3,p=4$garbage",
        passwords.hash_secret(SECRET)[:-4],  # cut short
    ],
)
def test_no_hash_or_a_malformed_one_never_matches(stored):
    assert passwords.matches(stored, SECRET) is False


def test_without_a_hash_even_the_dummys_own_secret_does_not_match(monkeypatch):
    # The stand-in hash is checked (a refusal takes as long whatever its cause)...
    real = passwords._hasher
    checked: list[str] = []

    class Spy:
        def verify(self, stored_hash: str, secret: str) -> bool:
            checked.append(stored_hash)
            return real.verify(stored_hash, secret)

    monkeypatch.setattr(passwords, "_hasher", Spy())
    assert passwords.matches(None, DUMMY_SECRET) is False
    assert passwords.matches("", DUMMY_SECRET) is False
    assert checked == [passwords._DUMMY_HASH] * 2
    # ...and would match that secret: it is the missing hash, not the secret, that refuses.
    assert real.verify(passwords._DUMMY_HASH, DUMMY_SECRET)

"""Named domain exceptions.

Every rule the domain enforces raises a subclass of `DomainError`. The exception
carries a translation key and its parameters, never a sentence, so the page
shows it in the user's language (`t(err.key, **err.params)`).
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A rule was broken; `key` names the message in the locale catalogs."""

    key = "error.generic"

    def __init__(self, key: str | None = None, **params: Any) -> None:
        self.key = key or type(self).key
        self.params = params
        super().__init__(f"{self.key} {params}" if params else self.key)


class PermissionDenied(DomainError):
    """The signed-in user's role may not do this."""

    key = "error.permission_denied"


class NotFound(DomainError):
    """The item asked for does not exist."""

    key = "error.not_found"


class InvalidInput(DomainError):
    """A value typed by a user is out of range or malformed."""

    key = "error.invalid_input"


class Unlikely(DomainError):
    """A possible but unlikely value: kept only once the person confirms it (`confirmed=True`)."""

    key = "error.unlikely"


class InvalidCode(InvalidInput):
    """A scanned or typed tag code cannot be read as a valid code."""

    key = "error.code.invalid"


class WrongCodeKind(InvalidInput):
    """A valid code of another kind than the action needs (e.g. a lot where a crate is expected)."""

    key = "error.code.wrong_kind"


class AuthenticationFailed(DomainError):
    """Unknown username or wrong password (never says which)."""

    key = "error.auth.failed"


class DatabaseUnavailable(DomainError):
    """The database cannot be opened or written."""

    key = "error.db.unavailable"


class DatabaseBusy(DatabaseUnavailable):
    """Another writer held the database longer than the busy timeout; nothing was written."""

    key = "error.db.busy"


class TooManyAttempts(DomainError):
    """Too many failed sign-ins or PINs in a row: wait `seconds` before trying again."""

    key = "error.auth.throttled"

"""What the scan and attach hot paths share: Core SQL kept in step with the ORM session.

A scan runs the same SQL the ORM would send, written with SQLAlchemy Core, without
building and tracking ORM rows (most of the time of a scan was that). These helpers
keep the session's view right: flush first as an ORM query would, hand back the
session's own instances, and tell them what a Core UPDATE wrote.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from sqlalchemy import Table
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, SQLModel

from workshop import codes

_M = TypeVar("_M", bound=SQLModel)


def table(model: type[SQLModel]) -> Table:
    """The Core table of a model."""
    return cast(Table, cast(Any, model).__table__)


def stored_code(text: str, expect: str | None = None) -> str:
    """`codes.parse(text, expect=...)`, skipped when `text` is already a stored code of that kind.

    The same result: a stored code parses to itself (its AZERTY reading turns the
    digits into symbols, so it never reads as another code), and anything else
    still goes through `parse`, errors included.
    """
    if codes.is_valid(text) and (expect is None or text[0] == expect):
        return text
    return codes.parse(text, expect=expect)


def autoflush(session: Session) -> None:
    """What an ORM query does first: the Core statements that follow read the database."""
    if session.autoflush:
        session.flush()


def loaded(session: Session, model: type[_M], values: Mapping[Any, Any]) -> _M:
    """The session's instance of this row (as an ORM query would return it), made if need be.

    An instance already in the session wins, as with an ORM query; otherwise one is
    made from the row's values and added as persistent (loaded, not new: no SQL).
    """
    found = session.identity_map.get(session.identity_key(model, values["id"]))
    if found is not None:
        return cast(_M, found)
    obj = model(**values)
    make_transient_to_detached(obj)
    session.add(obj)
    return obj


def written(session: Session, model: type[SQLModel], ident: int, values: Mapping[str, Any]) -> None:
    """Tell the session's instance of a row (if any) what a Core UPDATE just wrote."""
    found = session.identity_map.get(session.identity_key(model, ident))
    if found is not None:
        for name, value in values.items():
            set_committed_value(found, name, value)

"""Append-only log of who changed what. There is deliberately no update or delete here."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import Table, insert
from sqlmodel import Session

from workshop.models import AuditEvent, User, utcnow

_TABLE = cast(Table, cast(Any, AuditEvent).__table__)
# The longest reason an event keeps (its column's size).
MAX_REASON = 500
_INSERT = insert(_TABLE)


def snapshot(obj: Any, *, fields: list[str] | None = None) -> dict[str, Any]:
    """The JSON-ready column values of a model instance."""
    data = obj.model_dump() if hasattr(obj, "model_dump") else dict(obj)
    if fields is not None:
        data = {k: data[k] for k in fields if k in data}
    data.pop("password_hash", None)  # never log secrets, even hashed
    return data


def _row(
    actor: User | None,
    action: str,
    entity: str,
    entity_id: Any,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    reason: str,
) -> dict[str, Any]:
    """The column values of one audit event: what `record` and `append` both write."""
    return {
        "at": utcnow(),
        "user_id": actor.id if actor else None,
        "action": action,
        "entity": entity,
        "entity_id": str(entity_id),
        "before": json.dumps(before, default=str, ensure_ascii=False) if before else "",
        "after": json.dumps(after, default=str, ensure_ascii=False) if after else "",
        "reason": reason,
    }


def record(
    *,
    session: Session,
    actor: User | None,
    action: str,
    entity: str,
    entity_id: Any = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str = "",
) -> AuditEvent:
    """Add one audit event to the current transaction."""
    event = AuditEvent(**_row(actor, action, entity, entity_id, before, after, reason))
    session.add(event)
    return event


def append(
    *,
    session: Session,
    actor: User | None,
    action: str,
    entity: str,
    entity_id: Any = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str = "",
) -> None:
    """Insert now, with one Core INSERT, the same audit event `record` would add.

    For hot paths (a scan) that write with Core too: no model instance, no unit of
    work. Changes still pending in the session (events from `record` among them)
    are flushed first, so the log keeps the order of the calls. Like `record`, it
    only ever inserts.
    """
    session.flush()
    session.connection().execute(
        _INSERT, _row(actor, action, entity, entity_id, before, after, reason)
    )


@dataclass
class Change:
    """What `change` logs: the values before, and more to add to the values after."""

    before: dict[str, Any]
    extra_after: dict[str, Any] = field(default_factory=dict)


@contextmanager
def change(
    *,
    session: Session,
    actor: User | None,
    obj: Any,
    entity: str,
    entity_id: Any,
    action: str = "update",
    fields: list[str] | None = None,
    reason: str = "",
) -> Iterator[Change]:
    """Snapshot `obj`, let the block change it, then add it and log before and after.

    Nothing is logged when the block raises (its transaction is rolled back anyway).
    State kept in other rows goes into the yielded `Change` (`before`, `extra_after`).
    """
    done = Change(before=snapshot(obj, fields=fields))
    yield done
    session.add(obj)
    record(
        session=session,
        actor=actor,
        action=action,
        entity=entity,
        entity_id=entity_id,
        before=done.before,
        after={**snapshot(obj, fields=fields), **done.extra_after},
        reason=reason,
    )

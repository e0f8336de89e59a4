"""Append-only log of who changed what. There is deliberately no update or delete here."""

from __future__ import annotations

import json
from typing import Any, cast

from sqlalchemy import Table, insert
from sqlmodel import Session

from workshop.models import AuditEvent, User, utcnow

_TABLE = cast(Table, cast(Any, AuditEvent).__table__)
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

"""Append-only log of who changed what. There is deliberately no update or delete here."""

from __future__ import annotations

import json
from typing import Any

from sqlmodel import Session

from workshop.models import AuditEvent, User


def snapshot(obj: Any, *, fields: list[str] | None = None) -> dict[str, Any]:
    """The JSON-ready column values of a model instance."""
    data = obj.model_dump() if hasattr(obj, "model_dump") else dict(obj)
    if fields is not None:
        data = {k: data[k] for k in fields if k in data}
    data.pop("password_hash", None)  # never log secrets, even hashed
    return data


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
    event = AuditEvent(
        user_id=actor.id if actor else None,
        action=action,
        entity=entity,
        entity_id=str(entity_id),
        before=json.dumps(before, default=str, ensure_ascii=False) if before else "",
        after=json.dumps(after, default=str, ensure_ascii=False) if after else "",
        reason=reason,
    )
    session.add(event)
    return event

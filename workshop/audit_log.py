"""Reading the audit log (admin): who changed what and when, filtered.

Read only: `audit.record` stays the one function that writes `AuditEvent`, and
nothing in the app updates or deletes it (tests/unit/test_audit.py checks).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlmodel import Session, col, func, select

from workshop import dates
from workshop.accounts import Permission, require
from workshop.errors import InvalidInput
from workshop.models import AuditEvent, User

SYSTEM = -1  # the `user_id` filter for events with no user (command line, shop-floor tablet)
MAX_ROWS = 500


@dataclass(frozen=True)
class EventRow:
    """One audit event as the viewer shows it."""

    id: int
    at: datetime  # UTC
    user: str  # display name and username, "" for the system
    action: str
    entity: str
    entity_id: str
    before: str
    after: str
    reason: str


# What a reader sees for each action and entity the app records (message keys
# audit_log.did.<action> and audit_log.what.<entity>); one not listed shows as recorded.
ACTIONS = (
    "anonymise", "approve_week", "attach", "backup", "clock_in", "clock_out", "correct",
    "create", "delete", "detach", "import", "outcome", "photo", "reject", "reopen_week",
    "reset_password", "sign_in", "sort", "status", "update",
)  # fmt: skip
ENTITIES = (
    "build", "crate", "crate_kind", "database", "design", "hour_entry", "lot", "market",
    "tablet", "trainee", "user", "venue_values",
)  # fmt: skip
MAX_CHANGES = 4  # values shown in the sentence; the detail below shows them all


def changes(row: EventRow) -> list[tuple[str, str, str]]:
    """The top-level values that differ between the snapshots before and after (`field`,
    before, after), as text; none when a side is missing or is not a JSON object."""
    try:
        before, after = json.loads(row.before or "{}"), json.loads(row.after or "{}")
    except ValueError:
        return []
    if not (isinstance(before, dict) and isinstance(after, dict)) or not (before and after):
        return []
    return [
        (name, _text(before.get(name)), _text(after.get(name)))
        for name in sorted(set(before) | set(after))
        if before.get(name) != after.get(name)
    ]


def _text(value: Any) -> str:
    if value is None:
        return "—"
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


@dataclass(frozen=True)
class Choices:
    """What the filters can offer: users who did something, entities and actions seen."""

    users: list[tuple[int, str]]
    entities: list[str]
    actions: list[str]


def choices(*, session: Session, actor: User) -> Choices:
    """Values for the filters (admin)."""
    require(actor, Permission.audit_log)
    users = session.exec(select(User).order_by(User.display_name)).all()
    entities = session.exec(select(AuditEvent.entity).distinct().order_by(AuditEvent.entity))
    actions = session.exec(select(AuditEvent.action).distinct().order_by(AuditEvent.action))
    return Choices(
        users=[(u.id or 0, f"{u.display_name} ({u.username})") for u in users],
        entities=list(entities),
        actions=list(actions),
    )


@dataclass(frozen=True)
class EventFilter:
    """Which events to find: by user (SYSTEM: none), entity, action, Paris days, entity id."""

    user_id: int | None = None
    entity: str | None = None
    action: str | None = None
    since: date | None = None  # Paris dates, both included
    until: date | None = None
    entity_id: str = ""

    def conditions(self) -> list[Any]:
        """The WHERE clauses of this filter."""
        if self.since and self.until and self.since > self.until:
            raise InvalidInput("error.audit.bad_period")
        found: list[Any] = []
        if self.user_id == SYSTEM:
            found.append(col(AuditEvent.user_id).is_(None))
        elif self.user_id is not None:
            found.append(AuditEvent.user_id == self.user_id)
        if self.entity:
            found.append(AuditEvent.entity == self.entity)
        if self.action:
            found.append(AuditEvent.action == self.action)
        if self.entity_id.strip():
            found.append(col(AuditEvent.entity_id).contains(self.entity_id.strip()))
        if self.since:
            found.append(AuditEvent.at >= dates.midnight(self.since))
        if self.until:
            found.append(AuditEvent.at < dates.midnight(self.until + timedelta(days=1)))
        return found


def search(
    *, session: Session, actor: User, where: EventFilter, limit: int = MAX_ROWS
) -> tuple[list[EventRow], int]:
    """Events matching the filter, newest first (at most `limit`), and how many match in all."""
    require(actor, Permission.audit_log)
    conditions = where.conditions()
    total = session.exec(select(func.count()).select_from(AuditEvent).where(*conditions)).one()
    found = session.exec(
        select(AuditEvent, User)
        .join(User, col(User.id) == AuditEvent.user_id, isouter=True)
        .where(*conditions)
        .order_by(col(AuditEvent.at).desc(), col(AuditEvent.id).desc())
        .limit(limit)
    ).all()
    rows = [
        EventRow(
            id=event.id or 0,
            at=event.at,
            user=f"{user.display_name} ({user.username})" if user else "",
            action=event.action,
            entity=event.entity,
            entity_id=event.entity_id,
            before=event.before,
            after=event.after,
            reason=event.reason,
        )
        for event, user in found
    ]
    return rows, total

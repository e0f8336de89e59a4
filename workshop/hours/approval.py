"""Weekly approval: what waits for a lead, a trainee's week, approving and reopening it.

Approving a week makes its hours count and locks it; only an admin, with a reason,
changes a locked week or reopens it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlmodel import Session, col, select

from workshop import audit, dates
from workshop.accounts import Permission, require
from workshop.errors import InvalidInput
from workshop.hours import rules
from workshop.hours.trainees import check_may_see, get_trainee
from workshop.models import HourEntry, HourStatus, Trainee, User, WeekApproval


def _week_entries(session: Session, trainee_id: int, monday: date) -> list[HourEntry]:
    return list(
        session.exec(
            select(HourEntry)
            .where(
                HourEntry.trainee_id == trainee_id,
                HourEntry.work_date >= monday,
                HourEntry.work_date < monday + timedelta(days=7),
            )
            .order_by(col(HourEntry.work_date), col(HourEntry.start_at), col(HourEntry.id))
        )
    )


def _week_approval(session: Session, trainee_id: int, monday: date) -> WeekApproval | None:
    return session.exec(
        select(WeekApproval).where(
            WeekApproval.trainee_id == trainee_id, WeekApproval.week_start == monday
        )
    ).first()


def approve_week(
    *,
    session: Session,
    actor: User,
    trainee_id: int,
    week: date,
    now: datetime | None = None,
) -> WeekApproval:
    """Approve a trainee's week: its entries count from now on and the week is locked."""
    require(actor, Permission.hours)
    monday = dates.week_start(week)
    get_trainee(session=session, trainee_id=trainee_id)
    if monday > dates.today(now):
        raise InvalidInput("error.hours.future")
    if week < dates.EARLIEST:
        raise InvalidInput("error.hours.week_too_old")
    if rules.is_locked(session, trainee_id, monday):
        raise InvalidInput("error.hours.week_already_approved")
    entries = _week_entries(session, trainee_id, monday)
    if n_open := sum(e.status == HourStatus.open for e in entries):
        raise InvalidInput("error.hours.week_has_open", n=n_open)
    approved = [e for e in entries if e.status == HourStatus.submitted]
    for entry in approved:
        entry.status, entry.reviewed_by_id, entry.reviewed_at = (
            HourStatus.approved,
            actor.id,
            dates.utcnow(),
        )
        session.add(entry)
    lock = WeekApproval(trainee_id=trainee_id, week_start=monday, approved_by_id=actor.id)
    session.add(lock)
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="approve_week",
        entity="trainee",
        entity_id=trainee_id,
        after={
            "week_start": monday.isoformat(),
            "entries": [e.id for e in approved],
            "minutes": sum(e.minutes for e in approved),
        },
    )
    return lock


def reopen_week(
    *, session: Session, actor: User, trainee_id: int, week: date, reason: str
) -> Trainee:
    """Unlock an approved week (admin, with a reason): its entries go back to "submitted"."""
    require(actor, Permission.locked_hours)
    reason = rules.check_reason(reason, required=True)
    monday = dates.week_start(week)
    lock = _week_approval(session, trainee_id, monday)
    if lock is None:
        raise InvalidInput("error.hours.week_not_approved")
    for entry in _week_entries(session, trainee_id, monday):
        if entry.status == HourStatus.approved:
            entry.status = HourStatus.submitted
            session.add(entry)
    session.delete(lock)
    audit.record(
        session=session,
        actor=actor,
        action="reopen_week",
        entity="trainee",
        entity_id=trainee_id,
        before={"week_start": monday.isoformat()},
        reason=reason,
    )
    return get_trainee(session=session, trainee_id=trainee_id)


@dataclass(frozen=True)
class WeekView:
    """One trainee's week: entries, and who approved it if it is locked."""

    trainee: Trainee
    week_start: date
    entries: list[HourEntry]
    approval: WeekApproval | None
    approver: str = ""

    def minutes(self, status: HourStatus) -> int:
        """Total minutes of the week's entries with this status."""
        return sum(e.minutes for e in self.entries if e.status == status)


def week_view(*, session: Session, actor: User, trainee_id: int, week: date) -> WeekView:
    """A trainee's week (leads; a trainee for their own)."""
    check_may_see(session, actor, trainee_id)
    monday = dates.week_start(week)
    approval = _week_approval(session, trainee_id, monday)
    approver = ""
    if approval and approval.approved_by_id:
        user = session.get(User, approval.approved_by_id)
        approver = user.display_name if user else ""
    return WeekView(
        trainee=get_trainee(session=session, trainee_id=trainee_id),
        week_start=monday,
        entries=_week_entries(session, trainee_id, monday),
        approval=approval,
        approver=approver,
    )


@dataclass(frozen=True)
class Pending:
    """Something waiting for a lead: a week with submitted hours, or a forgotten clock-out."""

    trainee_id: int
    name: str
    week_start: date
    submitted_minutes: int
    forgotten: list[date]


def pending(*, session: Session, actor: User, now: datetime | None = None) -> list[Pending]:
    """Weeks with hours to approve and forgotten clock-outs, oldest first."""
    require(actor, Permission.hours)
    moment = now or dates.utcnow()
    names = {t.id: t.display_name for t in session.exec(select(Trainee))}
    rows = session.exec(
        select(HourEntry).where(col(HourEntry.status).in_([HourStatus.submitted, HourStatus.open]))
    ).all()
    by_week: dict[tuple[int, date], tuple[int, list[date]]] = {}
    for entry in rows:
        forgot = rules.is_forgotten_clock_out(entry, moment)
        if entry.status == HourStatus.open and not forgot:
            continue  # clocked in right now: nothing to do yet
        key = (entry.trainee_id, dates.week_start(entry.work_date))
        minutes, forgotten = by_week.get(key, (0, []))
        if forgot:
            forgotten = [*forgotten, entry.work_date]
        else:
            minutes += entry.minutes
        by_week[key] = (minutes, forgotten)
    return [
        Pending(tid, names.get(tid, "?"), monday, minutes, sorted(forgotten))
        for (tid, monday), (minutes, forgotten) in sorted(by_week.items(), key=lambda kv: kv[0][1])
    ]

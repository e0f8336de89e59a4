"""Entering and correcting hours: the one step every new entry goes through, corrections,
refusals, and a trainee's history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlmodel import Session, col, select

from workshop import audit, dates
from workshop.accounts import Permission, can, require
from workshop.errors import InvalidInput, NotFound
from workshop.hours import rules
from workshop.hours.trainees import check_may_see, get_trainee
from workshop.models import Activity, Build, HourEntry, HourSource, HourStatus, Trainee, User

# Fields of an hour entry kept in audit events.
AUDIT_ENTRY = [
    "id",
    "trainee_id",
    "programme_id",
    "work_date",
    "start_at",
    "end_at",
    "minutes",
    "activity",
    "build_id",
    "status",
    "source",
]


@dataclass(frozen=True)
class EntryFields:
    """Hours as they are entered: the day, how long, doing what; a build, start time, note."""

    work_date: date
    minutes: int
    activity: Activity
    build_code: str | None = None
    start: time | None = None  # Paris time; None for hours typed as a duration
    reason: str = ""


def add_entry(
    session: Session,
    *,
    actor: User | None,
    trainee: Trainee,
    fields: EntryFields,
    source: HourSource,
    now: datetime | None,
) -> HourEntry:
    """Check `fields` against every rule, then write them as a new entry of `trainee`."""
    moment = now or dates.utcnow()
    minutes = rules.check_minutes(fields.minutes)
    activity = Activity(fields.activity)
    reason = rules.check_reason(fields.reason, required=False)
    rules.check_day(trainee, fields.work_date, dates.today(moment))
    period = rules.period(fields.work_date, fields.start, minutes, moment)
    locked = rules.check_unlocked(session, actor, trainee.id or 0, fields.work_date, reason)
    others = rules.day_entries(session, trainee.id or 0, fields.work_date)
    rules.check_day_total(others, minutes)
    if period is not None:
        rules.check_overlap(others, period[0], period[1], moment)
    entry = HourEntry(
        trainee_id=trainee.id or 0,
        # Where the hours are reported, even after the trainee moves to another programme.
        programme_id=trainee.programme_id,
        work_date=fields.work_date,
        start_at=period[0] if period else None,
        end_at=period[1] if period else None,
        minutes=minutes,
        activity=activity,
        build_id=rules.build_id(session, fields.build_code),
        # An admin adding to an approved week approves with the same stroke.
        status=HourStatus.approved if locked else HourStatus.submitted,
        source=source,
        reason=reason,
        created_by_id=actor.id if actor else None,
        reviewed_by_id=actor.id if locked and actor else None,
        reviewed_at=dates.utcnow() if locked else None,
    )
    session.add(entry)
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="create",
        entity="hour_entry",
        entity_id=entry.id,
        after=audit.snapshot(entry, fields=AUDIT_ENTRY),
        reason=reason,
    )
    return entry


def record_hours(
    *,
    session: Session,
    actor: User,
    trainee_id: int,
    fields: EntryFields,
    now: datetime | None = None,
) -> HourEntry:
    """Enter hours as a duration (optional start time): leads for anyone, a trainee for themself."""
    check_may_see(session, actor, trainee_id)
    trainee = get_trainee(session=session, trainee_id=trainee_id)
    if trainee.anonymised_at is not None:
        raise InvalidInput("error.hours.anonymised")
    source = HourSource.staff if can(actor, Permission.hours) else HourSource.self_service
    return add_entry(session, actor=actor, trainee=trainee, fields=fields, source=source, now=now)


def _get_entry(session: Session, entry_id: int) -> HourEntry:
    entry = session.get(HourEntry, entry_id)
    if entry is None:
        raise NotFound("error.hours.unknown_entry")
    return entry


def correct_entry(
    *,
    session: Session,
    actor: User,
    entry_id: int,
    minutes: int,
    activity: Activity,
    reason: str,
    build_code: str | None = None,
    now: datetime | None = None,
) -> HourEntry:
    """Change an entry's duration, activity and build with a reason (closes a forgotten clock-out).

    `build_code` None leaves the build as it is, "" takes it away; a code is checked as
    when hours are entered. The entry stays in the programme it was worked under.
    """
    require(actor, Permission.hours)
    moment = now or dates.utcnow()
    entry = _get_entry(session, entry_id)
    reason = rules.check_reason(reason, required=True)
    minutes = rules.check_minutes(minutes)
    activity = Activity(activity)
    build_id = entry.build_id if build_code is None else rules.build_id(session, build_code)
    trainee = get_trainee(session=session, trainee_id=entry.trainee_id)
    locked = rules.check_unlocked(session, actor, entry.trainee_id, entry.work_date, reason)
    others = rules.day_entries(session, entry.trainee_id, entry.work_date, exclude=entry.id)
    rules.check_day_total(others, minutes)
    end = None
    if entry.start_at is not None:
        end = entry.start_at + timedelta(minutes=minutes)
        rules.check_end(entry.work_date, end, moment)
        rules.check_overlap(others, entry.start_at, end, moment)
    rules.check_day(trainee, entry.work_date, dates.today(moment))
    with audit.change(
        session=session,
        actor=actor,
        obj=entry,
        action="correct",
        entity="hour_entry",
        entity_id=entry.id,
        fields=AUDIT_ENTRY,
        reason=reason,
    ):
        entry.minutes, entry.activity, entry.end_at = minutes, activity, end
        entry.build_id = build_id
        if entry.programme_id is None:  # a row written by hand: the best we know
            entry.programme_id = trainee.programme_id
        entry.status = HourStatus.approved if locked else HourStatus.submitted
        entry.reviewed_by_id, entry.reviewed_at, entry.reason = actor.id, dates.utcnow(), reason
    return entry


def reject_entry(*, session: Session, actor: User, entry_id: int, reason: str) -> HourEntry:
    """Reject an entry with a reason: it no longer counts anywhere."""
    require(actor, Permission.hours)
    entry = _get_entry(session, entry_id)
    reason = rules.check_reason(reason, required=True)
    rules.check_unlocked(session, actor, entry.trainee_id, entry.work_date, reason)
    if entry.status == HourStatus.rejected:
        raise InvalidInput("error.hours.already_rejected")
    with audit.change(
        session=session,
        actor=actor,
        obj=entry,
        action="reject",
        entity="hour_entry",
        entity_id=entry.id,
        fields=AUDIT_ENTRY,
        reason=reason,
    ):
        entry.status, entry.reason = HourStatus.rejected, reason
        entry.reviewed_by_id, entry.reviewed_at = actor.id, dates.utcnow()
    return entry


def history(*, session: Session, actor: User, trainee_id: int) -> list[HourEntry]:
    """Every entry of a trainee, newest first (leads; a trainee for their own)."""
    check_may_see(session, actor, trainee_id)
    return list(
        session.exec(
            select(HourEntry)
            .where(HourEntry.trainee_id == trainee_id)
            .order_by(col(HourEntry.work_date).desc(), col(HourEntry.start_at).desc())
        )
    )


def build_codes(*, session: Session, build_ids: set[int]) -> dict[int, str]:
    """Codes of the builds with these ids."""
    if not build_ids:
        return {}
    found = session.exec(select(Build.id, Build.code).where(col(Build.id).in_(build_ids)))
    return {bid: code for bid, code in found if bid is not None}

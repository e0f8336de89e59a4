"""Trainee hours: programmes, trainees and badges, the shop-floor clock, approval, reports.

Times are stored as UTC and reasoned about in Europe/Paris: a work date is the
Paris date, a day ends at Paris midnight. Only approved hours are reported.

Rules (each refused with its own message, nothing written): quarter-hour steps,
at most 12 h per trainee and day, no overlapping periods, no future dates, no
hours outside the trainee's contract, and no change to an approved (locked) week
except by an admin who gives a reason. A clock-in left open past its day is a
*forgotten clock-out*: counted as nothing and listed for the lead to correct.
"""

from __future__ import annotations

import hashlib
import hmac
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlmodel import Session, col, func, or_, select

from workshop import accounts, audit, codes, config, dates, passwords
from workshop.accounts import Permission, can, require
from workshop.errors import AuthenticationFailed, InvalidInput, NotFound, PermissionDenied
from workshop.models import (
    Activity,
    Build,
    HourEntry,
    HourSource,
    HourStatus,
    Programme,
    Role,
    Trainee,
    User,
    WeekApproval,
    utcnow,
)

QUARTER = 15
MAX_DAY_MINUTES = 12 * 60
# What a duration field offers: every quarter hour up to a day's maximum.
DURATIONS = tuple(range(QUARTER, MAX_DAY_MINUTES + 1, QUARTER))
MAX_FIRST_NAME = 40
MAX_REASON = 500
PIN_LENGTH = 4
EARLIEST = date(2000, 1, 1)
# Audit-log entity of shop-floor PIN tries (the throttle counts them, as for passwords).
PIN_ENTITY = "trainee_pin"

PROGRAMMES = (
    ("Régie de quartier Saint-Blaise", "Régie de quartier Saint-Blaise (neighbourhood company)"),
    ("Territoire Zéro Chômeur — EBE", "Zero Long-Term Unemployment Territory — EBE"),
    ("Bénévoles", "Volunteers"),
)


# Fields of a trainee kept in audit events: never the name or the PIN, so that
# anonymising a trainee leaves no name behind in the append-only log.
_AUDIT_TRAINEE = [
    "id",
    "programme_id",
    "start_date",
    "end_date",
    "badge_code",
    "consent_name",
    "consent_photo",
    "user_id",
    "anonymised_at",
]
_AUDIT_ENTRY = [
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


# --- time ----------------------------------------------------------------------------


def round_to_quarter(minutes: float) -> int:
    """Minutes rounded to the nearest quarter hour (7 min 30 s rounds up)."""
    return int((minutes + QUARTER / 2) // QUARTER) * QUARTER


# --- programmes and trainees ---------------------------------------------------------


def seed_programmes(*, session: Session) -> None:
    """Add the three programmes of the workshop, once."""
    if session.exec(select(Programme)).first() is None:
        for name, name_en in PROGRAMMES:
            session.add(Programme(name=name, name_en=name_en))


def programmes(*, session: Session, active_only: bool = True) -> list[Programme]:
    """Programmes in the order they were created."""
    query = select(Programme).order_by(col(Programme.id))
    if active_only:
        query = query.where(Programme.active)
    return list(session.exec(query))


def hash_pin(pin: str) -> str:
    """Argon2id hash of a PIN (as for passwords)."""
    return passwords.hash_secret(pin)


def _check_pin_format(pin: str) -> None:
    if len(pin) != PIN_LENGTH or not pin.isascii() or not pin.isdigit():
        raise InvalidInput("error.hours.pin_format", length=PIN_LENGTH)


def _display_name(first_name: str, last_initial: str) -> str:
    first = " ".join(first_name.split())
    initial = last_initial.strip().rstrip(".")
    if not first:
        raise InvalidInput("error.hours.first_name_empty")
    if len(first) > MAX_FIRST_NAME:
        raise InvalidInput("error.hours.first_name_long", max=MAX_FIRST_NAME)
    if len(initial) != 1 or not initial.isalpha():
        raise InvalidInput("error.hours.initial")
    return f"{first} {initial.upper()}."


def _check_contract(start_date: date, end_date: date | None) -> None:
    if start_date < EARLIEST:
        raise InvalidInput("error.hours.start_too_old")
    if end_date is not None and end_date < start_date:
        raise InvalidInput("error.hours.end_before_start")


def _check_programme(session: Session, programme_id: int) -> None:
    programme = session.get(Programme, programme_id)
    if programme is None or not programme.active:
        raise InvalidInput("error.hours.unknown_programme")


def _check_user_link(session: Session, user_id: int | None, trainee_id: int | None) -> None:
    if user_id is None:
        return
    user = session.get(User, user_id)
    if user is None or user.role != Role.trainee:
        raise InvalidInput("error.hours.link_not_trainee")
    other = session.exec(select(Trainee).where(Trainee.user_id == user_id)).first()
    if other is not None and other.id != trainee_id:
        raise InvalidInput("error.hours.link_taken")


def _new_badge_code(session: Session) -> str:
    while True:
        code = codes.mint(codes.BADGE)
        if session.exec(select(Trainee.id).where(Trainee.badge_code == code)).first() is None:
            return code


def get_trainee(*, session: Session, trainee_id: int) -> Trainee:
    """The trainee with this id, or NotFound."""
    trainee = session.get(Trainee, trainee_id)
    if trainee is None:
        raise NotFound("error.hours.unknown_trainee")
    return trainee


def create_trainee(
    *,
    session: Session,
    actor: User,
    first_name: str,
    last_initial: str,
    programme_id: int,
    start_date: date,
    end_date: date | None = None,
    pin: str = "",
    consent_name: bool = False,
    consent_photo: bool = False,
    user_id: int | None = None,
) -> Trainee:
    """Add a trainee with a new badge code (lead or admin)."""
    require(actor, Permission.hours)
    name = _display_name(first_name, last_initial)
    _check_programme(session, programme_id)
    _check_contract(start_date, end_date)
    if pin:
        _check_pin_format(pin)
    _check_user_link(session, user_id, None)
    trainee = Trainee(
        display_name=name,
        programme_id=programme_id,
        start_date=start_date,
        end_date=end_date,
        badge_code=_new_badge_code(session),
        pin_hash=hash_pin(pin) if pin else "",
        consent_name=consent_name,
        consent_photo=consent_photo,
        user_id=user_id,
    )
    session.add(trainee)
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="create",
        entity="trainee",
        entity_id=trainee.id,
        after=audit.snapshot(trainee, fields=_AUDIT_TRAINEE),
    )
    return trainee


def update_trainee(
    *,
    session: Session,
    actor: User,
    trainee_id: int,
    programme_id: int,
    start_date: date,
    end_date: date | None,
    consent_name: bool,
    consent_photo: bool,
    user_id: int | None,
    pin: str | None = None,
    new_badge: bool = False,
) -> Trainee:
    """Change a trainee's programme, contract, consents, sign-in link; `pin` "" removes the PIN."""
    require(actor, Permission.hours)
    trainee = get_trainee(session=session, trainee_id=trainee_id)
    if trainee.anonymised_at is not None:
        raise InvalidInput("error.hours.anonymised")
    _check_programme(session, programme_id)
    _check_contract(start_date, end_date)
    if pin:
        _check_pin_format(pin)
    _check_user_link(session, user_id, trainee_id)
    before_or_after = [col(HourEntry.work_date) < start_date]
    if end_date is not None:
        before_or_after.append(col(HourEntry.work_date) > end_date)
    outside = select(func.count()).where(
        HourEntry.trainee_id == trainee_id,
        HourEntry.status != HourStatus.rejected,
        or_(*before_or_after),
    )
    if n := session.exec(outside).one():
        raise InvalidInput("error.hours.entries_outside_contract", n=n)
    with audit.change(
        session=session,
        actor=actor,
        obj=trainee,
        entity="trainee",
        entity_id=trainee.id,
        fields=_AUDIT_TRAINEE,
    ) as change:
        trainee.programme_id, trainee.start_date = programme_id, start_date
        trainee.end_date, trainee.user_id = end_date, user_id
        trainee.consent_name, trainee.consent_photo = consent_name, consent_photo
        if pin is not None:
            trainee.pin_hash = hash_pin(pin) if pin else ""
        if new_badge:  # a lost badge: the old card stops working at once
            trainee.badge_code = _new_badge_code(session)
        change.extra_after["pin_changed"] = pin is not None
    return trainee


def list_trainees(
    *, session: Session, actor: User, current_on: date | None = None
) -> list[Trainee]:
    """Trainees by name (lead or admin); only those under contract on `current_on` if given."""
    require(actor, Permission.hours)
    query = select(Trainee).order_by(Trainee.display_name)
    found = list(session.exec(query))
    if current_on is not None:
        found = [t for t in found if is_current(t, current_on)]
    return found


def trainee_accounts(*, session: Session, actor: User) -> list[User]:
    """Sign-in accounts with the trainee role, to link to a trainee record (lead or admin)."""
    require(actor, Permission.hours)
    query = select(User).where(User.role == Role.trainee).order_by(User.display_name)
    return list(session.exec(query))


def is_current(trainee: Trainee, on: date) -> bool:
    """True when the trainee is under contract on `on` and not anonymised."""
    return (
        trainee.anonymised_at is None
        and trainee.start_date <= on
        and (trainee.end_date is None or on <= trainee.end_date)
    )


def linked_trainee(*, session: Session, actor: User) -> Trainee | None:
    """The trainee record of a signed-in trainee (None if not linked)."""
    require(actor, Permission.own_hours)
    return session.exec(select(Trainee).where(Trainee.user_id == actor.id)).first()


def _may_see(session: Session, actor: User, trainee_id: int) -> None:
    if can(actor, Permission.hours):
        return
    require(actor, Permission.own_hours)
    mine = linked_trainee(session=session, actor=actor)
    if mine is None or mine.id != trainee_id:
        raise PermissionDenied(permission=Permission.own_hours.value)


# --- shop floor: who is at the tablet --------------------------------------------------


def _check_current(trainee: Trainee, today: date) -> None:
    if trainee.anonymised_at is not None:
        raise NotFound("error.hours.unknown_badge")
    if today < trainee.start_date:
        raise InvalidInput("error.hours.contract_not_started", name=trainee.display_name)
    if trainee.end_date is not None and today > trainee.end_date:
        raise InvalidInput("error.hours.contract_ended", name=trainee.display_name)


def identify_badge(*, session: Session, text: str, now: datetime | None = None) -> Trainee:
    """The current trainee whose badge was scanned or typed; ended contracts refused politely."""
    code = codes.parse(text, expect=codes.BADGE)
    trainee = session.exec(select(Trainee).where(Trainee.badge_code == code)).first()
    if trainee is None:
        raise NotFound("error.hours.unknown_badge")
    _check_current(trainee, dates.today(now))
    return trainee


def pin_trainees(*, session: Session, now: datetime | None = None) -> list[Trainee]:
    """Trainees who can tap their name + PIN today, by name."""
    today = dates.today(now)
    found = session.exec(
        select(Trainee).where(Trainee.pin_hash != "").order_by(Trainee.display_name)
    )
    return [t for t in found if is_current(t, today)]


def identify_pin(
    *, session: Session, trainee_id: int, pin: str, now: datetime | None = None
) -> Trainee:
    """The trainee, if `pin` is theirs; a write: every try is audit-logged.

    After accounts.FREE_TRIES wrong PINs in a row the PIN is refused (TooManyAttempts,
    not even checked) for a wait that grows, as for passwords, counted from the log.
    """
    moment = now or dates.utcnow()
    trainee = get_trainee(session=session, trainee_id=trainee_id)
    key = str(trainee_id)
    accounts.check_throttle(
        session=session, entity=PIN_ENTITY, key=key, now=moment, message="error.auth.pin_throttled"
    )
    if not passwords.matches(trainee.pin_hash, pin):
        accounts.record_attempt(session=session, entity=PIN_ENTITY, key=key, ok=False, now=moment)
        raise AuthenticationFailed("error.hours.wrong_pin")
    _check_current(trainee, dates.today(moment))
    accounts.record_attempt(session=session, entity=PIN_ENTITY, key=key, ok=True, now=moment)
    return trainee


# --- rules -------------------------------------------------------------------------


def _build_id(session: Session, build_code: str | None) -> int | None:
    if build_code is None or not build_code.strip():
        return None
    code = codes.parse(build_code, expect=codes.BUILD)
    build_id = session.exec(select(Build.id).where(Build.code == code)).first()
    if build_id is None:
        raise NotFound("error.hours.unknown_build", code=codes.format_code(code))
    return build_id


def _is_locked(session: Session, trainee_id: int, day: date) -> bool:
    found = session.exec(
        select(WeekApproval.id).where(
            WeekApproval.trainee_id == trainee_id, WeekApproval.week_start == dates.week_start(day)
        )
    ).first()
    return found is not None


def _check_unlocked(
    session: Session, actor: User | None, trainee_id: int, day: date, reason: str
) -> bool:
    """Raise unless `day`'s week is open or an admin gives a reason; True when locked."""
    if not _is_locked(session, trainee_id, day):
        return False
    if not can(actor, Permission.locked_hours):
        raise InvalidInput("error.hours.week_locked", week=_day(dates.week_start(day)))
    if not reason.strip():
        raise InvalidInput("error.hours.reason_required")
    return True


def _check_reason(reason: str, *, required: bool) -> str:
    reason = reason.strip()
    if required and not reason:
        raise InvalidInput("error.hours.reason_required")
    if len(reason) > MAX_REASON:
        raise InvalidInput("error.hours.reason_long", max=MAX_REASON)
    return reason


def _check_minutes(minutes: object) -> int:
    if not isinstance(minutes, int) or isinstance(minutes, bool) or minutes <= 0:
        raise InvalidInput("error.hours.minutes_positive")
    if minutes % QUARTER:
        raise InvalidInput("error.hours.quarter")
    if minutes > MAX_DAY_MINUTES:
        raise InvalidInput("error.hours.day_limit", hours=MAX_DAY_MINUTES // 60, already=0)
    return minutes


def _check_day(trainee: Trainee, day: date, today: date) -> None:
    if day > today:
        raise InvalidInput("error.hours.future")
    if day < trainee.start_date or (trainee.end_date is not None and day > trainee.end_date):
        raise InvalidInput(
            "error.hours.outside_contract",
            start=_day(trainee.start_date),
            end=_day(trainee.end_date) if trainee.end_date else "—",
        )


def _day_entries(
    session: Session, trainee_id: int, day: date, exclude: int | None
) -> list[HourEntry]:
    query = select(HourEntry).where(
        HourEntry.trainee_id == trainee_id,
        HourEntry.work_date == day,
        HourEntry.status != HourStatus.rejected,
    )
    if exclude is not None:
        query = query.where(HourEntry.id != exclude)
    return list(session.exec(query))


def _check_day_total(others: list[HourEntry], minutes: int) -> None:
    already = sum(e.minutes for e in others)
    if already + minutes > MAX_DAY_MINUTES:
        raise InvalidInput(
            "error.hours.day_limit",
            hours=MAX_DAY_MINUTES // 60,
            already=timedelta(minutes=already),  # formatted by the message
        )


def _day(day: date) -> date:
    # Dates travel as dates: the message formats them in the reader's language.
    return day


def _check_overlap(others: list[HourEntry], start: datetime, end: datetime, now: datetime) -> None:
    for other in others:
        if other.start_at is None:
            continue
        # A clock-in still open covers up to now (or to the end of its day when forgotten).
        other_end = other.end_at or min(now, dates.day_bounds(other.work_date)[1])
        if other.end_at is None and other_end <= other.start_at:
            other_end = other.start_at + timedelta(seconds=1)
        if start < other_end and other.start_at < end:
            raise InvalidInput(
                "error.hours.overlap",
                start=dates.local(other.start_at).time(),
                end=dates.local(other_end).time() if other.end_at else "…",
            )


def _period(day: date, start: time | None, minutes: int) -> tuple[datetime, datetime] | None:
    if start is None:
        return None
    begin = datetime.combine(day, start, dates.PARIS).astimezone(UTC)
    end = begin + timedelta(minutes=minutes)
    if end > dates.day_bounds(day)[1]:
        raise InvalidInput("error.hours.past_midnight")
    return begin, end


# --- entries ------------------------------------------------------------------------


def _add_entry(
    session: Session,
    *,
    actor: User | None,
    trainee: Trainee,
    work_date: date,
    minutes: int,
    activity: Activity,
    build_code: str | None,
    start: time | None,
    reason: str,
    source: HourSource,
    now: datetime | None,
) -> HourEntry:
    moment = now or dates.utcnow()
    today = dates.today(moment)
    minutes = _check_minutes(minutes)
    activity = Activity(activity)
    reason = _check_reason(reason, required=False)
    _check_day(trainee, work_date, today)
    period = _period(work_date, start, minutes)
    if period is not None and period[1] > moment:
        raise InvalidInput("error.hours.future")
    locked = _check_unlocked(session, actor, trainee.id or 0, work_date, reason)
    others = _day_entries(session, trainee.id or 0, work_date, None)
    _check_day_total(others, minutes)
    if period is not None:
        _check_overlap(others, period[0], period[1], moment)
    entry = HourEntry(
        trainee_id=trainee.id or 0,
        # Where the hours are reported, even after the trainee moves to another programme.
        programme_id=trainee.programme_id,
        work_date=work_date,
        start_at=period[0] if period else None,
        end_at=period[1] if period else None,
        minutes=minutes,
        activity=activity,
        build_id=_build_id(session, build_code),
        # An admin adding to an approved week approves with the same stroke.
        status=HourStatus.approved if locked else HourStatus.submitted,
        source=source,
        reason=reason,
        created_by_id=actor.id if actor else None,
        reviewed_by_id=actor.id if locked and actor else None,
        reviewed_at=utcnow() if locked else None,
    )
    session.add(entry)
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="create",
        entity="hour_entry",
        entity_id=entry.id,
        after=audit.snapshot(entry, fields=_AUDIT_ENTRY),
        reason=reason,
    )
    return entry


def record_hours(
    *,
    session: Session,
    actor: User,
    trainee_id: int,
    work_date: date,
    minutes: int,
    activity: Activity,
    build_code: str | None = None,
    start: time | None = None,
    reason: str = "",
    now: datetime | None = None,
) -> HourEntry:
    """Enter hours as a duration (optional start time): leads for anyone, a trainee for themself."""
    _may_see(session, actor, trainee_id)
    trainee = get_trainee(session=session, trainee_id=trainee_id)
    if trainee.anonymised_at is not None:
        raise InvalidInput("error.hours.anonymised")
    source = HourSource.staff if can(actor, Permission.hours) else HourSource.self_service
    return _add_entry(
        session,
        actor=actor,
        trainee=trainee,
        work_date=work_date,
        minutes=minutes,
        activity=activity,
        build_code=build_code,
        start=start,
        reason=reason,
        source=source,
        now=now,
    )


def shop_floor_hours(
    *,
    session: Session,
    trainee_id: int,
    work_date: date,
    minutes: int,
    activity: Activity,
    build_code: str | None = None,
    now: datetime | None = None,
) -> HourEntry:
    """Hours typed on the tablet by a trainee identified by badge or PIN."""
    trainee = get_trainee(session=session, trainee_id=trainee_id)
    _check_current(trainee, dates.today(now))
    return _add_entry(
        session,
        actor=None,
        trainee=trainee,
        work_date=work_date,
        minutes=minutes,
        activity=activity,
        build_code=build_code,
        start=None,
        reason="",
        source=HourSource.shop_floor,
        now=now,
    )


@dataclass(frozen=True)
class ClockState:
    """Where a trainee stands today: clocked in since when, hours so far, forgotten clock-outs."""

    open_entry: HourEntry | None
    today_minutes: int
    forgotten: list[date] = field(default_factory=list)


def clock_state(*, session: Session, trainee_id: int, now: datetime | None = None) -> ClockState:
    """Today's state for the shop-floor screen."""
    today = dates.today(now)
    opens = session.exec(
        select(HourEntry).where(
            HourEntry.trainee_id == trainee_id, HourEntry.status == HourStatus.open
        )
    ).all()
    current = next((e for e in opens if e.work_date == today), None)
    forgotten = sorted(e.work_date for e in opens if e.work_date < today)
    minutes = sum(e.minutes for e in _day_entries(session, trainee_id, today, None))
    return ClockState(open_entry=current, today_minutes=minutes, forgotten=forgotten)


def clock_in(
    *,
    session: Session,
    trainee_id: int,
    activity: Activity,
    build_code: str | None = None,
    now: datetime | None = None,
) -> HourEntry:
    """ "J'arrive": open a period now, for a trainee identified on the tablet."""
    moment = now or dates.utcnow()
    today = dates.today(moment)
    trainee = get_trainee(session=session, trainee_id=trainee_id)
    _check_current(trainee, today)
    activity = Activity(activity)
    state = clock_state(session=session, trainee_id=trainee_id, now=moment)
    if state.open_entry is not None and state.open_entry.start_at is not None:
        raise InvalidInput(
            "error.hours.already_in", time=dates.local(state.open_entry.start_at).time()
        )
    _check_unlocked(session, None, trainee_id, today, "")
    others = _day_entries(session, trainee_id, today, None)
    if sum(e.minutes for e in others) >= MAX_DAY_MINUTES:
        raise InvalidInput(
            "error.hours.day_limit",
            hours=MAX_DAY_MINUTES // 60,
            already=timedelta(minutes=MAX_DAY_MINUTES),
        )
    _check_overlap(others, moment, moment + timedelta(seconds=1), moment)
    entry = HourEntry(
        trainee_id=trainee_id,
        programme_id=trainee.programme_id,
        work_date=today,
        start_at=moment,
        minutes=0,
        activity=activity,
        build_id=_build_id(session, build_code),
        status=HourStatus.open,
        source=HourSource.clock,
    )
    session.add(entry)
    session.flush()
    audit.record(
        session=session,
        actor=None,
        action="clock_in",
        entity="hour_entry",
        entity_id=entry.id,
        after=audit.snapshot(entry, fields=_AUDIT_ENTRY),
    )
    return entry


def clock_out(*, session: Session, trainee_id: int, now: datetime | None = None) -> HourEntry:
    """ "Je pars": close today's open period, rounded to the nearest quarter hour."""
    moment = now or dates.utcnow()
    trainee = get_trainee(session=session, trainee_id=trainee_id)
    _check_current(trainee, dates.today(moment))
    state = clock_state(session=session, trainee_id=trainee_id, now=moment)
    entry = state.open_entry
    if entry is None or entry.start_at is None:
        if state.forgotten:
            raise InvalidInput("error.hours.forgot_clock_out", day=_day(state.forgotten[-1]))
        raise InvalidInput("error.hours.not_in")
    minutes = round_to_quarter((moment - entry.start_at).total_seconds() / 60)
    if minutes <= 0:
        raise InvalidInput("error.hours.too_short")
    _check_unlocked(session, None, trainee_id, entry.work_date, "")
    others = _day_entries(session, trainee_id, entry.work_date, entry.id)
    _check_day_total(others, minutes)
    _check_overlap(others, entry.start_at, moment, moment)
    with audit.change(
        session=session,
        actor=None,
        obj=entry,
        action="clock_out",
        entity="hour_entry",
        entity_id=entry.id,
        fields=_AUDIT_ENTRY,
    ):
        entry.end_at, entry.minutes, entry.status = moment, minutes, HourStatus.submitted
        if entry.programme_id is None:
            entry.programme_id = trainee.programme_id
    return entry


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
    reason = _check_reason(reason, required=True)
    minutes = _check_minutes(minutes)
    activity = Activity(activity)
    build_id = entry.build_id if build_code is None else _build_id(session, build_code)
    trainee = get_trainee(session=session, trainee_id=entry.trainee_id)
    locked = _check_unlocked(session, actor, entry.trainee_id, entry.work_date, reason)
    others = _day_entries(session, entry.trainee_id, entry.work_date, entry.id)
    _check_day_total(others, minutes)
    end = None
    if entry.start_at is not None:
        end = entry.start_at + timedelta(minutes=minutes)
        if end > dates.day_bounds(entry.work_date)[1]:
            raise InvalidInput("error.hours.past_midnight")
        if end > moment:
            raise InvalidInput("error.hours.future")
        _check_overlap(others, entry.start_at, end, moment)
    _check_day(trainee, entry.work_date, dates.today(moment))
    with audit.change(
        session=session,
        actor=actor,
        obj=entry,
        action="correct",
        entity="hour_entry",
        entity_id=entry.id,
        fields=_AUDIT_ENTRY,
        reason=reason,
    ):
        entry.minutes, entry.activity, entry.end_at = minutes, activity, end
        entry.build_id = build_id
        if entry.programme_id is None:  # a row written by hand: the best we know
            entry.programme_id = trainee.programme_id
        entry.status = HourStatus.approved if locked else HourStatus.submitted
        entry.reviewed_by_id, entry.reviewed_at, entry.reason = actor.id, utcnow(), reason
    return entry


def reject_entry(*, session: Session, actor: User, entry_id: int, reason: str) -> HourEntry:
    """Reject an entry with a reason: it no longer counts anywhere."""
    require(actor, Permission.hours)
    entry = _get_entry(session, entry_id)
    reason = _check_reason(reason, required=True)
    _check_unlocked(session, actor, entry.trainee_id, entry.work_date, reason)
    if entry.status == HourStatus.rejected:
        raise InvalidInput("error.hours.already_rejected")
    with audit.change(
        session=session,
        actor=actor,
        obj=entry,
        action="reject",
        entity="hour_entry",
        entity_id=entry.id,
        fields=_AUDIT_ENTRY,
        reason=reason,
    ):
        entry.status, entry.reason = HourStatus.rejected, reason
        entry.reviewed_by_id, entry.reviewed_at = actor.id, utcnow()
    return entry


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
    if _is_locked(session, trainee_id, monday):
        raise InvalidInput("error.hours.week_already_approved")
    entries = _week_entries(session, trainee_id, monday)
    if n_open := sum(e.status == HourStatus.open for e in entries):
        raise InvalidInput("error.hours.week_has_open", n=n_open)
    approved = [e for e in entries if e.status == HourStatus.submitted]
    for entry in approved:
        entry.status, entry.reviewed_by_id, entry.reviewed_at = (
            HourStatus.approved,
            actor.id,
            utcnow(),
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
    reason = _check_reason(reason, required=True)
    monday = dates.week_start(week)
    lock = session.exec(
        select(WeekApproval).where(
            WeekApproval.trainee_id == trainee_id, WeekApproval.week_start == monday
        )
    ).first()
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


# --- views --------------------------------------------------------------------------


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
    _may_see(session, actor, trainee_id)
    monday = dates.week_start(week)
    approval = session.exec(
        select(WeekApproval).where(
            WeekApproval.trainee_id == trainee_id, WeekApproval.week_start == monday
        )
    ).first()
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
    today = dates.today(now)
    names = {t.id: t.display_name for t in session.exec(select(Trainee))}
    rows = session.exec(
        select(HourEntry).where(col(HourEntry.status).in_([HourStatus.submitted, HourStatus.open]))
    ).all()
    by_week: dict[tuple[int, date], tuple[int, list[date]]] = {}
    for entry in rows:
        if entry.status == HourStatus.open and entry.work_date >= today:
            continue  # clocked in right now: nothing to do yet
        key = (entry.trainee_id, dates.week_start(entry.work_date))
        minutes, forgotten = by_week.get(key, (0, []))
        if entry.status == HourStatus.open:
            forgotten = [*forgotten, entry.work_date]
        else:
            minutes += entry.minutes
        by_week[key] = (minutes, forgotten)
    return [
        Pending(tid, names.get(tid, "?"), monday, minutes, sorted(forgotten))
        for (tid, monday), (minutes, forgotten) in sorted(by_week.items(), key=lambda kv: kv[0][1])
    ]


def history(*, session: Session, actor: User, trainee_id: int) -> list[HourEntry]:
    """Every entry of a trainee, newest first (leads; a trainee for their own)."""
    _may_see(session, actor, trainee_id)
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


# --- reports ------------------------------------------------------------------------


def pseudonym(trainee_id: int, key: bytes | None = None) -> str:
    """A stable pseudonym for sharing outside: HMAC-SHA256 of the id with the configured key."""
    digest = hmac.new(
        key or config.pseudonym_key(), str(trainee_id).encode("ascii"), hashlib.sha256
    )
    return digest.hexdigest()[:12]


@dataclass(frozen=True)
class ReportRow:
    """One trainee's approved minutes in a month, per activity."""

    trainee_id: int
    name: str
    pseudonym: str
    minutes: dict[Activity, int]
    pending_minutes: int  # submitted, not yet approved (not counted)
    forgotten: int  # forgotten clock-outs (not counted)

    @property
    def total(self) -> int:
        """Approved minutes, all activities."""
        return sum(self.minutes.values())


@dataclass(frozen=True)
class MonthReport:
    """A programme's approved hours for one month, and its full-time equivalents."""

    programme: Programme
    month: date
    base_hours: float
    rows: list[ReportRow]

    @property
    def total(self) -> int:
        """Approved minutes of the programme."""
        return sum(r.total for r in self.rows)

    def etp(self, minutes: int) -> float:
        """Full-time equivalents for `minutes` in this month."""
        return minutes / 60 / self.base_hours

    def by_activity(self) -> dict[Activity, int]:
        """Approved minutes per activity, all trainees."""
        return {a: sum(r.minutes.get(a, 0) for r in self.rows) for a in Activity}


def monthly_report(
    *,
    session: Session,
    actor: User,
    programme_id: int,
    month: date,
    base_hours: float | None = None,
) -> MonthReport:
    """Approved hours worked under a programme in `month`, per trainee and activity.

    Each entry counts in the programme it was worked under (`HourEntry.programme_id`,
    the trainee's programme for rows without one), so a trainee who moved appears in
    both programmes' reports for that month, each with its own hours. The programme's
    current trainees under contract that month are listed too, with zeros.
    """
    require(actor, Permission.hours)
    programme = session.get(Programme, programme_id)
    if programme is None:
        raise InvalidInput("error.hours.unknown_programme")
    base = base_hours if base_hours is not None else config.monthly_hours_base()
    first, nxt = dates.month_bounds(month)
    sums = session.exec(
        select(  # type: ignore[call-overload]
            col(HourEntry.trainee_id),
            col(HourEntry.activity),
            col(HourEntry.status),
            func.sum(HourEntry.minutes),
            func.count(),
        )
        .select_from(HourEntry)
        .join(Trainee, col(Trainee.id) == HourEntry.trainee_id)
        .where(
            func.coalesce(HourEntry.programme_id, Trainee.programme_id) == programme_id,
            HourEntry.work_date >= first,
            HourEntry.work_date < nxt,
        )
        .group_by(HourEntry.trainee_id, HourEntry.activity, HourEntry.status)
    ).all()
    minutes: dict[int, dict[Activity, int]] = defaultdict(dict)
    waiting: dict[int, int] = defaultdict(int)
    forgotten: dict[int, int] = defaultdict(int)
    for trainee_id, activity, status, total, count in sums:
        if status == HourStatus.approved:
            minutes[trainee_id][Activity(activity)] = int(total or 0)
        elif status == HourStatus.submitted:
            waiting[trainee_id] += int(total or 0)
        elif status == HourStatus.open:
            forgotten[trainee_id] += int(count)
    counted = set(minutes) | set(waiting) | set(forgotten)
    trainees = session.exec(
        select(Trainee).where(
            or_(Trainee.programme_id == programme_id, col(Trainee.id).in_(counted))
        )
    ).all()
    shown = [
        t
        for t in trainees
        if (t.id or 0) in counted
        or (
            t.programme_id == programme_id
            and t.start_date < nxt
            and (t.end_date is None or t.end_date >= first)
        )
    ]
    key = config.pseudonym_key()
    rows = [
        ReportRow(
            trainee_id=t.id or 0,
            name=t.display_name,
            pseudonym=pseudonym(t.id or 0, key),
            minutes=dict(minutes.get(t.id or 0, {})),
            pending_minutes=waiting.get(t.id or 0, 0),
            forgotten=forgotten.get(t.id or 0, 0),
        )
        for t in sorted(shown, key=lambda t: (t.display_name, t.id or 0))
    ]
    return MonthReport(programme=programme, month=first, base_hours=base, rows=rows)


# --- personal data ------------------------------------------------------------------


def personal_data(*, session: Session, actor: User, trainee_id: int) -> dict[str, Any]:
    """Everything the app keeps about a trainee, for "export my data"."""
    _may_see(session, actor, trainee_id)
    trainee = get_trainee(session=session, trainee_id=trainee_id)
    names = {p.id: p.name for p in programmes(session=session, active_only=False)}
    entries = history(session=session, actor=actor, trainee_id=trainee_id)
    builds = build_codes(session=session, build_ids={e.build_id for e in entries if e.build_id})
    return {
        "trainee": {
            "display_name": trainee.display_name,
            "programme": names.get(trainee.programme_id, ""),
            "start_date": trainee.start_date.isoformat(),
            "end_date": trainee.end_date.isoformat() if trainee.end_date else None,
            "badge_code": codes.format_code(trainee.badge_code),
            "has_pin": bool(trainee.pin_hash),
            "consent_name_on_passports": trainee.consent_name,
            "consent_photo": trainee.consent_photo,
            "created_at": trainee.created_at.isoformat(),
        },
        "hours": [
            {
                "date": e.work_date.isoformat(),
                "start": dates.local(e.start_at).isoformat() if e.start_at else None,
                "end": dates.local(e.end_at).isoformat() if e.end_at else None,
                "minutes": e.minutes,
                "activity": e.activity.value,
                "build": codes.format_code(builds[e.build_id]) if e.build_id in builds else None,
                "programme": names.get(e.programme_id or trainee.programme_id, ""),
                "status": e.status.value,
                "source": e.source.value,
                "reason": e.reason,
            }
            for e in entries
        ],
    }


def due_for_anonymisation(
    *, session: Session, today: date | None = None, months: int | None = None
) -> list[Trainee]:
    """Trainees whose end date is `months` (the retention setting) or more in the past."""
    today = today or dates.today()
    months = months if months is not None else config.retention_months()
    cutoff = dates.months_before(today, months)
    return list(
        session.exec(
            select(Trainee).where(
                col(Trainee.anonymised_at).is_(None),
                col(Trainee.end_date).is_not(None),
                col(Trainee.end_date) <= cutoff,
            )
        )
    )


def anonymise_expired(
    *,
    session: Session,
    actor: User | None,
    today: date | None = None,
    months: int | None = None,
) -> list[int]:
    """Anonymise trainees past the retention period; `actor` None is the command line."""
    if actor is not None:
        require(actor, Permission.settings)
    done: list[int] = []
    key = config.pseudonym_key()
    for trainee in due_for_anonymisation(session=session, today=today, months=months):
        tid = trainee.id or 0
        anonymous = f"#{pseudonym(tid, key)[:8]}"
        if trainee.user_id is not None:
            user = session.get(User, trainee.user_id)
            if user is not None:
                user.display_name, user.username = anonymous, f"anonyme-{pseudonym(tid, key)}"
                user.active = False
                session.add(user)
        trainee.display_name, trainee.pin_hash, trainee.user_id = anonymous, "", None
        trainee.consent_name = trainee.consent_photo = False
        trainee.anonymised_at = utcnow()
        session.add(trainee)
        # Reasons were typed by leads and may name the person; the hours themselves stay
        # (the programmes' reports and funding depend on them).
        for entry in session.exec(select(HourEntry).where(HourEntry.trainee_id == tid)):
            if entry.reason:
                entry.reason = ""
                session.add(entry)
        audit.record(
            session=session,
            actor=actor,
            action="anonymise",
            entity="trainee",
            entity_id=tid,
        )
        done.append(tid)
    return done

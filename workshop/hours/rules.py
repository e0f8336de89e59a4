"""The hour rules: limits, rounding, and every check an entry must pass before it is written.

Each check raises InvalidInput (or NotFound) with its own key and writes nothing.
Messages get dates and times as such, never as text: the message formats them in
the reader's language.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlmodel import Session, select

from workshop import codes, dates, typed_input
from workshop.accounts import Permission, can
from workshop.errors import InvalidInput, NotFound
from workshop.models import Build, HourEntry, HourStatus, Trainee, User, WeekApproval

QUARTER = 15
MAX_DAY_MINUTES = 12 * 60
# What a duration field offers: every quarter hour up to a day's maximum.
DURATIONS = tuple(range(QUARTER, MAX_DAY_MINUTES + 1, QUARTER))
MAX_FIRST_NAME = 40
MAX_REASON = 500
PIN_LENGTH = 4


def round_to_quarter(minutes: float) -> int:
    """Minutes rounded to the nearest quarter hour (7 min 30 s rounds up)."""
    return int((minutes + QUARTER / 2) // QUARTER) * QUARTER


def is_forgotten_clock_out(entry: HourEntry, now: datetime | None = None) -> bool:
    """True when `entry` is a clock-in still open after its (Paris) day: a forgotten clock-out.

    Such an entry counts as nothing until a lead corrects it; an open entry of today
    is someone clocked in right now.
    """
    return entry.status == HourStatus.open and entry.work_date < dates.today(now)


def check_minutes(minutes: object) -> int:
    """`minutes` if it is a positive number of quarter hours within a day's maximum."""
    if not isinstance(minutes, int) or isinstance(minutes, bool) or minutes <= 0:
        raise InvalidInput("error.hours.minutes_positive")
    if minutes % QUARTER:
        raise InvalidInput("error.hours.quarter")
    if minutes > MAX_DAY_MINUTES:
        raise InvalidInput("error.hours.day_limit", hours=MAX_DAY_MINUTES // 60, already=0)
    return minutes


def check_reason(reason: str, *, required: bool) -> str:
    """`reason` as kept (`typed_input.text`), refused when empty but `required`, or too long."""
    reason = typed_input.text(reason)
    if required and not reason:
        raise InvalidInput("error.hours.reason_required")
    if len(reason) > MAX_REASON:
        raise InvalidInput("error.hours.reason_long", max=MAX_REASON)
    return reason


def check_day(trainee: Trainee, day: date, today: date) -> None:
    """Refuse a day in the future or outside the trainee's contract."""
    if day > today:
        raise InvalidInput("error.hours.future")
    if day < trainee.start_date or (trainee.end_date is not None and day > trainee.end_date):
        raise InvalidInput(
            "error.hours.outside_contract",
            start=trainee.start_date,
            end=trainee.end_date or "—",
        )


def is_locked(session: Session, trainee_id: int, day: date) -> bool:
    """True when the trainee's week of `day` is approved (locked)."""
    found = session.exec(
        select(WeekApproval.id).where(
            WeekApproval.trainee_id == trainee_id, WeekApproval.week_start == dates.week_start(day)
        )
    ).first()
    return found is not None


def check_unlocked(
    session: Session, actor: User | None, trainee_id: int, day: date, reason: str
) -> bool:
    """Raise unless `day`'s week is open or an admin gives a reason; True when locked."""
    if not is_locked(session, trainee_id, day):
        return False
    if not can(actor, Permission.locked_hours):
        raise InvalidInput("error.hours.week_locked", week=dates.week_start(day))
    if not reason.strip():
        raise InvalidInput("error.hours.reason_required")
    return True


def day_entries(
    session: Session, trainee_id: int, day: date, exclude: int | None = None
) -> list[HourEntry]:
    """The trainee's entries of `day` that count (not rejected), but the one `exclude`d."""
    query = select(HourEntry).where(
        HourEntry.trainee_id == trainee_id,
        HourEntry.work_date == day,
        HourEntry.status != HourStatus.rejected,
    )
    if exclude is not None:
        query = query.where(HourEntry.id != exclude)
    return list(session.exec(query))


def check_day_total(others: list[HourEntry], minutes: int) -> None:
    """Refuse `minutes` more when the day's `others` would then pass the day's maximum."""
    already = sum(e.minutes for e in others)
    if already + minutes > MAX_DAY_MINUTES:
        raise InvalidInput(
            "error.hours.day_limit",
            hours=MAX_DAY_MINUTES // 60,
            already=timedelta(minutes=already),  # formatted by the message
        )


def check_overlap(others: list[HourEntry], start: datetime, end: datetime, now: datetime) -> None:
    """Refuse the period `start`–`end` when it overlaps one of the day's `others`."""
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


def check_end(day: date, end: datetime, now: datetime) -> None:
    """Refuse a period of `day` that ends after its Paris midnight, or after `now`."""
    if end > dates.day_bounds(day)[1]:
        raise InvalidInput("error.hours.past_midnight")
    if end > now:
        raise InvalidInput("error.hours.future")


def period(
    day: date, start: time | None, minutes: int, now: datetime
) -> tuple[datetime, datetime] | None:
    """The UTC start and end of `minutes` from Paris time `start` on `day` (None: no start)."""
    if start is None:
        return None
    begin = datetime.combine(day, start, dates.PARIS).astimezone(UTC)
    end = begin + timedelta(minutes=minutes)
    check_end(day, end, now)
    return begin, end


def build_id(session: Session, build_code: str | None) -> int | None:
    """The id of the build `build_code` names (None when empty); NotFound when unknown."""
    if build_code is None or not build_code.strip():
        return None
    code = codes.parse(build_code, expect=codes.BUILD)
    found = session.exec(select(Build.id).where(Build.code == code)).first()
    if found is None:
        raise NotFound("error.hours.unknown_build", code=codes.format_code(code))
    return found

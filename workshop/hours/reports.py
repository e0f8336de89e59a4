"""Monthly reports of approved hours per programme, and the pseudonyms that share them outside."""

from __future__ import annotations

import hashlib
import hmac
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, TypeVar

from sqlalchemy import Select
from sqlmodel import Session, col, func, or_, select

from workshop import config, dates
from workshop.accounts import Permission, require
from workshop.errors import InvalidInput
from workshop.hours import rules
from workshop.models import Activity, HourEntry, HourStatus, Programme, Trainee, User

_Query = TypeVar("_Query", bound="Select[*tuple[Any, ...]]")


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


@dataclass
class _MonthCounts:
    """What a month's entries under a programme add up to, per trainee id."""

    approved: defaultdict[int, dict[Activity, int]] = field(
        default_factory=lambda: defaultdict(dict)
    )
    waiting: defaultdict[int, int] = field(default_factory=lambda: defaultdict(int))
    forgotten: defaultdict[int, int] = field(default_factory=lambda: defaultdict(int))

    def trainee_ids(self) -> set[int]:
        """Trainees with any entry counted here."""
        return set(self.approved) | set(self.waiting) | set(self.forgotten)

    def row(self, trainee: Trainee, key: bytes) -> ReportRow:
        """The report's row of `trainee` (zeros when they have no entry)."""
        tid = trainee.id or 0
        return ReportRow(
            trainee_id=tid,
            name=trainee.display_name,
            pseudonym=pseudonym(tid, key),
            minutes=dict(self.approved.get(tid, {})),
            pending_minutes=self.waiting.get(tid, 0),
            forgotten=self.forgotten.get(tid, 0),
        )


def _worked_under(query: _Query, programme_id: int, first: date, nxt: date) -> _Query:
    """`query` kept to the entries worked under the programme from `first` to before `nxt`.

    Rows written by hand without a programme count in their trainee's.
    """
    return query.join(Trainee, col(Trainee.id) == HourEntry.trainee_id).where(
        func.coalesce(HourEntry.programme_id, Trainee.programme_id) == programme_id,
        col(HourEntry.work_date) >= first,
        col(HourEntry.work_date) < nxt,
    )


def _month_counts(
    session: Session, programme_id: int, first: date, nxt: date, now: datetime | None
) -> _MonthCounts:
    """Approved minutes per activity, submitted minutes and forgotten clock-outs of the month."""
    counts = _MonthCounts()
    sums = (
        select(
            col(HourEntry.trainee_id),
            col(HourEntry.activity),
            col(HourEntry.status),
            func.sum(HourEntry.minutes),
        )
        .select_from(HourEntry)
        .where(col(HourEntry.status).in_([HourStatus.approved, HourStatus.submitted]))
        .group_by(col(HourEntry.trainee_id), col(HourEntry.activity), col(HourEntry.status))
    )
    for trainee_id, activity, status, total in session.exec(
        _worked_under(sums, programme_id, first, nxt)
    ):
        if status == HourStatus.approved:
            counts.approved[trainee_id][Activity(activity)] = int(total or 0)
        else:
            counts.waiting[trainee_id] += int(total or 0)
    opens = select(HourEntry).where(HourEntry.status == HourStatus.open)
    for entry in session.exec(_worked_under(opens, programme_id, first, nxt)):
        if rules.is_forgotten_clock_out(entry, now):
            counts.forgotten[entry.trainee_id] += 1
    return counts


def _shown_trainees(
    session: Session, programme_id: int, first: date, nxt: date, counted: set[int]
) -> list[Trainee]:
    """Trainees with hours counted, and the programme's under contract that month, by name."""
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
    return sorted(shown, key=lambda t: (t.display_name, t.id or 0))


def monthly_report(
    *,
    session: Session,
    actor: User,
    programme_id: int,
    month: date,
    base_hours: float | None = None,
    now: datetime | None = None,
) -> MonthReport:
    """Approved hours worked under a programme in `month`, per trainee and activity.

    Each entry counts in the programme it was worked under (`HourEntry.programme_id`,
    the trainee's programme for rows without one), so a trainee who moved appears in
    both programmes' reports for that month, each with its own hours. The programme's
    current trainees under contract that month are listed too, with zeros. Submitted
    hours and forgotten clock-outs (as of `now`) are shown, not counted.
    """
    require(actor, Permission.hours)
    programme = session.get(Programme, programme_id)
    if programme is None:
        raise InvalidInput("error.hours.unknown_programme")
    base = base_hours if base_hours is not None else config.monthly_hours_base()
    first, nxt = dates.month_bounds(month)
    counts = _month_counts(session, programme_id, first, nxt, now)
    shown = _shown_trainees(session, programme_id, first, nxt, counts.trainee_ids())
    key = config.pseudonym_key()
    rows = [counts.row(t, key) for t in shown]
    return MonthReport(programme=programme, month=first, base_hours=base, rows=rows)

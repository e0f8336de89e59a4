"""The one clock: every "now" and "today" of the app, and the calendar arithmetic, in Paris.

The workshop, its markets and its trainees live in Europe/Paris, whatever time zone
the server runs in: "today" is the Paris date, a day ends at Paris midnight (a DST
day lasts 23 or 25 hours), a week starts on the Paris Monday. Times are stored as
UTC and shown in Paris time. Nothing else in the app calls `date.today()` or
`datetime.now()` (tests/unit/test_meta.py checks).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")

# The first day any date the app takes may be: nothing the workshop records (a pickup,
# a piece, a contract, a venue's month) happened before it, so an earlier date is a
# typing mistake (0001-01-01, 1926 for 2026) and is refused, each field with its message.
EARLIEST = date(2000, 1, 1)


def utcnow() -> datetime:
    """The current time, timezone-aware UTC: what the database stores."""
    return datetime.now(UTC)


def now() -> datetime:
    """The current time in Paris."""
    return datetime.now(UTC).astimezone(PARIS)


def today(at: datetime | None = None) -> date:
    """The Paris date today, or at the moment `at`."""
    return local(at).date() if at is not None else now().date()


def local(moment: datetime) -> datetime:
    """A stored time in Paris time (a time without an offset is UTC, as SQLite keeps it)."""
    if moment.utcoffset() is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(PARIS)


def midnight(day: date) -> datetime:
    """The Paris midnight that starts `day`, as a UTC time."""
    return datetime.combine(day, time(0), PARIS).astimezone(UTC)


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """Paris midnight to midnight of `day`, as UTC times (DST days are 23 or 25 h)."""
    return midnight(day), midnight(day + timedelta(days=1))


def week_start(day: date) -> date:
    """The Monday of `day`'s week."""
    return day - timedelta(days=day.weekday())


def add_months(month: date, n: int) -> date:
    """The first day of the month `n` months after `month`'s (n may be negative)."""
    index = month.year * 12 + month.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def month_end(month: date) -> date:
    """The last day of `month`'s month."""
    return add_months(month, 1) - timedelta(days=1)


def month_bounds(month: date) -> tuple[date, date]:
    """The first day of `month`'s month and the first day of the next one."""
    return month.replace(day=1), add_months(month, 1)


def months_before(day: date, n: int) -> date:
    """The same day `n` months earlier, or that month's last day when it is shorter."""
    first = add_months(day, -n)
    return min(first.replace(day=1) + timedelta(days=day.day - 1), month_end(first))

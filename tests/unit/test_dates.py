"""One Paris clock: the rules hold on a server in UTC around Paris midnight and on DST nights.

Each moment below is a UTC time at which the Paris date is already the next day (or a
DST change is under way); the process runs with TZ=UTC (time-machine mocks the local
zone with the destination's). The Paris dates are written out by hand.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from sqlmodel import select

from tests import factories
from workshop import builds, dates, db, hours, impact, pickups, venues
from workshop.errors import InvalidInput
from workshop.models import Activity, BuildStatus, Role, Venue

# (UTC moment, the Paris date then)
NIGHTS = [
    pytest.param(datetime(2026, 1, 14, 23, 30, tzinfo=UTC), date(2026, 1, 15), id="winter-23:30"),
    pytest.param(datetime(2026, 1, 15, 0, 30, tzinfo=UTC), date(2026, 1, 15), id="winter-00:30"),
    # 29 March 2026: Paris goes from 02:00 CET to 03:00 CEST at 01:00 UTC.
    pytest.param(datetime(2026, 3, 28, 23, 30, tzinfo=UTC), date(2026, 3, 29), id="march-23:30"),
    pytest.param(datetime(2026, 3, 29, 0, 30, tzinfo=UTC), date(2026, 3, 29), id="march-00:30"),
    pytest.param(datetime(2026, 3, 29, 23, 30, tzinfo=UTC), date(2026, 3, 30), id="march-after"),
    pytest.param(datetime(2026, 7, 14, 23, 30, tzinfo=UTC), date(2026, 7, 15), id="summer-23:30"),
    # 25 October 2026: Paris goes from 03:00 CEST back to 02:00 CET at 01:00 UTC.
    pytest.param(datetime(2026, 10, 24, 23, 30, tzinfo=UTC), date(2026, 10, 25), id="oct-23:30"),
    pytest.param(datetime(2026, 10, 25, 0, 30, tzinfo=UTC), date(2026, 10, 25), id="oct-00:30"),
    pytest.param(datetime(2026, 10, 25, 23, 30, tzinfo=UTC), date(2026, 10, 26), id="oct-after"),
    # A month's and a year's last evening in UTC: already the 1st in Paris.
    pytest.param(datetime(2026, 10, 31, 23, 30, tzinfo=UTC), date(2026, 11, 1), id="month-end"),
    pytest.param(datetime(2026, 12, 31, 23, 30, tzinfo=UTC), date(2027, 1, 1), id="year-end"),
]


@pytest.fixture
def utc_server():
    """The process in UTC, as a server usually is; travel() moves its clock."""

    def travel(moment: datetime) -> time_machine.travel:
        return time_machine.travel(moment, tick=True)

    return travel


@pytest.mark.parametrize(("moment", "paris_day"), NIGHTS)
def test_today_is_the_paris_date(utc_server, moment, paris_day):
    with utc_server(moment):
        assert time.strftime("%Z") == "UTC"  # the server's own zone
        assert dates.today() == paris_day
        assert dates.now().date() == paris_day and dates.now().utcoffset() in (
            timedelta(hours=1),
            timedelta(hours=2),
        )
        assert dates.week_start(dates.today()).weekday() == 0


@pytest.mark.parametrize(("moment", "paris_day"), NIGHTS)
def test_a_pickup_of_paris_today_is_accepted_and_tomorrow_refused(
    engine, utc_server, moment, paris_day
):
    lead = factories.user(engine, Role.lead)
    with utc_server(moment):
        lot = factories.lot(engine, lead, on=paris_day)
        with pytest.raises(InvalidInput) as err:
            factories.lot(engine, lead, on=paris_day + timedelta(days=1))
        with db.read_session(engine) as session:
            recent = pickups.recent_pickups(session=session, actor=lead)
    assert err.value.key == "error.pickup.future_date"
    assert [r.code for r in recent] == [lot.code]


@pytest.mark.parametrize(("moment", "paris_day"), NIGHTS)
def test_builds_are_dated_in_paris(engine, utc_server, moment, paris_day):
    lead = factories.user(engine, Role.lead)
    with utc_server(moment):
        crates = factories.crates_in_stock(engine, lead, n=1, on=date(2026, 1, 2))
        build = factories.build(engine, lead)
        with db.write_session(engine) as session:
            builds.attach_crate(session=session, actor=lead, build_id=build.id, text=crates[0])
        with db.write_session(engine) as session:
            done = builds.set_status(
                session=session, actor=lead, build_id=build.id, status=BuildStatus.finished
            )
        with db.read_session(engine) as session:
            listed = builds.list_builds(session=session, actor=lead)
        with pytest.raises(InvalidInput), db.write_session(engine) as session:
            builds.set_status(
                session=session,
                actor=lead,
                build_id=build.id,
                status=BuildStatus.installed,
                destination="École",
                on=paris_day + timedelta(days=1),
            )
    assert done.started_on == paris_day and done.finished_on == paris_day
    assert listed[0].created_on == paris_day


@pytest.mark.parametrize(("moment", "paris_day"), NIGHTS)
def test_a_venue_figure_for_the_paris_month_is_accepted(engine, utc_server, moment, paris_day):
    lead = factories.user(engine, Role.lead)
    with db.read_session(engine) as session:
        venue = session.exec(select(Venue).where(~Venue.own)).first()
        listed = venues.list_venues(session=session, actor=lead, typed_only=True)
    metric = next(v for v in listed if v.venue.id == venue.id).metrics[0]
    with utc_server(moment):
        with db.write_session(engine) as session:
            venues.record_month(
                session=session,
                actor=lead,
                venue_id=venue.id,
                month=paris_day,
                figures={metric.id: 12.0},
            )
        with pytest.raises(InvalidInput) as err, db.write_session(engine) as session:
            venues.record_month(
                session=session,
                actor=lead,
                venue_id=venue.id,
                month=dates.add_months(paris_day, 1),
                figures={metric.id: 12.0},
            )
    assert err.value.key == "error.venues.future_month"


@pytest.mark.parametrize(("moment", "paris_day"), NIGHTS)
def test_hours_clocked_in_count_on_the_paris_day(engine, utc_server, moment, paris_day):
    trainee = factories.trainee(engine, start=date(2026, 1, 1))
    with utc_server(moment):
        with db.write_session(engine) as session:
            entry = hours.clock_in(
                session=session, trainee_id=trainee.id, activity=Activity.poncage
            )
        with db.read_session(engine) as session:
            state = hours.clock_state(session=session, trainee_id=trainee.id)
    assert entry.work_date == paris_day
    assert state.open_entry is not None and state.forgotten == []


def test_a_clock_out_across_the_october_change_counts_the_hour_lived_twice(engine):
    trainee = factories.trainee(engine, start=date(2026, 1, 1))
    start = datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # 02:30 CEST
    with db.write_session(engine) as session:
        hours.clock_in(session=session, trainee_id=trainee.id, activity=Activity.tri, now=start)
    with db.write_session(engine) as session:
        out = hours.clock_out(
            session=session, trainee_id=trainee.id, now=start + timedelta(hours=2)
        )  # 03:30 CET: two hours later, though the wall clock moved by one
    assert out.minutes == 120 and out.work_date == date(2026, 10, 25)


def test_the_public_summary_counts_the_paris_year(engine, utc_server, monkeypatch):
    monkeypatch.setenv("WORKSHOP_PUBLIC_SUMMARY", "on")
    lead = factories.user(engine, Role.lead)
    with utc_server(datetime(2026, 12, 31, 23, 30, tzinfo=UTC)):
        factories.lot(engine, lead, on=date(2027, 1, 1), counts=(10,))
        with db.read_session(engine) as session:
            summary = impact.public_summary(session=session)
    assert summary.this_year_kg == pytest.approx(12.0)  # 10 standard crates of 1.2 kg


@pytest.mark.parametrize(
    ("day", "hours_long"),
    [(date(2026, 3, 29), 23), (date(2026, 10, 25), 25), (date(2026, 11, 2), 24)],
)
def test_a_paris_day_lasts_23_24_or_25_hours(day, hours_long):
    start, end = dates.day_bounds(day)
    assert end - start == timedelta(hours=hours_long)
    assert dates.local(start).hour == 0 and dates.local(end).date() == day + timedelta(days=1)


@pytest.mark.parametrize(
    ("day", "n", "first", "same_day"),
    [
        (date(2026, 3, 31), 1, date(2026, 2, 1), date(2026, 2, 28)),
        (date(2026, 3, 31), 13, date(2025, 2, 1), date(2025, 2, 28)),
        (date(2028, 3, 31), 1, date(2028, 2, 1), date(2028, 2, 29)),
        (date(2026, 1, 15), 24, date(2024, 1, 1), date(2024, 1, 15)),
        (date(2026, 1, 15), -12, date(2027, 1, 1), date(2027, 1, 15)),
    ],
)
def test_month_arithmetic(day, n, first, same_day):
    assert dates.add_months(day, -n) == first
    assert dates.months_before(day, n) == same_day
    assert dates.month_bounds(day) == (day.replace(day=1), dates.add_months(day, 1))
    assert dates.month_end(first) == dates.add_months(first, 1) - timedelta(days=1)


def test_a_time_stored_without_offset_is_read_as_utc():
    naive = datetime(2026, 7, 1, 22, 30)
    assert dates.local(naive) == datetime(2026, 7, 2, 0, 30, tzinfo=dates.PARIS)


def test_one_earliest_day_for_every_date_the_app_takes():
    """dates.EARLIEST is the one rule for "before the workshop existed": no module keeps its own."""
    workshop = Path(dates.__file__).parent
    own_rule = re.compile(r"^\s*EARLIEST\w*\s*=|date\(2000, 1, 1\)", re.MULTILINE)
    others = [
        str(path.relative_to(workshop))
        for path in sorted(workshop.rglob("*.py"))
        if path.name != "dates.py" and own_rule.search(path.read_text(encoding="utf-8"))
    ]
    assert others == []
    assert dates.EARLIEST == date(2000, 1, 1)

"""hours.rules: quarter hours, the day's limit, overlaps, dates, contracts, forgotten clock-outs."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from tests import factories
from tests.factories import MONDAY, add_hours, at, hour_entries, trainee, write
from workshop import dates, hours
from workshop.errors import InvalidInput
from workshop.hours import rules
from workshop.models import Activity, HourEntry, HourSource, HourStatus, Role


def _entry(day: date, status: HourStatus) -> HourEntry:
    return HourEntry(
        trainee_id=1,
        work_date=day,
        start_at=at(day, 9),
        activity=Activity.tri,
        status=status,
        source=HourSource.clock,
    )


def test_a_clock_in_left_open_past_its_paris_day_is_a_forgotten_clock_out():
    clocked_in = _entry(MONDAY, HourStatus.open)
    tuesday_half_past_midnight = at(MONDAY + timedelta(days=1), 0, 30)
    # Still Monday in UTC (23:30): the day that counts is the Paris one.
    assert tuesday_half_past_midnight.astimezone(UTC).date() == MONDAY
    assert not rules.is_forgotten_clock_out(clocked_in, at(MONDAY, 23, 59))  # today
    assert rules.is_forgotten_clock_out(clocked_in, tuesday_half_past_midnight)  # yesterday
    assert rules.is_forgotten_clock_out(clocked_in, datetime(2026, 3, 9, 23, 30, tzinfo=UTC))
    for status in (HourStatus.submitted, HourStatus.approved, HourStatus.rejected):
        assert not rules.is_forgotten_clock_out(_entry(MONDAY, status), at(MONDAY, 23, 59))
        assert not rules.is_forgotten_clock_out(
            _entry(MONDAY, status), at(MONDAY + timedelta(7), 9)
        )
    # Without a moment, the Paris clock.
    today = dates.today()
    assert not hours.is_forgotten_clock_out(_entry(today, HourStatus.open))
    assert hours.is_forgotten_clock_out(_entry(today - timedelta(days=1), HourStatus.open))


def test_rounding():
    assert [hours.round_to_quarter(m) for m in (0, 7, 7.5, 8, 22, 23, 187, 188)] == [
        0,
        0,
        15,
        15,
        15,
        30,
        180,
        195,
    ]


@pytest.mark.parametrize(("minutes", "key"), [(20, "quarter"), (0, "minutes_positive")])
def test_quarter_hours_only(engine, minutes, key):
    lead = factories.user(engine, Role.lead)
    tr = trainee(engine)
    with pytest.raises(InvalidInput) as err:
        add_hours(engine, lead, tr, MONDAY, minutes)
    assert err.value.key == f"error.hours.{key}"
    for bad in (90.0, True, "60"):
        with pytest.raises(InvalidInput):
            add_hours(engine, lead, tr, MONDAY, bad)
    assert hour_entries(engine, tr.id) == []


def test_at_most_twelve_hours_a_day(engine):
    lead = factories.user(engine, Role.lead)
    tr = trainee(engine)
    add_hours(engine, lead, tr, MONDAY, 8 * 60)
    with pytest.raises(InvalidInput) as err:
        add_hours(engine, lead, tr, MONDAY, 4 * 60 + 15)
    assert err.value.key == "error.hours.day_limit"
    assert err.value.params == {"hours": 12, "already": timedelta(hours=8)}
    add_hours(engine, lead, tr, MONDAY, 4 * 60)  # exactly 12 h is fine
    with pytest.raises(InvalidInput):
        add_hours(engine, lead, tr, MONDAY + timedelta(days=1), 12 * 60 + 15)
    # Clocking in on a full day is refused too.
    with pytest.raises(InvalidInput) as err:
        write(engine, hours.clock_in, trainee_id=tr.id, activity="tri", now=at(MONDAY, 21))
    assert err.value.key == "error.hours.day_limit"


def test_no_overlapping_periods(engine):
    lead = factories.user(engine, Role.lead)
    tr = trainee(engine)
    add_hours(engine, lead, tr, MONDAY, 180, start=time(9, 0))
    with pytest.raises(InvalidInput) as err:
        add_hours(engine, lead, tr, MONDAY, 60, start=time(11, 0))
    assert err.value.key == "error.hours.overlap"
    assert err.value.params == {"start": time(9, 0), "end": time(12, 0)}
    add_hours(engine, lead, tr, MONDAY, 60, start=time(12, 0))  # touching is fine
    add_hours(engine, lead, tr, MONDAY, 60)  # a duration without times cannot overlap
    with pytest.raises(InvalidInput) as err:
        write(engine, hours.clock_in, trainee_id=tr.id, activity="tri", now=at(MONDAY, 10))
    assert err.value.key == "error.hours.overlap"
    # An open clock-in covers up to now.
    tuesday = MONDAY + timedelta(days=1)
    write(engine, hours.clock_in, trainee_id=tr.id, activity="tri", now=at(tuesday, 9))
    with pytest.raises(InvalidInput) as err:
        add_hours(engine, lead, tr, tuesday, 60, start=time(9, 30), now=at(tuesday, 11))
    assert err.value.key == "error.hours.overlap"


def test_period_past_midnight(engine):
    lead = factories.user(engine, Role.lead)
    tr = trainee(engine)
    with pytest.raises(InvalidInput) as err:
        add_hours(
            engine, lead, tr, MONDAY, 120, start=time(23, 0), now=at(MONDAY + timedelta(2), 9)
        )
    assert err.value.key == "error.hours.past_midnight"


def test_no_future_dates(engine):
    lead = factories.user(engine, Role.lead)
    tr = trainee(engine)
    with pytest.raises(InvalidInput) as err:
        add_hours(engine, lead, tr, MONDAY + timedelta(days=1), 60, now=at(MONDAY, 20))
    assert err.value.key == "error.hours.future"
    with pytest.raises(InvalidInput) as err:  # today, but ending after now
        add_hours(engine, lead, tr, MONDAY, 120, start=time(14, 0), now=at(MONDAY, 15))
    assert err.value.key == "error.hours.future"
    with pytest.raises(InvalidInput) as err:  # the real clock: next year
        write(
            engine,
            hours.record_hours,
            actor=lead,
            trainee_id=tr.id,
            fields=hours.EntryFields(
                work_date=dates.today() + timedelta(days=400), minutes=60, activity=Activity.tri
            ),
        )
    assert err.value.key == "error.hours.future"


def test_no_hours_outside_the_contract(engine):
    lead = factories.user(engine, Role.lead)
    tr = trainee(engine, start=date(2026, 2, 1), end=date(2026, 3, 31))
    for day in (date(2026, 1, 30), date(2026, 4, 1)):
        with pytest.raises(InvalidInput) as err:
            add_hours(engine, lead, tr, day, 60)
        assert err.value.key == "error.hours.outside_contract"
        assert err.value.params == {"start": date(2026, 2, 1), "end": date(2026, 3, 31)}
    add_hours(engine, lead, tr, date(2026, 3, 31), 60)

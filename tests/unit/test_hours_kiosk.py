"""hours.kiosk: the shop-floor tablet, nobody signed in: badge, PIN, the clock, hours typed."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlmodel import select

from tests import factories
from tests.factories import MONDAY, PIN, at, hour_entries, read, trainee, write
from workshop import accounts, codes, dates, db, hours
from workshop.errors import (
    AuthenticationFailed,
    InvalidInput,
    NotFound,
    TooManyAttempts,
    WrongCodeKind,
)
from workshop.models import Activity, AuditEvent, HourSource, HourStatus, Role


def test_badge_identifies_the_trainee(engine):
    tr = trainee(engine)
    found = read(engine, hours.identify_badge, text=codes.url_for(tr.badge_code), now=at(MONDAY, 9))
    assert found.id == tr.id
    found = read(engine, hours.identify_badge, text=codes.format_code(tr.badge_code).lower())
    assert found.id == tr.id


def test_badge_of_an_ended_contract_is_refused_politely(engine):
    tr = trainee(engine, end=date(2026, 2, 28))
    with pytest.raises(InvalidInput) as err:
        read(engine, hours.identify_badge, text=tr.badge_code, now=at(MONDAY, 9))
    assert err.value.key == "error.hours.contract_ended"
    assert err.value.params == {"name": "Awa D."}
    late = trainee(engine, name="Bob", start=date(2026, 4, 1))
    with pytest.raises(InvalidInput) as err:
        read(engine, hours.identify_badge, text=late.badge_code, now=at(MONDAY, 9))
    assert err.value.key == "error.hours.contract_not_started"


def test_unknown_badge_and_wrong_kind(engine):
    with pytest.raises(NotFound) as err:
        read(engine, hours.identify_badge, text=codes.mint("B"))
    assert err.value.key == "error.hours.unknown_badge"
    with pytest.raises(WrongCodeKind):
        read(engine, hours.identify_badge, text=codes.mint("C"))


def test_pin_and_its_limit(engine):
    tr = trainee(engine)
    nine = at(MONDAY, 9)
    assert [t.id for t in read(engine, hours.pin_trainees, now=nine)] == [tr.id]
    assert write(engine, hours.identify_pin, trainee_id=tr.id, pin=PIN, now=nine).id
    for n in range(accounts.FREE_TRIES):
        with pytest.raises(AuthenticationFailed) as err:
            write(engine, hours.identify_pin, trainee_id=tr.id, pin="0000", now=nine)
        assert err.value.key == "error.hours.wrong_pin", n
    # The right PIN is refused (not even checked) until the wait is over.
    with pytest.raises(TooManyAttempts) as err:
        write(engine, hours.identify_pin, trainee_id=tr.id, pin=PIN, now=nine)
    assert err.value.key == "error.auth.pin_throttled"
    assert err.value.params == {"seconds": 60, "minutes": 1}
    later = nine + timedelta(seconds=61)
    assert write(engine, hours.identify_pin, trainee_id=tr.id, pin=PIN, now=later).id
    with db.read_session(engine) as session:
        actions = [
            e.action
            for e in session.exec(select(AuditEvent).where(AuditEvent.entity == "trainee_pin"))
        ]
    assert actions == ["sign_in", *["sign_in_failed"] * accounts.FREE_TRIES, "sign_in"]


def test_clock_in_then_out_rounds_to_the_quarter(engine):
    tr = trainee(engine)
    entry = write(
        engine,
        hours.clock_in,
        trainee_id=tr.id,
        activity=Activity.demontage,
        now=at(MONDAY, 9, 2),
    )
    assert entry.status == HourStatus.open and entry.minutes == 0
    state = read(engine, hours.clock_state, trainee_id=tr.id, now=at(MONDAY, 10))
    assert state.open_entry is not None and state.open_entry.id == entry.id
    with pytest.raises(InvalidInput) as err:
        write(engine, hours.clock_in, trainee_id=tr.id, activity="tri", now=at(MONDAY, 10))
    assert err.value.key == "error.hours.already_in" and err.value.params == {"time": time(9, 2)}
    done = write(engine, hours.clock_out, trainee_id=tr.id, now=at(MONDAY, 12, 10))
    assert done.minutes == 3 * 60 + 15  # 3 h 08 -> 3 h 15 (nearest quarter)
    assert done.status == HourStatus.submitted and done.source == HourSource.clock
    assert dates.local(done.end_at).strftime("%H:%M") == "12:10"
    with pytest.raises(InvalidInput) as err:
        write(engine, hours.clock_out, trainee_id=tr.id, now=at(MONDAY, 13))
    assert err.value.key == "error.hours.not_in"


def test_clock_out_too_short(engine):
    tr = trainee(engine)
    write(engine, hours.clock_in, trainee_id=tr.id, activity="tri", now=at(MONDAY, 9))
    with pytest.raises(InvalidInput) as err:
        write(engine, hours.clock_out, trainee_id=tr.id, now=at(MONDAY, 9, 7))
    assert err.value.key == "error.hours.too_short"
    assert hour_entries(engine, tr.id)[0].status == HourStatus.open  # still clocked in


def test_clock_in_with_a_build_code(engine):
    tr = trainee(engine)
    with pytest.raises(NotFound) as err:
        write(
            engine,
            hours.clock_in,
            trainee_id=tr.id,
            activity="assemblage",
            build_code=codes.mint("M"),
            now=at(MONDAY, 9),
        )
    assert err.value.key == "error.hours.unknown_build"
    with pytest.raises(WrongCodeKind):
        write(
            engine,
            hours.clock_in,
            trainee_id=tr.id,
            activity="assemblage",
            build_code=codes.mint("C"),
            now=at(MONDAY, 9),
        )
    assert hour_entries(engine, tr.id) == []  # nothing half-written


def test_times_are_stored_in_utc(engine):
    tr = trainee(engine)
    write(engine, hours.clock_in, trainee_id=tr.id, activity="tri", now=at(MONDAY, 9))
    stored = hour_entries(engine, tr.id)[0].start_at
    assert stored.utcoffset() == timedelta(0) and stored == datetime(2026, 3, 9, 8, tzinfo=UTC)


def test_hours_typed_on_the_tablet(engine):
    lead = factories.user(engine, Role.lead)
    tr = trainee(engine)
    bench = factories.build(engine, lead)
    fields = hours.EntryFields(
        work_date=MONDAY, minutes=150, activity=Activity.assemblage, build_code=bench.code
    )
    entry = write(
        engine, hours.shop_floor_hours, trainee_id=tr.id, fields=fields, now=at(MONDAY, 18)
    )
    assert (entry.minutes, entry.activity, entry.build_id) == (150, Activity.assemblage, bench.id)
    assert (entry.status, entry.source) == (HourStatus.submitted, HourSource.shop_floor)
    assert entry.created_by_id is None and entry.start_at is None
    with pytest.raises(InvalidInput) as err:  # the rules are the same as anywhere
        write(
            engine,
            hours.shop_floor_hours,
            trainee_id=tr.id,
            fields=hours.EntryFields(work_date=MONDAY, minutes=20, activity=Activity.tri),
            now=at(MONDAY, 18),
        )
    assert err.value.key == "error.hours.quarter"
    ended = trainee(engine, name="Bob", end=date(2026, 2, 28))
    with pytest.raises(InvalidInput) as err:
        write(
            engine, hours.shop_floor_hours, trainee_id=ended.id, fields=fields, now=at(MONDAY, 18)
        )
    assert err.value.key == "error.hours.contract_ended"
    assert hour_entries(engine, ended.id) == []

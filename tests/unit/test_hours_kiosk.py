"""hours.kiosk: the shop-floor tablet, nobody signed in: badge, PIN, the clock, hours typed."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlmodel import col, select

from tests import factories
from tests.factories import MONDAY, PIN, at, hour_entries, read, trainee, write
from workshop import codes, dates, db, hours, i18n, throttles
from workshop.errors import (
    AuthenticationFailed,
    InvalidInput,
    NotFound,
    TooManyAttempts,
    WrongCodeKind,
)
from workshop.hours.kiosk import KIOSK_FREE_TRIES
from workshop.models import Activity, AuditEvent, HourSource, HourStatus, Role

KIOSK = "192.0.2.10"  # the shop-floor tablet's address
OTHER_KIOSK = "192.0.2.11"


def badge(engine, text: str, now=None, client: str = KIOSK):
    """A badge scanned on a tablet (the call opens its own transactions)."""
    return hours.identify_badge(engine=engine, text=text, client=client, now=now)


def pin(engine, trainee_id: int, typed: str, now=None, client: str = KIOSK):
    """A name tapped and a PIN typed on a tablet."""
    return hours.identify_pin(
        engine=engine, trainee_id=trainee_id, pin=typed, client=client, now=now
    )


def test_badge_identifies_the_trainee(engine):
    tr = trainee(engine)
    found = badge(engine, codes.url_for(tr.badge_code), now=at(MONDAY, 9))
    assert found.id == tr.id
    found = badge(engine, codes.format_code(tr.badge_code).lower())
    assert found.id == tr.id


def test_badge_of_an_ended_contract_is_refused_politely(engine):
    tr = trainee(engine, end=date(2026, 2, 28))
    with pytest.raises(InvalidInput) as err:
        badge(engine, tr.badge_code, now=at(MONDAY, 9))
    assert err.value.key == "error.hours.contract_ended"
    assert err.value.params == {"name": "Awa D."}
    late = trainee(engine, name="Bob", start=date(2026, 4, 1))
    with pytest.raises(InvalidInput) as err:
        badge(engine, late.badge_code, now=at(MONDAY, 9))
    assert err.value.key == "error.hours.contract_not_started"


def test_unknown_badge_and_wrong_kind(engine):
    with pytest.raises(NotFound) as err:
        badge(engine, codes.mint("B"))
    assert err.value.key == "error.hours.unknown_badge"
    # A crate's code, a mistyped badge (its check character wrong), any text: plain words.
    mistyped = codes.mint("B")
    mistyped = mistyped[:-1] + next(c for c in codes.ALPHABET if c != mistyped[-1])
    for text in (codes.mint("C"), mistyped, "bonjour"):
        with pytest.raises(InvalidInput) as err:
            badge(engine, text)
        assert err.value.key == "error.hours.unknown_badge"
    assert i18n.translate("error.hours.unknown_badge") == (
        "Ce badge n'est pas reconnu, réessaie ou demande à ton encadrant·e."
    )


def _kiosk_events(engine) -> list[tuple[str, str, str]]:
    with db.read_session(engine) as session:
        found = session.exec(
            select(AuditEvent)
            .where(col(AuditEvent.entity).in_(["trainee_pin", "badge"]))
            .order_by(AuditEvent.id)
        )
        return [(e.entity, e.action, e.client) for e in found]


def test_pin_and_its_limit(engine):
    tr = trainee(engine)
    nine = at(MONDAY, 9)
    assert [t.id for t in read(engine, hours.pin_trainees, now=nine)] == [tr.id]
    assert pin(engine, tr.id, PIN, nine).id
    for n in range(throttles.FREE_TRIES):
        with pytest.raises(AuthenticationFailed) as err:
            pin(engine, tr.id, "0000", nine)
        assert err.value.key == "error.hours.wrong_pin", n
    # The right PIN is refused (not even checked) until the wait is over.
    with pytest.raises(TooManyAttempts) as err:
        pin(engine, tr.id, PIN, nine)
    assert err.value.key == "error.auth.pin_throttled"
    assert err.value.params == {"seconds": 60, "minutes": 1}
    later = nine + timedelta(seconds=61)
    assert pin(engine, tr.id, PIN, later).id
    actions = [action for _, action, _ in _kiosk_events(engine)]
    assert actions == ["sign_in", *["sign_in_failed"] * throttles.FREE_TRIES, "sign_in"]


def test_unknown_badges_are_throttled_per_tablet(engine):
    """Hardening 8: badges guessed on a tablet (548 in 30 s before)."""
    tr = trainee(engine)
    nine = at(MONDAY, 9)
    for _ in range(KIOSK_FREE_TRIES):
        with pytest.raises(NotFound):
            badge(engine, codes.mint("B"), nine)
    with pytest.raises(TooManyAttempts) as err:  # even a real badge, not even looked up
        badge(engine, tr.badge_code, nine)
    assert err.value.key == "error.auth.pin_throttled"
    with pytest.raises(TooManyAttempts):  # nor a PIN on that tablet
        pin(engine, tr.id, PIN, nine)
    # Another tablet is not slowed down; a misread code is not a guess.
    assert badge(engine, tr.badge_code, nine, client=OTHER_KIOSK).id == tr.id
    with pytest.raises(InvalidInput):
        badge(engine, codes.mint("C"), nine, client=OTHER_KIOSK)
    assert badge(engine, tr.badge_code, nine + timedelta(seconds=61)).id == tr.id
    logged = _kiosk_events(engine)
    assert logged == [("badge", "sign_in_failed", KIOSK)] * KIOSK_FREE_TRIES


def test_a_trainees_success_does_not_wipe_pin_failures_from_another_tablet(engine):
    """Hardening 8: the trainee's own sign-in used to give the guesser a fresh count."""
    awa = trainee(engine)
    nine = at(MONDAY, 9)
    for _ in range(throttles.FREE_TRIES - 1):
        with pytest.raises(AuthenticationFailed):
            pin(engine, awa.id, "0000", nine)
    assert pin(engine, awa.id, PIN, nine, client=OTHER_KIOSK).id == awa.id
    with pytest.raises(AuthenticationFailed):
        pin(engine, awa.id, "1111", nine)  # the fifth failure on the guesser's tablet
    with pytest.raises(TooManyAttempts):
        pin(engine, awa.id, "2222", nine)
    # Awa herself still gets in where nobody failed for her.
    assert pin(engine, awa.id, PIN, nine, client=OTHER_KIOSK).id == awa.id


def test_one_tablet_guessing_many_pins_is_throttled(engine):
    people = [trainee(engine, name=f"T{n}") for n in range(3)]
    nine = at(MONDAY, 9)
    for n in range(KIOSK_FREE_TRIES):  # never more than 4 on one trainee
        with pytest.raises(AuthenticationFailed):
            pin(engine, people[n % 3].id, "0000", nine)
    with pytest.raises(TooManyAttempts):
        pin(engine, people[0].id, PIN, nine)
    assert pin(engine, people[0].id, PIN, nine, client=OTHER_KIOSK).id == people[0].id


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

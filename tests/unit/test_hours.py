"""Trainee hours: trainees and badges, the clock, every rule, approval, reports, retention."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta

import pytest
from alembic import command
from sqlalchemy import inspect as sa_inspect
from sqlalchemy import text
from sqlmodel import func, select

from tests import factories
from workshop import accounts, builds, cli, codes, config, dates, db, hours, impact, schema
from workshop.errors import (
    AuthenticationFailed,
    InvalidInput,
    NotFound,
    PermissionDenied,
    TooManyAttempts,
    WrongCodeKind,
)
from workshop.models import (
    Activity,
    AuditEvent,
    HourEntry,
    HourSource,
    HourStatus,
    Programme,
    Role,
    Trainee,
    User,
    WeekApproval,
)

PARIS = dates.PARIS
PIN = "4321"
# Hashed once: argon2 is slow on purpose.
_PIN_HASH = hours.hash_pin(PIN)
MONDAY = date(2026, 3, 9)  # a week well in the past


def at(day: date, hh: int, mm: int = 0) -> datetime:
    """A Paris local time as an aware datetime."""
    return datetime.combine(day, time(hh, mm), PARIS)


def trainee(
    engine,
    *,
    name: str = "Awa",
    programme: int = 0,
    start: date = date(2026, 1, 1),
    end: date | None = None,
    pin: bool = True,
    user_id: int | None = None,
) -> Trainee:
    """A trainee of the `programme`-th seeded programme, with PIN `PIN`."""
    with db.write_session(engine) as session:
        progs = hours.programmes(session=session)
        tr = Trainee(
            display_name=f"{name} D.",
            programme_id=progs[programme].id or 0,
            start_date=start,
            end_date=end,
            badge_code=codes.mint("B"),
            pin_hash=_PIN_HASH if pin else "",
            user_id=user_id,
        )
        session.add(tr)
        session.flush()
        return tr


def write(engine, action, **kwargs):
    """One domain write in its own transaction."""
    with db.write_session(engine) as session:
        return action(session=session, **kwargs)


def read(engine, action, **kwargs):
    """One domain read."""
    with db.read_session(engine) as session:
        return action(session=session, **kwargs)


def entries(engine, trainee_id: int) -> list[HourEntry]:
    with db.read_session(engine) as session:
        return list(session.exec(select(HourEntry).where(HourEntry.trainee_id == trainee_id)))


def add(engine, actor, tr, day, minutes, *, start=None, activity=Activity.poncage, **kw):
    """Hours entered by `actor`, as if it were `day` 20:00 (or kw['now'])."""
    now = kw.pop("now", at(day, 20))
    return write(
        engine,
        hours.record_hours,
        actor=actor,
        trainee_id=tr.id,
        work_date=day,
        minutes=minutes,
        activity=activity,
        start=start,
        now=now,
        **kw,
    )


# --- programmes, trainees, badges ---------------------------------------------------------


def test_programmes_are_seeded_once(engine):
    hours_names = [p.name for p in read(engine, hours.programmes)]
    assert hours_names == [name for name, _ in hours.PROGRAMMES]
    write(engine, hours.seed_programmes)
    with db.read_session(engine) as session:
        assert session.exec(select(func.count()).select_from(Programme)).one() == 3


def test_create_trainee_with_badge_and_pin(engine):
    lead = factories.user(engine, Role.lead)
    progs = read(engine, hours.programmes)
    tr = write(
        engine,
        hours.create_trainee,
        actor=lead,
        first_name="  Awa ",
        last_initial="d",
        programme_id=progs[1].id,
        start_date=date(2026, 1, 5),
        pin="0042",
        consent_name=True,
    )
    assert tr.display_name == "Awa D."
    assert codes.kind_of(tr.badge_code) == "B" and codes.is_valid(tr.badge_code)
    assert tr.pin_hash.startswith("$argon2") and "0042" not in tr.pin_hash
    with db.read_session(engine) as session:
        event = session.exec(select(AuditEvent).where(AuditEvent.entity == "trainee")).one()
    assert "Awa" not in event.after and "pin_hash" not in event.after  # no name in the log


@pytest.mark.parametrize(
    ("changes", "key"),
    [
        ({"first_name": " "}, "error.hours.first_name_empty"),
        ({"first_name": "A" * 41}, "error.hours.first_name_long"),
        ({"last_initial": "Do"}, "error.hours.initial"),
        ({"last_initial": "1"}, "error.hours.initial"),
        ({"end_date": date(2025, 12, 1)}, "error.hours.end_before_start"),
        ({"pin": "12a4"}, "error.hours.pin_format"),
        ({"pin": "12345"}, "error.hours.pin_format"),
        ({"programme_id": 999}, "error.hours.unknown_programme"),
    ],
)
def test_create_trainee_bad_input(engine, changes, key):
    lead = factories.user(engine, Role.lead)
    progs = read(engine, hours.programmes)
    fields = {
        "first_name": "Awa",
        "last_initial": "D",
        "programme_id": progs[0].id,
        "start_date": date(2026, 1, 1),
        **changes,
    }
    with pytest.raises(InvalidInput) as err:
        write(engine, hours.create_trainee, actor=lead, **fields)
    assert err.value.key == key
    with db.read_session(engine) as session:
        assert session.exec(select(func.count()).select_from(Trainee)).one() == 0


@pytest.mark.parametrize("role", [Role.trainee, Role.market_manager])
def test_only_leads_and_admins_manage_trainees(engine, role):
    someone = factories.user(engine, role)
    progs = read(engine, hours.programmes)
    with pytest.raises(PermissionDenied):
        write(
            engine,
            hours.create_trainee,
            actor=someone,
            first_name="Awa",
            last_initial="D",
            programme_id=progs[0].id,
            start_date=date(2026, 1, 1),
        )


def test_link_to_a_sign_in_account(engine):
    lead = factories.user(engine, Role.lead)
    account = factories.user(engine, Role.trainee)
    first = trainee(engine, user_id=account.id)
    second = trainee(engine, name="Bob")
    common = {
        "actor": lead,
        "trainee_id": second.id,
        "programme_id": second.programme_id,
        "start_date": second.start_date,
        "end_date": None,
        "consent_name": False,
        "consent_photo": False,
    }
    with pytest.raises(InvalidInput) as err:
        write(engine, hours.update_trainee, user_id=account.id, **common)
    assert err.value.key == "error.hours.link_taken"
    with pytest.raises(InvalidInput) as err:
        write(engine, hours.update_trainee, user_id=lead.id, **common)
    assert err.value.key == "error.hours.link_not_trainee"
    assert read(engine, hours.linked_trainee, actor=account).id == first.id


def test_contract_change_keeps_existing_hours_inside(engine):
    lead = factories.user(engine, Role.lead)
    tr = trainee(engine)
    add(engine, lead, tr, date(2026, 2, 10), 120)
    with pytest.raises(InvalidInput) as err:
        write(
            engine,
            hours.update_trainee,
            actor=lead,
            trainee_id=tr.id,
            programme_id=tr.programme_id,
            start_date=tr.start_date,
            end_date=date(2026, 1, 31),
            consent_name=False,
            consent_photo=False,
            user_id=None,
        )
    assert err.value.key == "error.hours.entries_outside_contract"


def test_new_badge_and_pin_removal(engine):
    lead = factories.user(engine, Role.lead)
    tr = trainee(engine)
    updated = write(
        engine,
        hours.update_trainee,
        actor=lead,
        trainee_id=tr.id,
        programme_id=tr.programme_id,
        start_date=tr.start_date,
        end_date=None,
        consent_name=True,
        consent_photo=True,
        user_id=None,
        pin="",
        new_badge=True,
    )
    assert updated.badge_code != tr.badge_code and updated.pin_hash == ""
    with pytest.raises(NotFound):
        read(engine, hours.identify_badge, text=tr.badge_code, now=at(MONDAY, 9))


# --- identifying at the tablet ------------------------------------------------------------


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


# --- the clock --------------------------------------------------------------------------


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


def test_clock_out_too_short(engine):
    tr = trainee(engine)
    write(engine, hours.clock_in, trainee_id=tr.id, activity="tri", now=at(MONDAY, 9))
    with pytest.raises(InvalidInput) as err:
        write(engine, hours.clock_out, trainee_id=tr.id, now=at(MONDAY, 9, 7))
    assert err.value.key == "error.hours.too_short"
    assert entries(engine, tr.id)[0].status == HourStatus.open  # still clocked in


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
    assert entries(engine, tr.id) == []  # nothing half-written


def test_forgotten_clock_out_is_flagged_never_counted(engine):
    lead = factories.user(engine, Role.lead)
    tr = trainee(engine)
    write(engine, hours.clock_in, trainee_id=tr.id, activity="tri", now=at(MONDAY, 9))
    tuesday = MONDAY + timedelta(days=1)
    with pytest.raises(InvalidInput) as err:
        write(engine, hours.clock_out, trainee_id=tr.id, now=at(tuesday, 17))
    assert err.value.key == "error.hours.forgot_clock_out"
    assert err.value.params == {"day": date(2026, 3, 9)}
    state = read(engine, hours.clock_state, trainee_id=tr.id, now=at(tuesday, 8))
    assert state.forgotten == [MONDAY] and state.open_entry is None
    # The next day works as usual.
    write(engine, hours.clock_in, trainee_id=tr.id, activity="tri", now=at(tuesday, 9))
    write(engine, hours.clock_out, trainee_id=tr.id, now=at(tuesday, 12))
    todo = read(engine, hours.pending, actor=lead, now=at(tuesday, 20))
    assert [(p.trainee_id, p.forgotten, p.submitted_minutes) for p in todo] == [
        (tr.id, [MONDAY], 180)
    ]
    report = read(
        engine, hours.monthly_report, actor=lead, programme_id=tr.programme_id, month=MONDAY
    )
    assert report.rows[0].total == 0 and report.rows[0].forgotten == 1
    with pytest.raises(InvalidInput) as err:
        write(engine, hours.approve_week, actor=lead, trainee_id=tr.id, week=MONDAY)
    assert err.value.key == "error.hours.week_has_open"
    forgotten = next(e for e in entries(engine, tr.id) if e.status == HourStatus.open)
    fixed = write(
        engine,
        hours.correct_entry,
        actor=lead,
        entry_id=forgotten.id,
        minutes=4 * 60,
        activity=Activity.tri,
        reason="Sortie à 13 h, vue avec Awa",
    )
    assert fixed.status == HourStatus.submitted
    assert dates.local(fixed.end_at).strftime("%H:%M") == "13:00"
    write(engine, hours.approve_week, actor=lead, trainee_id=tr.id, week=MONDAY)
    report = read(
        engine, hours.monthly_report, actor=lead, programme_id=tr.programme_id, month=MONDAY
    )
    assert report.rows[0].total == 7 * 60


# --- the rules ------------------------------------------------------------------------


@pytest.mark.parametrize(("minutes", "key"), [(20, "quarter"), (0, "minutes_positive")])
def test_quarter_hours_only(engine, minutes, key):
    lead = factories.user(engine, Role.lead)
    tr = trainee(engine)
    with pytest.raises(InvalidInput) as err:
        add(engine, lead, tr, MONDAY, minutes)
    assert err.value.key == f"error.hours.{key}"
    for bad in (90.0, True, "60"):
        with pytest.raises(InvalidInput):
            add(engine, lead, tr, MONDAY, bad)
    assert entries(engine, tr.id) == []


def test_at_most_twelve_hours_a_day(engine):
    lead = factories.user(engine, Role.lead)
    tr = trainee(engine)
    add(engine, lead, tr, MONDAY, 8 * 60)
    with pytest.raises(InvalidInput) as err:
        add(engine, lead, tr, MONDAY, 4 * 60 + 15)
    assert err.value.key == "error.hours.day_limit"
    assert err.value.params == {"hours": 12, "already": timedelta(hours=8)}
    add(engine, lead, tr, MONDAY, 4 * 60)  # exactly 12 h is fine
    with pytest.raises(InvalidInput):
        add(engine, lead, tr, MONDAY + timedelta(days=1), 12 * 60 + 15)
    # Clocking in on a full day is refused too.
    with pytest.raises(InvalidInput) as err:
        write(engine, hours.clock_in, trainee_id=tr.id, activity="tri", now=at(MONDAY, 21))
    assert err.value.key == "error.hours.day_limit"


def test_no_overlapping_periods(engine):
    lead = factories.user(engine, Role.lead)
    tr = trainee(engine)
    add(engine, lead, tr, MONDAY, 180, start=time(9, 0))
    with pytest.raises(InvalidInput) as err:
        add(engine, lead, tr, MONDAY, 60, start=time(11, 0))
    assert err.value.key == "error.hours.overlap"
    assert err.value.params == {"start": time(9, 0), "end": time(12, 0)}
    add(engine, lead, tr, MONDAY, 60, start=time(12, 0))  # touching is fine
    add(engine, lead, tr, MONDAY, 60)  # a duration without times cannot overlap
    with pytest.raises(InvalidInput) as err:
        write(engine, hours.clock_in, trainee_id=tr.id, activity="tri", now=at(MONDAY, 10))
    assert err.value.key == "error.hours.overlap"
    # An open clock-in covers up to now.
    tuesday = MONDAY + timedelta(days=1)
    write(engine, hours.clock_in, trainee_id=tr.id, activity="tri", now=at(tuesday, 9))
    with pytest.raises(InvalidInput) as err:
        add(engine, lead, tr, tuesday, 60, start=time(9, 30), now=at(tuesday, 11))
    assert err.value.key == "error.hours.overlap"


def test_period_past_midnight(engine):
    lead = factories.user(engine, Role.lead)
    tr = trainee(engine)
    with pytest.raises(InvalidInput) as err:
        add(engine, lead, tr, MONDAY, 120, start=time(23, 0), now=at(MONDAY + timedelta(2), 9))
    assert err.value.key == "error.hours.past_midnight"


def test_no_future_dates(engine):
    lead = factories.user(engine, Role.lead)
    tr = trainee(engine)
    with pytest.raises(InvalidInput) as err:
        add(engine, lead, tr, MONDAY + timedelta(days=1), 60, now=at(MONDAY, 20))
    assert err.value.key == "error.hours.future"
    with pytest.raises(InvalidInput) as err:  # today, but ending after now
        add(engine, lead, tr, MONDAY, 120, start=time(14, 0), now=at(MONDAY, 15))
    assert err.value.key == "error.hours.future"
    with pytest.raises(InvalidInput) as err:  # the real clock: next year
        write(
            engine,
            hours.record_hours,
            actor=lead,
            trainee_id=tr.id,
            work_date=dates.today() + timedelta(days=400),
            minutes=60,
            activity=Activity.tri,
        )
    assert err.value.key == "error.hours.future"


def test_no_hours_outside_the_contract(engine):
    lead = factories.user(engine, Role.lead)
    tr = trainee(engine, start=date(2026, 2, 1), end=date(2026, 3, 31))
    for day in (date(2026, 1, 30), date(2026, 4, 1)):
        with pytest.raises(InvalidInput) as err:
            add(engine, lead, tr, day, 60)
        assert err.value.key == "error.hours.outside_contract"
        assert err.value.params == {"start": date(2026, 2, 1), "end": date(2026, 3, 31)}
    add(engine, lead, tr, date(2026, 3, 31), 60)


def test_approved_week_is_locked_except_for_an_admin_with_a_reason(engine):
    lead = factories.user(engine, Role.lead)
    admin = factories.user(engine, Role.admin)
    tr = trainee(engine)
    entry = add(engine, lead, tr, MONDAY, 120)
    lock = write(
        engine, hours.approve_week, actor=lead, trainee_id=tr.id, week=MONDAY + timedelta(3)
    )
    assert lock.week_start == MONDAY
    assert entries(engine, tr.id)[0].status == HourStatus.approved
    with pytest.raises(InvalidInput) as err:
        write(engine, hours.approve_week, actor=lead, trainee_id=tr.id, week=MONDAY)
    assert err.value.key == "error.hours.week_already_approved"
    with pytest.raises(InvalidInput) as err:
        add(engine, lead, tr, MONDAY + timedelta(days=2), 60)
    assert err.value.key == "error.hours.week_locked"
    assert err.value.params == {"week": date(2026, 3, 9)}
    for action, extra in (
        (hours.correct_entry, {"minutes": 60, "activity": Activity.tri}),
        (hours.reject_entry, {}),
    ):
        with pytest.raises(InvalidInput) as err:
            write(engine, action, actor=lead, entry_id=entry.id, reason="oubli", **extra)
        assert err.value.key == "error.hours.week_locked"
    with pytest.raises(InvalidInput) as err:  # the tablet cannot either
        write(
            engine,
            hours.clock_in,
            trainee_id=tr.id,
            activity="tri",
            now=at(MONDAY + timedelta(1), 9),
        )
    assert err.value.key == "error.hours.week_locked"
    with pytest.raises(InvalidInput) as err:
        add(engine, admin, tr, MONDAY + timedelta(days=2), 60)
    assert err.value.key == "error.hours.reason_required"
    added = add(engine, admin, tr, MONDAY + timedelta(days=2), 60, reason="Feuille papier")
    assert added.status == HourStatus.approved
    fixed = write(
        engine,
        hours.correct_entry,
        actor=admin,
        entry_id=entry.id,
        minutes=150,
        activity=Activity.tri,
        reason="Erreur de saisie",
    )
    assert fixed.status == HourStatus.approved and fixed.minutes == 150
    with db.read_session(engine) as session:
        events = session.exec(select(AuditEvent).where(AuditEvent.action == "correct")).all()
    assert [e.reason for e in events] == ["Erreur de saisie"]
    # Reopening: admin only, with a reason; the hours go back to "to approve".
    with pytest.raises(PermissionDenied):
        write(engine, hours.reopen_week, actor=lead, trainee_id=tr.id, week=MONDAY, reason="x")
    with pytest.raises(InvalidInput):
        write(engine, hours.reopen_week, actor=admin, trainee_id=tr.id, week=MONDAY, reason=" ")
    write(engine, hours.reopen_week, actor=admin, trainee_id=tr.id, week=MONDAY, reason="Revoir")
    assert {e.status for e in entries(engine, tr.id)} == {HourStatus.submitted}
    with db.read_session(engine) as session:
        assert session.exec(select(func.count()).select_from(WeekApproval)).one() == 0


def test_reject_needs_a_reason_and_no_longer_counts(engine):
    lead = factories.user(engine, Role.lead)
    tr = trainee(engine)
    entry = add(engine, lead, tr, MONDAY, 8 * 60)
    with pytest.raises(InvalidInput) as err:
        write(engine, hours.reject_entry, actor=lead, entry_id=entry.id, reason="  ")
    assert err.value.key == "error.hours.reason_required"
    write(engine, hours.reject_entry, actor=lead, entry_id=entry.id, reason="Absent ce jour-là")
    add(engine, lead, tr, MONDAY, 12 * 60)  # the rejected 8 h no longer fill the day
    with pytest.raises(InvalidInput) as err:
        write(engine, hours.reject_entry, actor=lead, entry_id=entry.id, reason="encore")
    assert err.value.key == "error.hours.already_rejected"
    with pytest.raises(InvalidInput):
        write(
            engine,
            hours.correct_entry,
            actor=lead,
            entry_id=entry.id,
            minutes=60,
            activity=Activity.tri,
            reason="",
        )


def test_a_correction_changes_the_build(engine):
    """The build is checked as when hours are entered; None keeps it, "" takes it away."""
    lead = factories.user(engine, Role.lead)
    tr = trainee(engine)
    bench, shelf = factories.build(engine, lead), factories.build(engine, lead)
    entry = add(engine, lead, tr, MONDAY, 120, build_code=bench.code)
    assert entry.build_id == bench.id

    def correct(**changes):
        return write(
            engine,
            hours.correct_entry,
            actor=lead,
            entry_id=entry.id,
            **{"minutes": 120, "activity": Activity.poncage, **changes},
        )

    fixed = correct(build_code=codes.format_code(shelf.code), reason="Mauvais meuble")
    assert fixed.build_id == shelf.id and fixed.minutes == 120
    unknown = codes.mint("M")
    with pytest.raises(NotFound) as err:
        correct(minutes=60, build_code=unknown, reason="Encore")
    assert err.value.key == "error.hours.unknown_build"
    assert err.value.params == {"code": codes.format_code(unknown)}
    with pytest.raises(WrongCodeKind):
        correct(minutes=60, build_code=codes.mint("C"), reason="Encore")
    (kept,) = entries(engine, tr.id)  # nothing half-written by the refusals
    assert (kept.build_id, kept.minutes, kept.reason) == (shelf.id, 120, "Mauvais meuble")
    assert correct(minutes=90, reason="Durée").build_id == shelf.id  # not given: kept
    assert correct(build_code="  ", reason="Pas de meuble").build_id is None
    with db.read_session(engine) as session:
        events = session.exec(
            select(AuditEvent).where(AuditEvent.action == "correct").order_by(AuditEvent.id)
        ).all()
    assert [e.reason for e in events] == ["Mauvais meuble", "Durée", "Pas de meuble"]
    first = events[0]
    assert json.loads(first.before)["build_id"] == bench.id
    assert json.loads(first.after)["build_id"] == shelf.id


def test_permissions_on_hours(engine):
    lead = factories.user(engine, Role.lead)
    account = factories.user(engine, Role.trainee)
    other_account = factories.user(engine, Role.trainee)
    manager = factories.user(engine, Role.market_manager)
    mine = trainee(engine, user_id=account.id)
    theirs = trainee(engine, name="Bob", user_id=other_account.id)
    own = add(engine, account, mine, MONDAY, 60)
    assert own.source == HourSource.self_service
    with pytest.raises(PermissionDenied):
        add(engine, account, theirs, MONDAY, 60)
    with pytest.raises(PermissionDenied):
        read(engine, hours.history, actor=account, trainee_id=theirs.id)
    with pytest.raises(PermissionDenied):
        write(engine, hours.approve_week, actor=account, trainee_id=mine.id, week=MONDAY)
    with pytest.raises(PermissionDenied):
        read(engine, hours.monthly_report, actor=manager, programme_id=1, month=MONDAY)
    with pytest.raises(PermissionDenied):
        read(engine, hours.linked_trainee, actor=lead)
    assert [e.id for e in read(engine, hours.history, actor=account, trainee_id=mine.id)] == [
        own.id
    ]


# --- reports --------------------------------------------------------------------------


def test_etp_on_a_hand_computed_month(engine):
    """February 2026, base 151,67 h: 140 h -> 0,9231 ETP; 35 h -> 0,2308; together 1,1538."""
    lead = factories.user(engine, Role.lead)
    awa = trainee(engine, name="Awa")
    bob = trainee(engine, name="Bob")
    other = trainee(engine, name="Cy", programme=1)
    days = [date(2026, 2, 1) + timedelta(days=i) for i in range(28)]
    weekdays = [d for d in days if d.weekday() < 5]  # 20 working days
    assert len(weekdays) == 20
    for day in weekdays:  # Awa: 7 h a day = 140 h
        add(engine, lead, awa, day, 4 * 60, activity=Activity.poncage, start=time(9))
        add(engine, lead, awa, day, 3 * 60, activity=Activity.assemblage, start=time(14))
        add(engine, lead, other, day, 60)
    for day in weekdays[:10]:  # Bob: 3 h 30 on 10 days = 35 h
        add(engine, lead, bob, day, 3 * 60 + 30, activity=Activity.tri)
    add(engine, lead, bob, date(2026, 3, 2), 60)  # March: not in February
    for monday in {dates.week_start(d) for d in days}:
        for tr in (awa, bob):
            write(engine, hours.approve_week, actor=lead, trainee_id=tr.id, week=monday)
    report = read(
        engine,
        hours.monthly_report,
        actor=lead,
        programme_id=awa.programme_id,
        month=date(2026, 2, 14),
        base_hours=151.67,
    )
    rows = {r.name: r for r in report.rows}
    assert set(rows) == {"Awa D.", "Bob D."}  # Cy is in another programme
    assert rows["Awa D."].total == 140 * 60
    assert rows["Awa D."].minutes == {Activity.poncage: 80 * 60, Activity.assemblage: 60 * 60}
    assert rows["Bob D."].total == 35 * 60 and rows["Bob D."].pending_minutes == 0
    assert round(report.etp(rows["Awa D."].total), 4) == 0.9231
    assert round(report.etp(rows["Bob D."].total), 4) == 0.2308
    assert round(report.etp(report.total), 4) == 1.1538
    assert report.by_activity()[Activity.tri] == 35 * 60


def test_unapproved_hours_are_not_reported(engine):
    lead = factories.user(engine, Role.lead)
    tr = trainee(engine)
    add(engine, lead, tr, MONDAY, 120)
    report = read(
        engine, hours.monthly_report, actor=lead, programme_id=tr.programme_id, month=MONDAY
    )
    assert report.total == 0 and report.rows[0].pending_minutes == 120


# --- the programme of the hours -------------------------------------------------------


def move(engine, actor, tr, programme: int) -> Trainee:
    """`actor` moves the trainee to the `programme`-th programme, as on the trainees page."""
    with db.read_session(engine) as session:
        target = hours.programmes(session=session)[programme].id
        now = session.get(Trainee, tr.id)
    return write(
        engine,
        hours.update_trainee,
        actor=actor,
        trainee_id=tr.id,
        programme_id=target,
        start_date=now.start_date,
        end_date=now.end_date,
        consent_name=now.consent_name,
        consent_photo=now.consent_photo,
        user_id=now.user_id,
    )


def _march(engine, actor, programme_id: int) -> dict[str, tuple[int, int]]:
    """March 2026 report of a programme: (approved, waiting) minutes per trainee."""
    report = read(
        engine, hours.monthly_report, actor=actor, programme_id=programme_id, month=MONDAY
    )
    return {r.name: (r.total, r.pending_minutes) for r in report.rows}


def test_hours_stay_in_the_programme_they_were_worked_under(engine):
    """A trainee moves from A to B: March's reports and the dashboard keep A's hours in A."""
    lead = factories.user(engine, Role.lead)
    admin = factories.user(engine, Role.admin)
    awa = trainee(engine)  # programme A
    bob = trainee(engine, name="Bob")  # stays in A
    with db.read_session(engine) as session:
        a, b = hours.programmes(session=session)[:2]
    add(engine, lead, awa, MONDAY, 6 * 60, start=time(9))
    add(engine, lead, bob, MONDAY, 2 * 60)
    write(
        engine, hours.clock_in, trainee_id=awa.id, activity="tri", now=at(MONDAY + timedelta(1), 9)
    )
    write(engine, hours.clock_out, trainee_id=awa.id, now=at(MONDAY + timedelta(1), 12))
    for tr in (awa, bob):
        write(engine, hours.approve_week, actor=lead, trainee_id=tr.id, week=MONDAY)

    moved = move(engine, lead, awa, 1)
    assert moved.programme_id == b.id
    later = MONDAY + timedelta(days=7)
    add(engine, lead, awa, later, 4 * 60, activity=Activity.assemblage)
    write(engine, hours.approve_week, actor=lead, trainee_id=awa.id, week=later)
    add(engine, lead, awa, later + timedelta(days=7), 60)  # waiting for approval, in B
    # An admin corrects an hour of A's time after the move: it stays in A.
    first = next(e for e in entries(engine, awa.id) if e.minutes == 6 * 60)
    fixed = write(
        engine,
        hours.correct_entry,
        actor=admin,
        entry_id=first.id,
        minutes=5 * 60,
        activity=Activity.poncage,
        reason="Parti à 14 h",
    )
    assert fixed.programme_id == a.id

    worked = sorted((e.work_date, e.minutes, e.programme_id) for e in entries(engine, awa.id))
    assert worked == [
        (MONDAY, 300, a.id),
        (MONDAY + timedelta(1), 180, a.id),  # the tablet's clock
        (later, 240, b.id),
        (later + timedelta(days=7), 60, b.id),
    ]
    assert _march(engine, lead, a.id) == {"Awa D.": (480, 0), "Bob D.": (120, 0)}
    assert _march(engine, lead, b.id) == {"Awa D.": (240, 60)}
    with db.read_session(engine) as session:
        data = impact.dashboard(
            session=session, actor=lead, start=date(2026, 1, 1), end=date(2026, 12, 31)
        )
        created = session.exec(
            select(AuditEvent).where(
                AuditEvent.action == "create", AuditEvent.entity == "hour_entry"
            )
        ).all()
    assert {(h.month, h.programme): h.hours for h in data.hours} == {
        (date(2026, 3, 1), a.name): 10.0,  # Awa 8 h + Bob 2 h
        (date(2026, 3, 1), b.name): 4.0,
    }
    assert {json.loads(e.after)["programme_id"] for e in created} == {a.id, b.id}


def test_a_pieces_passport_names_the_programme_its_hours_were_worked_under(engine):
    lead = factories.user(engine, Role.lead)
    awa = trainee(engine)
    build = factories.build(engine, lead)
    add(engine, lead, awa, MONDAY, 3 * 60, build_code=build.code)
    write(engine, hours.approve_week, actor=lead, trainee_id=awa.id, week=MONDAY)
    with db.read_session(engine) as session:
        a, b = hours.programmes(session=session)[:2]
    move(engine, lead, awa, 1)
    with db.read_session(engine) as session:
        spent, programmes, _ = builds.training(session=session, build_id=build.id)
    assert spent == 3.0 and [p.id for p in programmes] == [a.id] != [b.id]


def test_a_row_without_programme_counts_in_the_trainees(engine):
    """Rows written by hand in SQL have no programme: read as the trainee's current one."""
    lead = factories.user(engine, Role.lead)
    tr = trainee(engine, programme=1)
    with db.write_session(engine) as session:
        session.add(
            HourEntry(
                trainee_id=tr.id,
                work_date=MONDAY,
                minutes=90,
                activity=Activity.tri,
                status=HourStatus.approved,
                source=HourSource.staff,
            )
        )
    assert _march(engine, lead, tr.programme_id) == {"Awa D.": (90, 0)}
    with db.read_session(engine) as session:
        data = impact.dashboard(session=session, actor=lead, start=MONDAY, end=MONDAY)
        name = session.get(Programme, tr.programme_id).name
    assert [(h.programme, h.hours) for h in data.hours] == [(name, 1.5)]
    (entry,) = entries(engine, tr.id)
    fixed = write(
        engine,
        hours.correct_entry,
        actor=lead,
        entry_id=entry.id,
        minutes=90,
        activity=Activity.tri,
        reason="Fiche papier",
    )
    assert fixed.programme_id == tr.programme_id  # filled in by the correction


def test_migration_gives_the_rows_already_there_their_trainees_programme(engine):
    lead = factories.user(engine, Role.lead)
    awa = trainee(engine)
    bob = trainee(engine, name="Bob", programme=1)
    add(engine, lead, awa, MONDAY, 60)
    add(engine, lead, bob, MONDAY, 90)
    write(engine, hours.approve_week, actor=lead, trainee_id=awa.id, week=MONDAY)
    config = schema.alembic_config(engine)
    command.downgrade(config, "0007")
    with engine.connect() as conn:
        assert "programme_id" not in {c["name"] for c in sa_inspect(conn).get_columns("hourentry")}
    # Before 0008 a move took the past hours along: the trainee's programme is all we know.
    with db.write_session(engine) as session:
        session.execute(
            text("UPDATE trainee SET programme_id = :p WHERE id = :i"),
            {"p": bob.programme_id, "i": awa.id},
        )
    command.upgrade(config, "head")
    assert schema.current_revision(engine) == schema.head_revision(engine)
    got = {(e.trainee_id, e.minutes, e.status) for e in entries(engine, awa.id)}
    assert got == {(awa.id, 60, HourStatus.approved)}
    with db.read_session(engine) as session:
        rows = session.exec(select(HourEntry.trainee_id, HourEntry.programme_id)).all()
    assert sorted(rows) == sorted([(awa.id, bob.programme_id), (bob.id, bob.programme_id)])
    assert _march(engine, lead, bob.programme_id) == {"Awa D.": (60, 0), "Bob D.": (0, 90)}


def test_monthly_base_setting(monkeypatch):
    assert config.monthly_hours_base() == 151.67
    monkeypatch.setenv("WORKSHOP_MONTHLY_HOURS", "140,5")
    assert config.monthly_hours_base() == 140.5
    monkeypatch.setenv("WORKSHOP_MONTHLY_HOURS", "nonsense")
    assert config.monthly_hours_base() == 151.67


def test_pseudonym_is_keyed_and_stable(tmp_path, monkeypatch):
    monkeypatch.delenv("WORKSHOP_PSEUDONYM_KEY", raising=False)
    monkeypatch.setenv("WORKSHOP_DATA_DIR", str(tmp_path))
    first = hours.pseudonym(7)
    assert (tmp_path / "pseudonym.key").exists()
    assert hours.pseudonym(7) == first and len(first) == 12
    assert hours.pseudonym(8) != first
    monkeypatch.setenv("WORKSHOP_PSEUDONYM_KEY", "another key")
    assert hours.pseudonym(7) != first
    assert hours.pseudonym(7) == hours.pseudonym(7, b"another key")


# --- personal data ----------------------------------------------------------------------


def test_personal_data_export(engine):
    account = factories.user(engine, Role.trainee)
    tr = trainee(engine, user_id=account.id)
    write(engine, hours.clock_in, trainee_id=tr.id, activity="tri", now=at(MONDAY, 9))
    write(engine, hours.clock_out, trainee_id=tr.id, now=at(MONDAY, 12))
    data = read(engine, hours.personal_data, actor=account, trainee_id=tr.id)
    assert data["trainee"]["display_name"] == "Awa D." and data["trainee"]["has_pin"] is True
    assert data["hours"][0]["minutes"] == 180
    assert data["hours"][0]["start"] == "2026-03-09T09:00:00+01:00"
    assert "pin_hash" not in json.dumps(data) and _PIN_HASH not in json.dumps(data)


def test_purge_anonymises_after_the_retention_period(engine, monkeypatch):
    lead = factories.user(engine, Role.lead)
    account = factories.user(engine, Role.trainee, display_name="Awa Diallo")
    old = trainee(engine, name="Awa", end=date(2026, 3, 31), user_id=account.id)
    recent = trainee(engine, name="Bob", end=date(2026, 4, 1))
    current = trainee(engine, name="Cy")
    add(engine, lead, old, MONDAY, 120, reason="Awa était malade mardi")
    today = date(2028, 3, 31)  # 24 months after Awa's end, a day short of Bob's
    due = read(engine, hours.due_for_anonymisation, today=today, months=24)
    assert [t.id for t in due] == [old.id]
    done = write(engine, hours.anonymise_expired, actor=None, today=today, months=24)
    assert done == [old.id]
    with db.read_session(engine) as session:
        gone = session.get(Trainee, old.id)
        user = session.get(User, account.id)
        kept = [session.get(Trainee, recent.id), session.get(Trainee, current.id)]
        log = " ".join(e.before + e.after for e in session.exec(select(AuditEvent)))
    assert gone.display_name.startswith("#") and "Awa" not in gone.display_name
    assert gone.pin_hash == "" and gone.user_id is None and gone.anonymised_at is not None
    assert not user.active and "Awa" not in user.display_name
    assert [e.reason for e in entries(engine, old.id)] == [""]
    assert entries(engine, old.id)[0].minutes == 120  # the hours stay for the reports
    assert all(t.anonymised_at is None for t in kept)
    assert "Awa" not in log
    with pytest.raises(NotFound):
        read(engine, hours.identify_badge, text=old.badge_code)
    assert write(engine, hours.anonymise_expired, actor=None, today=today, months=24) == []
    with pytest.raises(PermissionDenied):
        write(engine, hours.anonymise_expired, actor=lead, today=today)


def test_purge_command(engine, capsys, monkeypatch):
    trainee(engine, end=date(2020, 1, 31))
    monkeypatch.setenv("WORKSHOP_RETENTION_MONTHS", "24")
    assert cli.main(["purge", "--dry-run"]) == 0
    assert "1 trainee(s) would be anonymised" in capsys.readouterr().out
    assert cli.main(["purge"]) == 0
    assert "1 trainee(s) anonymised (retention: 24 months)" in capsys.readouterr().out
    assert cli.main(["purge"]) == 0
    assert capsys.readouterr().out.startswith("0 trainee(s)")


def test_times_are_stored_in_utc(engine):
    tr = trainee(engine)
    write(engine, hours.clock_in, trainee_id=tr.id, activity="tri", now=at(MONDAY, 9))
    stored = entries(engine, tr.id)[0].start_at
    assert stored.utcoffset() == timedelta(0) and stored == datetime(2026, 3, 9, 8, tzinfo=UTC)


def test_dynamic_keys_exist():
    from workshop import i18n

    keys = [f"activity.{a.value}" for a in Activity]
    keys += [f"hour_status.{s.value}" for s in HourStatus]
    keys += [f"hour_source.{s.value}" for s in HourSource]
    for lang in i18n.LANGUAGES:
        assert [k for k in keys if k not in i18n.catalog(lang)] == []

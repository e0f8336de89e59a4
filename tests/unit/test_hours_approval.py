"""hours.approval: what waits for a lead, forgotten clock-outs, approving and reopening weeks."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest
from sqlmodel import func, select

from tests import factories
from tests.factories import MONDAY, add_hours, at, hour_entries, read, trainee, write
from workshop import dates, db, hours
from workshop.errors import InvalidInput, PermissionDenied
from workshop.models import Activity, AuditEvent, HourStatus, Role, WeekApproval


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
    forgotten = next(e for e in hour_entries(engine, tr.id) if e.status == HourStatus.open)
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


def test_approved_week_is_locked_except_for_an_admin_with_a_reason(engine):
    lead = factories.user(engine, Role.lead)
    admin = factories.user(engine, Role.admin)
    tr = trainee(engine)
    entry = add_hours(engine, lead, tr, MONDAY, 120)
    lock = write(
        engine, hours.approve_week, actor=lead, trainee_id=tr.id, week=MONDAY + timedelta(3)
    )
    assert lock.week_start == MONDAY
    assert hour_entries(engine, tr.id)[0].status == HourStatus.approved
    with pytest.raises(InvalidInput) as err:
        write(engine, hours.approve_week, actor=lead, trainee_id=tr.id, week=MONDAY)
    assert err.value.key == "error.hours.week_already_approved"
    with pytest.raises(InvalidInput) as err:
        add_hours(engine, lead, tr, MONDAY + timedelta(days=2), 60)
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
        add_hours(engine, admin, tr, MONDAY + timedelta(days=2), 60)
    assert err.value.key == "error.hours.reason_required"
    added = add_hours(engine, admin, tr, MONDAY + timedelta(days=2), 60, reason="Feuille papier")
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
    assert {e.status for e in hour_entries(engine, tr.id)} == {HourStatus.submitted}
    with db.read_session(engine) as session:
        assert session.exec(select(func.count()).select_from(WeekApproval)).one() == 0


def test_someone_clocked_in_right_now_waits_for_nothing(engine):
    lead = factories.user(engine, Role.lead)
    tr = trainee(engine)
    write(engine, hours.clock_in, trainee_id=tr.id, activity="tri", now=at(MONDAY, 9))
    assert read(engine, hours.pending, actor=lead, now=at(MONDAY, 23, 59)) == []
    # Past Paris midnight (still Monday in UTC) it is a forgotten clock-out.
    (item,) = read(engine, hours.pending, actor=lead, now=at(MONDAY + timedelta(1), 0, 30))
    assert (item.trainee_id, item.week_start, item.forgotten) == (tr.id, MONDAY, [MONDAY])
    assert item.submitted_minutes == 0 and item.name == "Awa D."


def test_week_view_lists_the_week_and_who_approved_it(engine):
    lead = factories.user(engine, Role.lead, display_name="Léa M.")
    account = factories.user(engine, Role.trainee)
    tr = trainee(engine, user_id=account.id)
    wednesday, sunday = MONDAY + timedelta(2), MONDAY + timedelta(6)
    late = add_hours(engine, lead, tr, wednesday, 60, start=time(14))
    early = add_hours(engine, lead, tr, wednesday, 120, start=time(9))
    first = add_hours(engine, lead, tr, MONDAY, 30)
    add_hours(engine, lead, tr, sunday + timedelta(1), 45)  # the next week
    view = read(engine, hours.week_view, actor=account, trainee_id=tr.id, week=sunday)
    assert view.week_start == MONDAY and view.approval is None and view.approver == ""
    assert [e.id for e in view.entries] == [first.id, early.id, late.id]
    assert view.minutes(HourStatus.submitted) == 210 and view.minutes(HourStatus.approved) == 0
    write(engine, hours.approve_week, actor=lead, trainee_id=tr.id, week=MONDAY)
    view = read(engine, hours.week_view, actor=lead, trainee_id=tr.id, week=MONDAY)
    assert view.approval is not None and view.approver == "Léa M."
    assert view.minutes(HourStatus.approved) == 210
    other = trainee(engine, name="Bob")
    with pytest.raises(PermissionDenied):
        read(engine, hours.week_view, actor=account, trainee_id=other.id, week=MONDAY)


@pytest.mark.parametrize("typed", factories.INVISIBLE)
def test_invisible_characters_in_the_reason_to_reopen_a_week_are_refused(engine, typed):
    admin = factories.user(engine, Role.admin)
    tr = trainee(engine)
    add_hours(engine, admin, tr, MONDAY, 60)
    write(engine, hours.approve_week, actor=admin, trainee_id=tr.id, week=MONDAY)
    factories.refused(
        engine,
        "error.text.invisible",
        hours.reopen_week,
        actor=admin,
        trainee_id=tr.id,
        week=MONDAY,
        reason=typed,
    )


@pytest.mark.parametrize("week", [date(1, 1, 1), date(1999, 12, 31)])
def test_a_week_before_the_workshop_existed_is_not_approved(engine, week):
    lead = factories.user(engine, Role.lead)
    tr = trainee(engine)
    factories.refused(
        engine,
        "error.hours.week_too_old",
        hours.approve_week,
        actor=lead,
        trainee_id=tr.id,
        week=week,
    )

"""hours.reports: the monthly report per programme (ETP, the programme of the hours), pseudonyms."""

from __future__ import annotations

import json
from datetime import date, time, timedelta

from alembic import command
from sqlalchemy import inspect as sa_inspect
from sqlalchemy import text
from sqlmodel import select

from tests import factories
from tests.factories import MONDAY, add_hours, at, hour_entries, move_trainee, read, trainee, write
from workshop import dates, db, hours, impact, schema
from workshop.models import Activity, AuditEvent, HourEntry, HourSource, HourStatus, Programme, Role


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
        add_hours(engine, lead, awa, day, 4 * 60, activity=Activity.poncage, start=time(9))
        add_hours(engine, lead, awa, day, 3 * 60, activity=Activity.assemblage, start=time(14))
        add_hours(engine, lead, other, day, 60)
    for day in weekdays[:10]:  # Bob: 3 h 30 on 10 days = 35 h
        add_hours(engine, lead, bob, day, 3 * 60 + 30, activity=Activity.tri)
    add_hours(engine, lead, bob, date(2026, 3, 2), 60)  # March: not in February
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
    add_hours(engine, lead, tr, MONDAY, 120)
    report = read(
        engine, hours.monthly_report, actor=lead, programme_id=tr.programme_id, month=MONDAY
    )
    assert report.total == 0 and report.rows[0].pending_minutes == 120


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
    add_hours(engine, lead, awa, MONDAY, 6 * 60, start=time(9))
    add_hours(engine, lead, bob, MONDAY, 2 * 60)
    write(
        engine, hours.clock_in, trainee_id=awa.id, activity="tri", now=at(MONDAY + timedelta(1), 9)
    )
    write(engine, hours.clock_out, trainee_id=awa.id, now=at(MONDAY + timedelta(1), 12))
    for tr in (awa, bob):
        write(engine, hours.approve_week, actor=lead, trainee_id=tr.id, week=MONDAY)

    moved = move_trainee(engine, lead, awa, 1)
    assert moved.programme_id == b.id
    later = MONDAY + timedelta(days=7)
    add_hours(engine, lead, awa, later, 4 * 60, activity=Activity.assemblage)
    write(engine, hours.approve_week, actor=lead, trainee_id=awa.id, week=later)
    add_hours(engine, lead, awa, later + timedelta(days=7), 60)  # waiting for approval, in B
    # An admin corrects an hour of A's time after the move: it stays in A.
    first = next(e for e in hour_entries(engine, awa.id) if e.minutes == 6 * 60)
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

    worked = sorted((e.work_date, e.minutes, e.programme_id) for e in hour_entries(engine, awa.id))
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
    (entry,) = hour_entries(engine, tr.id)
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
    add_hours(engine, lead, awa, MONDAY, 60)
    add_hours(engine, lead, bob, MONDAY, 90)
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
    got = {(e.trainee_id, e.minutes, e.status) for e in hour_entries(engine, awa.id)}
    assert got == {(awa.id, 60, HourStatus.approved)}
    with db.read_session(engine) as session:
        rows = session.exec(select(HourEntry.trainee_id, HourEntry.programme_id)).all()
    assert sorted(rows) == sorted([(awa.id, bob.programme_id), (bob.id, bob.programme_id)])
    assert _march(engine, lead, bob.programme_id) == {"Awa D.": (60, 0), "Bob D.": (0, 90)}


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


def test_a_clock_in_of_today_is_not_a_forgotten_clock_out_yet(engine):
    lead = factories.user(engine, Role.lead)
    tr = trainee(engine)
    write(engine, hours.clock_in, trainee_id=tr.id, activity="tri", now=at(MONDAY, 9))

    def forgotten(now):
        report = read(
            engine,
            hours.monthly_report,
            actor=lead,
            programme_id=tr.programme_id,
            month=MONDAY,
            now=now,
        )
        return [(r.name, r.forgotten, r.total) for r in report.rows]

    assert forgotten(at(MONDAY, 17)) == [("Awa D.", 0, 0)]
    assert forgotten(at(MONDAY + timedelta(days=1), 8)) == [("Awa D.", 1, 0)]

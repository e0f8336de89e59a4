"""hours.entries: entering hours, corrections and refusals, who may enter and see them."""

from __future__ import annotations

import json
from datetime import time

import pytest
from sqlmodel import select

from tests import factories
from tests.factories import MONDAY, add_hours, at, hour_entries, move_trainee, read, trainee, write
from workshop import builds, codes, dates, db, hours
from workshop.errors import InvalidInput, NotFound, PermissionDenied, WrongCodeKind
from workshop.models import Activity, AuditEvent, HourSource, HourStatus, Role


def test_hours_entered_keep_every_field(engine):
    lead = factories.user(engine, Role.lead)
    tr = trainee(engine)
    bench = factories.build(engine, lead)
    fields = hours.EntryFields(
        work_date=MONDAY,
        minutes=90,
        activity=Activity.finition,
        build_code=codes.format_code(bench.code),
        start=time(14, 15),
        reason="  Feuille papier ",
    )
    entry = write(
        engine, hours.record_hours, actor=lead, trainee_id=tr.id, fields=fields, now=at(MONDAY, 20)
    )
    assert (entry.work_date, entry.minutes, entry.activity) == (MONDAY, 90, Activity.finition)
    assert entry.build_id == bench.id and entry.reason == "Feuille papier"
    assert dates.local(entry.start_at).time() == time(14, 15)
    assert dates.local(entry.end_at).time() == time(15, 45)
    assert (entry.status, entry.source) == (HourStatus.submitted, HourSource.staff)
    assert entry.programme_id == tr.programme_id and entry.created_by_id == lead.id
    assert [e.id for e in hour_entries(engine, tr.id)] == [entry.id]


def test_reject_needs_a_reason_and_no_longer_counts(engine):
    lead = factories.user(engine, Role.lead)
    tr = trainee(engine)
    entry = add_hours(engine, lead, tr, MONDAY, 8 * 60)
    with pytest.raises(InvalidInput) as err:
        write(engine, hours.reject_entry, actor=lead, entry_id=entry.id, reason="  ")
    assert err.value.key == "error.hours.reason_required"
    write(engine, hours.reject_entry, actor=lead, entry_id=entry.id, reason="Absent ce jour-là")
    add_hours(engine, lead, tr, MONDAY, 12 * 60)  # the rejected 8 h no longer fill the day
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
    entry = add_hours(engine, lead, tr, MONDAY, 120, build_code=bench.code)
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
    (kept,) = hour_entries(engine, tr.id)  # nothing half-written by the refusals
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
    own = add_hours(engine, account, mine, MONDAY, 60)
    assert own.source == HourSource.self_service
    with pytest.raises(PermissionDenied):
        add_hours(engine, account, theirs, MONDAY, 60)
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


def test_a_pieces_passport_names_the_programme_its_hours_were_worked_under(engine):
    lead = factories.user(engine, Role.lead)
    awa = trainee(engine)
    build = factories.build(engine, lead)
    add_hours(engine, lead, awa, MONDAY, 3 * 60, build_code=build.code)
    write(engine, hours.approve_week, actor=lead, trainee_id=awa.id, week=MONDAY)
    with db.read_session(engine) as session:
        a, b = hours.programmes(session=session)[:2]
    move_trainee(engine, lead, awa, 1)
    with db.read_session(engine) as session:
        spent, programmes, _ = builds.training(session=session, build_id=build.id)
    assert spent == 3.0 and [p.id for p in programmes] == [a.id] != [b.id]


def test_dynamic_keys_exist():
    from workshop import i18n

    keys = [f"activity.{a.value}" for a in Activity]
    keys += [f"hour_status.{s.value}" for s in HourStatus]
    keys += [f"hour_source.{s.value}" for s in HourSource]
    for lang in i18n.LANGUAGES:
        assert [k for k in keys if k not in i18n.catalog(lang)] == []


@pytest.mark.parametrize("typed", factories.INVISIBLE)
def test_invisible_characters_in_a_note_or_a_reason_are_refused_and_write_nothing(engine, typed):
    lead = factories.user(engine, Role.lead)
    tr = trainee(engine)
    entry = add_hours(engine, lead, tr, MONDAY, 60)
    key = "error.text.invisible"
    fields = hours.EntryFields(
        work_date=MONDAY, minutes=30, activity=Activity.tri, reason=f"feuille {typed}"
    )
    factories.refused(
        engine,
        key,
        hours.record_hours,
        actor=lead,
        trainee_id=tr.id,
        fields=fields,
        now=at(MONDAY, 20),
    )
    factories.refused(
        engine,
        key,
        hours.correct_entry,
        actor=lead,
        entry_id=entry.id,
        minutes=90,
        activity=Activity.tri,
        reason=typed,
        now=at(MONDAY, 20),
    )
    factories.refused(engine, key, hours.reject_entry, actor=lead, entry_id=entry.id, reason=typed)

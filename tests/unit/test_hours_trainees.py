"""hours.trainees: programmes, trainees, badges and PINs, the link to a sign-in account."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date

import pytest
from sqlmodel import func, select

from tests import factories
from tests.factories import MONDAY, add_hours, at, read, trainee, write
from workshop import codes, db, hours, passwords
from workshop.errors import InvalidInput, NotFound, PermissionDenied
from workshop.models import AuditEvent, Programme, Role, Trainee


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
        fields=hours.TraineeFields(
            programme_id=progs[1].id, start_date=date(2026, 1, 5), consent_name=True
        ),
        pin="0042",
    )
    assert tr.display_name == "Awa D."
    assert (tr.programme_id, tr.start_date, tr.end_date) == (progs[1].id, date(2026, 1, 5), None)
    assert tr.consent_name and not tr.consent_photo and tr.user_id is None
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
        ({"start_date": date(1999, 12, 31)}, "error.hours.start_too_old"),
        ({"end_date": date(2025, 12, 1)}, "error.hours.end_before_start"),
        ({"pin": "12a4"}, "error.hours.pin_format"),
        ({"pin": "12345"}, "error.hours.pin_format"),
        ({"programme_id": 999}, "error.hours.unknown_programme"),
    ],
)
def test_create_trainee_bad_input(engine, changes, key):
    lead = factories.user(engine, Role.lead)
    progs = read(engine, hours.programmes)
    fields = hours.TraineeFields(programme_id=progs[0].id, start_date=date(2026, 1, 1))
    of_fields = {k: v for k, v in changes.items() if hasattr(fields, k)}
    args = {"first_name": "Awa", "last_initial": "D", "pin": ""}
    args |= {k: v for k, v in changes.items() if k not in of_fields}
    with pytest.raises(InvalidInput) as err:
        write(engine, hours.create_trainee, actor=lead, fields=replace(fields, **of_fields), **args)
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
            fields=hours.TraineeFields(programme_id=progs[0].id, start_date=date(2026, 1, 1)),
        )


def test_link_to_a_sign_in_account(engine):
    lead = factories.user(engine, Role.lead)
    account = factories.user(engine, Role.trainee)
    first = trainee(engine, user_id=account.id)
    second = trainee(engine, name="Bob")
    fields = hours.TraineeFields.of(second)
    for user_id, key in ((account.id, "link_taken"), (lead.id, "link_not_trainee")):
        with pytest.raises(InvalidInput) as err:
            write(
                engine,
                hours.update_trainee,
                actor=lead,
                trainee_id=second.id,
                fields=replace(fields, user_id=user_id),
            )
        assert err.value.key == f"error.hours.{key}"
    assert read(engine, hours.linked_trainee, actor=account).id == first.id


def test_contract_change_keeps_existing_hours_inside(engine):
    lead = factories.user(engine, Role.lead)
    tr = trainee(engine)
    add_hours(engine, lead, tr, date(2026, 2, 10), 120)
    with pytest.raises(InvalidInput) as err:
        write(
            engine,
            hours.update_trainee,
            actor=lead,
            trainee_id=tr.id,
            fields=replace(hours.TraineeFields.of(tr), end_date=date(2026, 1, 31)),
        )
    assert err.value.key == "error.hours.entries_outside_contract"
    assert err.value.params == {"n": 1}


def test_update_sets_every_field_and_keeps_the_pin_unless_given(engine):
    lead = factories.user(engine, Role.lead)
    account = factories.user(engine, Role.trainee)
    tr = trainee(engine)
    progs = read(engine, hours.programmes)
    fields = hours.TraineeFields(
        programme_id=progs[2].id,
        start_date=date(2026, 1, 2),
        end_date=date(2026, 12, 31),
        consent_name=True,
        consent_photo=True,
        user_id=account.id,
    )
    updated = write(engine, hours.update_trainee, actor=lead, trainee_id=tr.id, fields=fields)
    assert hours.TraineeFields.of(updated) == fields
    assert updated.pin_hash == tr.pin_hash and updated.badge_code == tr.badge_code
    changed = write(
        engine, hours.update_trainee, actor=lead, trainee_id=tr.id, fields=fields, pin="9876"
    )
    assert passwords.matches(changed.pin_hash, "9876")
    with db.read_session(engine) as session:
        events = session.exec(
            select(AuditEvent).where(AuditEvent.entity == "trainee").order_by(AuditEvent.id)
        ).all()
    assert [json.loads(e.after)["pin_changed"] for e in events] == [False, True]


def test_new_badge_and_pin_removal(engine):
    lead = factories.user(engine, Role.lead)
    tr = trainee(engine)
    updated = write(
        engine,
        hours.update_trainee,
        actor=lead,
        trainee_id=tr.id,
        fields=hours.TraineeFields.of(tr),
        pin="",
        new_badge=True,
    )
    assert updated.badge_code != tr.badge_code and updated.pin_hash == ""
    with pytest.raises(NotFound):
        hours.identify_badge(engine=engine, text=tr.badge_code, now=at(MONDAY, 9))


@pytest.mark.parametrize("typed", factories.INVISIBLE)
def test_invisible_characters_in_a_trainee_name_are_refused_and_write_nothing(engine, typed):
    lead = factories.user(engine, Role.lead)
    fields = hours.TraineeFields(
        programme_id=read(engine, hours.programmes)[0].id, start_date=date(2026, 1, 1)
    )
    invisible = typed.strip("Awa")
    for first, initial in [("Awa", f"D{invisible}."), (typed, "D")]:
        factories.refused(
            engine,
            "error.text.invisible",
            hours.create_trainee,
            actor=lead,
            first_name=first,
            last_initial=initial,
            fields=fields,
        )


def test_a_name_typed_with_a_right_to_left_override_is_kept_as_it_reads(engine):
    lead = factories.user(engine, Role.lead)
    fields = hours.TraineeFields(
        programme_id=read(engine, hours.programmes)[0].id, start_date=date(2026, 1, 1)
    )
    # U+202E showed "Awa D." as ".D awA" on the passport: the override is taken out.
    tr = write(
        engine,
        hours.create_trainee,
        actor=lead,
        first_name="\u202eAwa",
        last_initial="\u2067D\u2069",
        fields=fields,
    )
    assert tr.display_name == "Awa D."


def test_a_contract_dated_before_the_workshop_is_refused_on_change_too(engine):
    lead = factories.user(engine, Role.lead)
    tr = trainee(engine)
    current = read(engine, hours.get_trainee, trainee_id=tr.id)
    for start in (date(1, 1, 1), date(1999, 12, 31)):
        factories.refused(
            engine,
            "error.hours.start_too_old",
            hours.update_trainee,
            actor=lead,
            trainee_id=tr.id,
            fields=replace(hours.TraineeFields.of(current), start_date=start),
        )

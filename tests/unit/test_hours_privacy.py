"""hours.privacy: a trainee's data export, anonymisation after the retention period."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlmodel import select

from tests import factories
from tests.factories import MONDAY, add_hours, at, hour_entries, read, trainee, write
from workshop import cli, db, hours
from workshop.errors import NotFound, PermissionDenied
from workshop.models import AuditEvent, Role, Trainee, User


def test_personal_data_export(engine):
    account = factories.user(engine, Role.trainee)
    tr = trainee(engine, user_id=account.id)
    write(engine, hours.clock_in, trainee_id=tr.id, activity="tri", now=at(MONDAY, 9))
    write(engine, hours.clock_out, trainee_id=tr.id, now=at(MONDAY, 12))
    data = read(engine, hours.personal_data, actor=account, trainee_id=tr.id)
    assert data["trainee"]["display_name"] == "Awa D." and data["trainee"]["has_pin"] is True
    assert data["hours"][0]["minutes"] == 180
    assert data["hours"][0]["start"] == "2026-03-09T09:00:00+01:00"
    assert "pin_hash" not in json.dumps(data) and tr.pin_hash not in json.dumps(data)


def test_purge_anonymises_after_the_retention_period(engine, monkeypatch):
    lead = factories.user(engine, Role.lead)
    account = factories.user(engine, Role.trainee, display_name="Awa Diallo")
    old = trainee(engine, name="Awa", end=date(2026, 3, 31), user_id=account.id)
    recent = trainee(engine, name="Bob", end=date(2026, 4, 1))
    current = trainee(engine, name="Cy")
    add_hours(engine, lead, old, MONDAY, 120, reason="Awa était malade mardi")
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
    assert [e.reason for e in hour_entries(engine, old.id)] == [""]
    assert hour_entries(engine, old.id)[0].minutes == 120  # the hours stay for the reports
    assert all(t.anonymised_at is None for t in kept)
    assert "Awa" not in log
    with pytest.raises(NotFound):
        hours.identify_badge(engine=engine, text=old.badge_code)
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

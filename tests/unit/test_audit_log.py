"""Reading the audit log (admin): filters, Paris days, permission."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest

from tests import factories
from tests.conftest import ROOT
from workshop import audit, audit_log, dates, db, i18n, pickups
from workshop.errors import InvalidInput, PermissionDenied
from workshop.models import AuditEvent, Role


def _events(engine, actor, limit=audit_log.MAX_ROWS, **filters):
    with db.read_session(engine) as session:
        rows, total = audit_log.search(
            session=session, actor=actor, where=audit_log.EventFilter(**filters), limit=limit
        )
    return rows, total


def test_audit_search_filters(engine):
    admin = factories.user(engine, Role.admin, "admin")
    lead = factories.user(engine, Role.lead, "lea", display_name="Léa")
    lot = factories.lot(engine, lead)
    with db.write_session(engine) as session:
        pickups.update_pickup(
            session=session,
            actor=lead,
            lot_id=lot.id or 0,
            reason="erreur de saisie",
            fields=pickups.PickupFields(
                market_id=lot.market_id,
                pickup_date=lot.pickup_date,
                counts={factories.kinds(engine)[0].id or 0: 11},
                sample=None,
                note="<b>corrigé</b> **gras**",
            ),
        )
    with db.write_session(engine) as session:
        pickups.update_market(
            session=session, actor=admin, market_id=lot.market_id, days=["mar"], active=True
        )
    with db.write_session(engine) as session:
        audit.record(session=session, actor=None, action="purge", entity="trainee", entity_id=7)

    rows, total = _events(engine, admin)
    assert total == 4 and [r.action for r in rows] == ["purge", "update", "update", "create"]
    rows, _ = _events(engine, admin, user_id=lead.id)
    assert {r.user for r in rows} == {"Léa (lea)"} and len(rows) == 2
    rows, _ = _events(engine, admin, user_id=audit_log.SYSTEM)
    assert [(r.action, r.user) for r in rows] == [("purge", "")]
    rows, _ = _events(engine, admin, entity="lot", action="update")
    assert len(rows) == 1 and rows[0].reason == "erreur de saisie"
    assert '"note": "<b>corrigé</b> **gras**"' in rows[0].after and '"counts"' in rows[0].before
    rows, _ = _events(engine, admin, entity_id=lot.code[2:5])
    assert {r.entity_id for r in rows} == {lot.code}
    today = dates.today()
    assert _events(engine, admin, since=today, until=today)[1] == 4
    assert _events(engine, admin, until=today - timedelta(days=1))[1] == 0
    assert _events(engine, admin, since=today + timedelta(days=1))[1] == 0
    rows, total = _events(engine, admin, limit=2)
    assert len(rows) == 2 and total == 4
    with pytest.raises(InvalidInput):
        _events(engine, admin, since=today, until=today - timedelta(days=1))
    with pytest.raises(PermissionDenied):
        _events(engine, lead)
    with db.read_session(engine) as session:
        options = audit_log.choices(session=session, actor=admin)
    assert options.entities == ["lot", "market", "trainee"]
    assert options.actions == ["create", "purge", "update"]


def test_audit_period_is_paris_days(engine):
    """An event at 23:30 UTC on 31 March is on 1 April in Paris."""
    admin = factories.user(engine, Role.admin)
    with db.write_session(engine) as session:
        session.add(
            AuditEvent(
                at=datetime(2025, 3, 31, 23, 30, tzinfo=UTC),
                action="x",
                entity="y",
            )
        )
    assert _events(engine, admin, since=date(2025, 4, 1), until=date(2025, 4, 1))[1] == 1
    assert _events(engine, admin, since=date(2025, 3, 31), until=date(2025, 3, 31))[1] == 0


def test_changes_lists_the_values_that_differ_for_the_sentence():
    def row(before: str, after: str) -> audit_log.EventRow:
        return audit_log.EventRow(
            1, datetime(2026, 3, 9), "", "update", "lot", "L1", before, after, ""
        )

    fixed = row('{"crates": 27, "note": "", "market": "Davout"}', '{"crates": 29, "note": "x"}')
    assert audit_log.changes(fixed) == [
        ("crates", "27", "29"),
        ("market", "Davout", "—"),
        ("note", "", "x"),
    ]
    # A creation or deletion (one side empty), or a snapshot that is not an object: none.
    assert audit_log.changes(row("", '{"crates": 3}')) == []
    assert audit_log.changes(row("[1]", "[2]")) == []
    assert audit_log.changes(row("{broken", "{}")) == []
    # Every action and entity the app records has words in both languages.
    for lang in i18n.LANGUAGES:
        for action in audit_log.ACTIONS:
            assert not i18n.translate(f"audit_log.did.{action}", lang).startswith("audit_log.")
        for entity in audit_log.ENTITIES:
            assert not i18n.translate(f"audit_log.what.{entity}", lang).startswith("audit_log.")
    # ... and those are all the ones the code records.
    source = "\n".join(p.read_text() for p in ROOT.joinpath("workshop").rglob("*.py"))
    recorded = set(re.findall(r'entity="(\w+)"', source))
    assert recorded <= set(audit_log.ENTITIES), recorded - set(audit_log.ENTITIES)

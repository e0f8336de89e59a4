"""Builds, lifecycle: the status path and its rules, deleting a build."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from tests import factories
from workshop import builds, dates, db
from workshop.errors import InvalidInput
from workshop.models import AuditEvent, BuildStatus, Outcome, Role


def test_status_path_and_rules(engine):
    lead = factories.user(engine, Role.lead)
    [crate] = factories.crates_in_stock(engine, lead, 1)
    build = factories.build(engine, lead)
    with pytest.raises(InvalidInput) as err:
        factories.set_build_status(engine, lead, build, BuildStatus.sold, destination="Léa")
    assert err.value.key == "error.build.bad_status_change"
    factories.attach(engine, lead, build, crate)
    # Fewer crates than the design needs: allowed (the page warns).
    finished = factories.set_build_status(engine, lead, build, BuildStatus.finished)
    assert finished.finished_on == dates.today()
    with pytest.raises(InvalidInput) as err:
        factories.attach(engine, lead, build, factories.crates_in_stock(engine, lead, 1)[0])
    assert err.value.key == "error.build.closed"
    with pytest.raises(InvalidInput) as err:
        factories.set_build_status(engine, lead, build, BuildStatus.donated, destination="  ")
    assert err.value.key == "error.build.destination_required"
    with pytest.raises(InvalidInput):
        factories.set_build_status(
            engine, lead, build, BuildStatus.sold, destination="Léa", price_eur=-5
        )
    with pytest.raises(InvalidInput):
        factories.set_build_status(
            engine,
            lead,
            build,
            BuildStatus.sold,
            destination="Léa",
            on=dates.today() + timedelta(1),
        )
    sold = factories.set_build_status(
        engine, lead, build, BuildStatus.sold, destination="Léa", price_eur=45.0
    )
    assert sold.status == BuildStatus.sold and sold.price_eur == 45.0 and sold.destination == "Léa"


def test_delete_build_puts_crates_back(engine):
    lead = factories.user(engine, Role.lead)
    crates_ = factories.crates_in_stock(engine, lead, 2)
    build = factories.build(engine, lead)
    for code in crates_:
        factories.attach(engine, lead, build, code)
    with pytest.raises(InvalidInput), db.write_session(engine) as session:
        builds.delete_build(session=session, actor=lead, build_id=build.id, reason="")
    with db.write_session(engine) as session:
        assert (
            builds.delete_build(session=session, actor=lead, build_id=build.id, reason="erreur")
            == build.code
        )
    assert [factories.crate_outcome(engine, c) for c in crates_] == [
        Outcome.in_stock,
        Outcome.in_stock,
    ]
    with db.read_session(engine) as session:
        event = session.exec(select(AuditEvent).where(AuditEvent.action == "delete")).one()
    assert event.reason == "erreur" and all(c in event.before for c in crates_)

"""Builds, lifecycle: the status path and its rules, deleting a build."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import select

from tests import factories
from workshop import audit, builds, dates, db
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


def _finished(engine, lead):
    build = factories.build(engine, lead)
    factories.set_build_status(engine, lead, build, BuildStatus.in_progress)
    return factories.set_build_status(engine, lead, build, BuildStatus.finished)


@pytest.mark.parametrize(
    ("change", "key"),
    [
        ({"on": date(1, 1, 1)}, "error.build.too_old"),  # was a piece finished in year 1
        ({"on": date(1999, 12, 31)}, "error.build.too_old"),
        ({"price_eur": float("nan")}, "error.build.bad_price"),
        ({"price_eur": float("inf")}, "error.build.bad_price"),
        ({"price_eur": True}, "error.build.bad_price"),
        ({"price_eur": "45"}, "error.build.bad_price"),
        ({"price_eur": 5e-324}, "error.build.price_cents"),
        ({"price_eur": 12.345}, "error.build.price_cents"),
        *(({"destination": f"École {t}"}, "error.text.invisible") for t in factories.INVISIBLE),
    ],
)
def test_a_date_before_the_workshop_an_unreal_price_or_an_invisible_character_is_refused(
    engine, change, key
):
    lead = factories.user(engine, Role.lead)
    build = _finished(engine, lead)
    factories.refused(
        engine,
        key,
        builds.set_status,
        actor=lead,
        build_id=build.id,
        status=BuildStatus.in_progress if "on" in change else BuildStatus.sold,
        **{"destination": "Léa", **change},
    )


def test_a_price_in_cents_is_kept_to_the_cent(engine):
    lead = factories.user(engine, Role.lead)
    sold = factories.set_build_status(
        engine, lead, _finished(engine, lead), BuildStatus.sold, destination="Léa", price_eur=19.99
    )
    assert sold.price_eur == 19.99


@pytest.mark.parametrize("typed", factories.INVISIBLE)
def test_invisible_characters_in_a_note_or_a_reason_are_refused(engine, typed):
    lead = factories.user(engine, Role.lead)
    build = _finished(engine, lead)
    key = "error.text.invisible"
    factories.refused(
        engine, key, builds.create_build, actor=lead, design_id=build.design_id, note=typed
    )
    factories.refused(engine, key, builds.delete_build, actor=lead, build_id=build.id, reason=typed)


def test_a_destination_is_kept_without_bidirectional_controls(engine):
    lead = factories.user(engine, Role.lead)
    donated = factories.set_build_status(
        engine, lead, _finished(engine, lead), BuildStatus.donated, destination="\u202eÉcole\u202c"
    )
    assert donated.destination == "École"


def test_a_deletion_reason_longer_than_the_audit_log_keeps_is_refused(engine):
    lead = factories.user(engine, Role.lead)
    build = factories.build(engine, lead)
    factories.refused(
        engine,
        "error.reason_too_long",
        builds.delete_build,
        actor=lead,
        build_id=build.id,
        reason="r" * (audit.MAX_REASON + 1),
    )

"""Crate tagging, outcomes, and resolving scanned codes."""

from __future__ import annotations

import pytest
from sqlmodel import func, select

from tests import factories
from workshop import codes, crates, db, pickups
from workshop.errors import InvalidCode, InvalidInput, NotFound, PermissionDenied, WrongCodeKind
from workshop.models import AuditEvent, Crate, LotRemainder, Outcome, Role


def _crates(engine) -> int:
    with db.read_session(engine) as session:
        return session.exec(select(func.count()).select_from(Crate)).one()


def _sort(engine, actor, lot, tag, remainder=None):
    with db.write_session(engine) as session:
        return crates.sort_lot(
            session=session, actor=actor, lot_id=lot.id, tag=tag, remainder=remainder
        )


def test_tag_then_send_the_rest_to_recycling(engine):
    lead = factories.user(engine, Role.lead)
    lot = factories.lot(engine, lead, counts=(10, 4))
    std, tray, _ = factories.kinds(engine)
    made = _sort(engine, lead, lot, {std.id: 6}, remainder=Outcome.recycled)
    assert len(made) == 6 and len({c.code for c in made}) == 6
    assert all(codes.kind_of(c.code) == "C" and codes.is_valid(c.code) for c in made)
    assert all(c.outcome == Outcome.in_stock for c in made)
    with db.read_session(engine) as session:
        state = pickups.lot_sorting(session=session, lot_id=lot.id)
        rests = session.exec(select(LotRemainder)).all()
    assert state.done and state.tagged == {std.id: 6}
    assert {(r.crate_kind_id, r.outcome, r.count) for r in rests} == {
        (std.id, Outcome.recycled, 4),
        (tray.id, Outcome.recycled, 4),
    }


def test_tagging_in_two_steps_and_limits(engine):
    lead = factories.user(engine, Role.lead)
    lot = factories.lot(engine, lead, counts=(10,))
    std = factories.kinds(engine)[0]
    _sort(engine, lead, lot, {std.id: 3})
    with pytest.raises(InvalidInput) as err:
        _sort(engine, lead, lot, {std.id: 8})
    assert err.value.key == "error.crate.more_than_left" and err.value.params["left"] == 7
    for bad in (-1, 2.5, True):
        with pytest.raises(InvalidInput):
            _sort(engine, lead, lot, {std.id: bad})
    with pytest.raises(InvalidInput) as err:
        _sort(engine, lead, lot, {std.id: 0})
    assert err.value.key == "error.crate.nothing_to_do"
    with pytest.raises(InvalidInput):
        _sort(engine, lead, lot, {std.id: 1}, remainder=Outcome.in_build)
    assert _crates(engine) == 3
    _sort(engine, lead, lot, {std.id: 7})
    assert _crates(engine) == 10


def test_sorted_lot_cannot_shrink_or_be_deleted(engine):
    lead = factories.user(engine, Role.lead)
    lot = factories.lot(engine, lead, counts=(10,))
    std = factories.kinds(engine)[0]
    _sort(engine, lead, lot, {std.id: 4}, remainder=Outcome.firewood)
    with pytest.raises(InvalidInput) as err, db.write_session(engine) as session:
        pickups.update_pickup(
            session=session,
            actor=lead,
            lot_id=lot.id,
            reason="x",
            fields=pickups.PickupFields(
                market_id=lot.market_id,
                pickup_date=lot.pickup_date,
                counts={std.id: 9},
                sample=None,
                note="",
            ),
        )
    assert err.value.key == "error.pickup.below_sorted"
    with pytest.raises(InvalidInput) as err, db.write_session(engine) as session:
        pickups.delete_pickup(session=session, actor=lead, lot_id=lot.id, reason="oops")
    assert err.value.key == "error.pickup.has_crates"


@pytest.mark.parametrize("role", [Role.trainee, Role.market_manager])
def test_only_leads_tag(engine, role):
    lead = factories.user(engine, Role.lead)
    lot = factories.lot(engine, lead, counts=(10,))
    other = factories.user(engine, role)
    with pytest.raises(PermissionDenied):
        _sort(engine, other, lot, {factories.kinds(engine)[0].id: 1})
    assert _crates(engine) == 0


def test_outcome_by_scan(engine):
    lead = factories.user(engine, Role.lead)
    lot = factories.lot(engine, lead, counts=(5,))
    [crate] = _sort(engine, lead, lot, {factories.kinds(engine)[0].id: 1})
    typed = codes.us_on_azerty(codes.url_for(crate.code)) + "\n"  # a US scanner on AZERTY
    with db.write_session(engine) as session:
        done = crates.set_outcome(session=session, actor=lead, code=typed, outcome=Outcome.reused)
    assert done.outcome == Outcome.reused and done.outcome_by_id == lead.id
    with pytest.raises(InvalidInput), db.write_session(engine) as session:
        crates.set_outcome(session=session, actor=lead, code=crate.code, outcome=Outcome.in_build)
    with pytest.raises(WrongCodeKind), db.write_session(engine) as session:
        crates.set_outcome(session=session, actor=lead, code=lot.code, outcome=Outcome.recycled)
    with pytest.raises(NotFound), db.write_session(engine) as session:
        crates.set_outcome(
            session=session, actor=lead, code=codes.mint("C"), outcome=Outcome.recycled
        )
    with db.read_session(engine) as session:
        events = session.exec(select(AuditEvent).where(AuditEvent.entity == "crate")).all()
    assert len(events) == 1 and '"reused"' in events[0].after


def test_resolve_crate_and_lot(engine):
    lead = factories.user(engine, Role.lead)
    trainee = factories.user(engine, Role.trainee)
    lot = factories.lot(engine, lead, counts=(5, 2))
    [crate] = _sort(engine, lead, lot, {factories.kinds(engine)[0].id: 1})
    with db.read_session(engine) as session:
        view = crates.resolve(
            session=session, actor=trainee, text=codes.format_code(crate.code).lower()
        )
        lot_view = crates.resolve(session=session, actor=lead, text=codes.url_for(lot.code))
        with pytest.raises(NotFound) as unknown:
            crates.resolve(session=session, actor=lead, text=codes.mint("C"))
        with pytest.raises(InvalidCode):
            crates.resolve(session=session, actor=lead, text="bonjour")
        with pytest.raises(NotFound) as later:
            crates.resolve(session=session, actor=lead, text=codes.mint("M"))
        manager = factories.user(engine, Role.market_manager)
        with pytest.raises(PermissionDenied):
            crates.resolve(session=session, actor=manager, text=crate.code)
    assert isinstance(view, crates.CrateView)
    assert view.market == "Marché Davout" and view.outcome == Outcome.in_stock
    assert view.lot_code == lot.code
    assert isinstance(lot_view, crates.LotView) and lot_view.sorting.tagged
    assert unknown.value.key == "error.scan.unknown_code"
    assert later.value.key == "error.scan.not_yet"

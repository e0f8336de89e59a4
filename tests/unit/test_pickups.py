"""Pickups: logging, validation of every bad input, corrections, deletion, audit."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, timedelta

import pytest
from sqlmodel import func, select

from tests import factories
from workshop import audit, codes, dates, db, pickups
from workshop.errors import InvalidInput, NotFound, PermissionDenied, Unlikely
from workshop.models import AuditEvent, Lot, LotLine, Role


def _count(engine, model) -> int:
    with db.read_session(engine) as session:
        return session.exec(select(func.count()).select_from(model)).one()


def test_seed_reference_once(engine):
    with db.write_session(engine) as session:
        pickups.seed_reference(session=session)
    with db.read_session(engine) as session:
        markets = pickups.markets_for_pickup(session=session, on=date(2026, 11, 27))
        kinds = pickups.crate_kinds(session=session)
    assert len(markets) == 11
    assert [k.default_weight_kg for k in kinds] == [1.2, 0.6, 3.0]


def test_markets_held_today_come_first(engine):
    friday = date(2026, 11, 27)
    with db.read_session(engine) as session:
        markets = pickups.markets_for_pickup(session=session, on=friday)
    held = [m.name for m in markets if friday.weekday() in pickups.market_days(m)]
    assert held and [m.name for m in markets[: len(held)]] == held
    assert "Marché Davout" in held  # mar;ven


def test_log_pickup_gives_a_valid_lot_code(engine):
    lead = factories.user(engine, Role.lead)
    lot = factories.lot(engine, lead, counts=(20, 5, 0), sample=(5, 6.5), note="  pluie  ")
    assert codes.parse(lot.code, expect="L") == lot.code
    assert lot.note == "pluie"
    with db.read_session(engine) as session:
        counts = pickups.lot_counts(session=session, lot_id=lot.id)
        audit = session.exec(select(AuditEvent)).one()
    assert sorted(counts.values()) == [5, 20]  # the zero line is not stored
    assert audit.action == "create" and audit.entity_id == lot.code
    assert json.loads(audit.after)["counts"]


def _attempt(engine, actor, confirmed=False, **overrides):
    kinds = factories.kinds(engine)
    args = {
        "market_id": factories.market(engine).id,
        "pickup_date": dates.today(),
        "counts": {kinds[0].id: 10},
        "sample": None,
        "note": "",
    }
    args.update(overrides)
    with db.write_session(engine) as session:
        return pickups.log_pickup(
            session=session,
            actor=actor,
            fields=pickups.PickupFields(**args),
            confirmed=confirmed,
        )


@pytest.mark.parametrize(
    ("overrides", "key"),
    [
        ({"counts": {"first": -1}}, "error.pickup.negative_count"),
        ({"counts": {"first": 2001}}, "error.pickup.too_many"),
        ({"counts": {"first": 1500, "second": 600}}, "error.pickup.too_many"),
        ({"counts": {"first": 0}}, "error.pickup.no_crates"),
        ({"counts": {}}, "error.pickup.no_crates"),
        ({"counts": {"first": 2.5}}, "error.pickup.count_not_whole"),
        ({"counts": {999: 3}}, "error.pickup.unknown_kind"),
        ({"pickup_date": dates.today() + timedelta(days=1)}, "error.pickup.future_date"),
        ({"pickup_date": date(1999, 12, 31)}, "error.pickup.too_old"),
        ({"market_id": 999_999}, "error.pickup.unknown_market"),
        ({"sample": ("first", 2, 61.0)}, "error.pickup.sample_too_heavy"),
        ({"sample": ("first", 0, 5.0)}, "error.pickup.sample_empty"),
        ({"sample": ("first", 3, 0.0)}, "error.pickup.sample_empty"),
        ({"sample": ("first", 11, 12.0)}, "error.pickup.sample_more_than_counted"),
        ({"sample": ("second", 1, 1.0)}, "error.pickup.sample_more_than_counted"),
        ({"note": "x" * 501}, "error.pickup.note_too_long"),
    ],
)
def test_bad_pickup_is_refused_and_writes_nothing(engine, overrides, key):
    lead = factories.user(engine, Role.lead)
    kinds = factories.kinds(engine)
    ids = {"first": kinds[0].id, "second": kinds[1].id}
    if "counts" in overrides:
        overrides["counts"] = {ids.get(k, k): v for k, v in overrides["counts"].items()}
    if "sample" in overrides:
        kind, n, kg = overrides["sample"]
        overrides["sample"] = pickups.Sample(ids[kind], n, kg)
    with pytest.raises(InvalidInput) as err:
        _attempt(engine, lead, **overrides)
    assert err.value.key == key
    assert _count(engine, Lot) == 0 and _count(engine, LotLine) == 0
    assert _count(engine, AuditEvent) == 0


def test_sample_of_exactly_30_kg_per_crate_is_accepted_once_confirmed(engine):
    lead = factories.user(engine, Role.lead)
    kinds = factories.kinds(engine)
    lot = _attempt(engine, lead, sample=pickups.Sample(kinds[0].id, 2, 60.0), confirmed=True)
    assert lot.sample_kg == 60.0


def test_a_sample_over_3_times_the_usual_weight_needs_a_confirmation(engine):
    """6,5 kg read as 65 kg for 5 crates: 13 kg a crate against 1,2 kg usually."""
    lead = factories.user(engine, Role.lead)
    kinds = factories.kinds(engine)
    heavy = pickups.Sample(kinds[0].id, 5, 65.0)
    with pytest.raises(Unlikely) as err:
        _attempt(engine, lead, sample=heavy)
    assert err.value.key == "error.pickup.sample_unlikely"
    assert err.value.params == {"kg": 65.0, "count": 5, "per_crate": 13.0, "usual": 1.2}
    assert _count(engine, Lot) == 0 and _count(engine, AuditEvent) == 0
    # Exactly 3 times (3,6 kg a crate) goes through; over it, once confirmed.
    assert _attempt(engine, lead, sample=pickups.Sample(kinds[0].id, 5, 18.0)).sample_kg == 18.0
    assert _attempt(engine, lead, sample=heavy, confirmed=True).sample_kg == 65.0


def test_the_usual_weight_is_the_markets_calibrated_one(engine):
    """A market whose crates weigh 3 kg (calibrated from 5 samples): 8 kg a crate is likely."""
    lead = factories.user(engine, Role.lead)
    for _ in range(5):
        factories.lot(engine, lead, counts=(10,), sample=(5, 15.0))
    kinds = factories.kinds(engine)
    assert _attempt(engine, lead, sample=pickups.Sample(kinds[0].id, 5, 40.0)).sample_kg == 40.0
    with pytest.raises(Unlikely):
        _attempt(engine, lead, sample=pickups.Sample(kinds[0].id, 5, 60.0))  # 12 kg


def test_a_correction_to_an_unlikely_sample_needs_a_confirmation_too(engine):
    lead = factories.user(engine, Role.lead)
    lot = factories.lot(engine, lead, counts=(10,))
    kind_id = factories.kinds(engine)[0].id
    fields = pickups.PickupFields(
        lot.market_id, dates.today(), {kind_id: 10}, pickups.Sample(kind_id, 5, 65.0)
    )
    change = {"actor": lead, "lot_id": lot.id, "fields": fields, "reason": "pesée"}
    with db.write_session(engine) as session, pytest.raises(Unlikely):
        pickups.update_pickup(session=session, **change)
    with db.write_session(engine) as session:
        assert pickups.update_pickup(session=session, confirmed=True, **change).sample_kg == 65.0


def test_inactive_market_is_refused(engine):
    admin = factories.user(engine, Role.admin)
    davout = factories.market(engine)
    with db.write_session(engine) as session:
        pickups.update_market(
            session=session, actor=admin, market_id=davout.id, days=["mar"], active=False
        )
    with pytest.raises(InvalidInput) as err:
        _attempt(engine, admin)
    assert err.value.key == "error.pickup.unknown_market"


def test_a_pickup_at_a_market_taken_out_of_the_list_can_still_be_corrected(engine):
    admin = factories.user(engine, Role.admin)
    lead = factories.user(engine, Role.lead)
    at_davout = factories.lot(engine, lead, counts=(10,), note="avant")
    elsewhere = factories.lot(engine, lead, market_name="Marché de la Réunion", counts=(4,))
    davout = factories.market(engine)
    with db.write_session(engine) as session:
        pickups.update_market(
            session=session, actor=admin, market_id=davout.id, days=["mar"], active=False
        )
    kinds = factories.kinds(engine)

    def correct(lot, market_id, note):
        with db.write_session(engine) as session:
            return pickups.update_pickup(
                session=session,
                actor=lead,
                lot_id=lot.id,
                reason="note corrigée",
                fields=pickups.PickupFields(
                    market_id=market_id,
                    pickup_date=lot.pickup_date,
                    counts={kinds[0].id: 10},
                    sample=None,
                    note=note,
                ),
            )

    assert correct(at_davout, davout.id, "après").note == "après"
    with db.read_session(engine) as session:
        offered = pickups.markets_for_pickup(session=session, on=dates.today(), lot=at_davout)
        offered_new = pickups.markets_for_pickup(session=session, on=dates.today())
    assert davout.id in {m.id for m in offered}  # the edit form offers the lot's own market
    assert davout.id not in {m.id for m in offered_new}
    # Another lot cannot be moved to a market taken out of the list.
    with pytest.raises(InvalidInput) as err:
        correct(elsewhere, davout.id, "déplacée")
    assert err.value.key == "error.pickup.unknown_market"
    with db.read_session(engine) as session:
        assert session.get(Lot, elsewhere.id).market_id != davout.id


@pytest.mark.parametrize("role", [Role.trainee, Role.market_manager])
def test_only_leads_and_admins_log_pickups(engine, role):
    actor = factories.user(engine, role)
    with pytest.raises(PermissionDenied):
        _attempt(engine, actor)
    assert _count(engine, Lot) == 0


def test_update_pickup_keeps_before_and_reason(engine):
    lead = factories.user(engine, Role.lead)
    lot = factories.lot(engine, lead, counts=(10, 2))
    kinds = factories.kinds(engine)
    reunion = factories.market(engine, "Marché de la Réunion")
    with db.write_session(engine) as session:
        pickups.update_pickup(
            session=session,
            actor=lead,
            lot_id=lot.id,
            reason="mauvais marché",
            fields=pickups.PickupFields(
                market_id=reunion.id,
                pickup_date=dates.today() - timedelta(days=1),
                counts={kinds[2].id: 4},
                sample=None,
                note="corrigé",
            ),
        )
    with db.read_session(engine) as session:
        stored = session.get(Lot, lot.id)
        counts = pickups.lot_counts(session=session, lot_id=lot.id)
        event = session.exec(select(AuditEvent).where(AuditEvent.action == "update")).one()
    assert stored.market_id == reunion.id and counts == {kinds[2].id: 4}
    assert stored.code == lot.code  # the code printed on the lot never changes
    assert event.reason == "mauvais marché"
    assert json.loads(event.before)["counts"] == {str(kinds[0].id): 10, str(kinds[1].id): 2}


def test_update_without_reason_or_with_bad_values_changes_nothing(engine):
    lead = factories.user(engine, Role.lead)
    lot = factories.lot(engine, lead, counts=(10,))
    kinds = factories.kinds(engine)
    fields = pickups.PickupFields(lot.market_id, lot.pickup_date, {kinds[0].id: 12})

    def update(lot_id, fields, reason):
        with db.write_session(engine) as session:
            pickups.update_pickup(
                session=session, actor=lead, lot_id=lot_id, fields=fields, reason=reason
            )

    with pytest.raises(InvalidInput) as err:
        update(lot.id, fields, "  ")
    assert err.value.key == "error.pickup.reason_required"
    with pytest.raises(InvalidInput):
        update(lot.id, replace(fields, counts={kinds[0].id: 5000}), "typo")
    with db.read_session(engine) as session:
        assert pickups.lot_counts(session=session, lot_id=lot.id) == {kinds[0].id: 10}
    with pytest.raises(NotFound):
        update(999, fields, "typo")


def test_a_reason_longer_than_the_audit_log_keeps_is_refused(engine):
    lead = factories.user(engine, Role.lead)
    lot = factories.lot(engine, lead)
    too_long = "r" * (audit.MAX_REASON + 1)
    factories.refused(
        engine,
        "error.reason_too_long",
        pickups.delete_pickup,
        actor=lead,
        lot_id=lot.id,
        reason=too_long,
    )


def test_delete_pickup(engine):
    lead = factories.user(engine, Role.lead)
    lot = factories.lot(engine, lead, counts=(10, 1))
    with pytest.raises(InvalidInput), db.write_session(engine) as session:
        pickups.delete_pickup(session=session, actor=lead, lot_id=lot.id, reason="")
    assert _count(engine, Lot) == 1
    with db.write_session(engine) as session:
        assert (
            pickups.delete_pickup(session=session, actor=lead, lot_id=lot.id, reason="doublon")
            == lot.code
        )
    assert _count(engine, Lot) == 0 and _count(engine, LotLine) == 0
    with db.read_session(engine) as session:
        event = session.exec(select(AuditEvent).where(AuditEvent.action == "delete")).one()
    assert event.reason == "doublon" and json.loads(event.before)["code"] == lot.code


def test_recent_pickups(engine):
    lead = factories.user(engine, Role.lead)
    old = factories.lot(engine, lead, on=dates.today() - timedelta(days=90))
    new = factories.lot(engine, lead, counts=(3, 4), sample=(2, 2.4))
    with db.read_session(engine) as session:
        rows = pickups.recent_pickups(session=session, actor=lead)
    assert [r.code for r in rows] == [new.code]
    assert rows[0].crates == 7 and rows[0].weighed
    assert old.code not in {r.code for r in rows}


def test_admin_edits_weights_and_markets(engine):
    admin = factories.user(engine, Role.admin)
    lead = factories.user(engine, Role.lead)
    kinds = factories.kinds(engine)
    with db.write_session(engine) as session:
        changed = pickups.update_crate_kind_weights(
            session=session, actor=admin, weights={kinds[0].id: 1.4, kinds[1].id: 0.6}
        )
    assert [k.id for k in changed] == [kinds[0].id]
    with pytest.raises(InvalidInput), db.write_session(engine) as session:
        pickups.update_crate_kind_weights(
            session=session, actor=admin, weights={kinds[1].id: 0.9, kinds[2].id: -1}
        )
    assert [k.default_weight_kg for k in factories.kinds(engine)] == [
        1.4,
        0.6,
        3.0,
    ]  # all or nothing
    with pytest.raises(PermissionDenied), db.write_session(engine) as session:
        pickups.update_crate_kind_weights(session=session, actor=lead, weights={kinds[0].id: 2})
    davout = factories.market(engine)
    with db.write_session(engine) as session:
        market = pickups.update_market(
            session=session, actor=admin, market_id=davout.id, days=["ven", "mar"], active=True
        )
    assert market.days == "mar;ven"
    with pytest.raises(InvalidInput), db.write_session(engine) as session:
        pickups.update_market(
            session=session, actor=admin, market_id=davout.id, days=["friday"], active=True
        )


NAN, INF = float("nan"), float("inf")


@pytest.mark.parametrize(
    ("sample", "key"),
    [
        ((3, NAN), "error.pickup.sample_empty"),  # was stored as "weighed" with no weight
        ((3, INF), "error.pickup.sample_empty"),
        ((3, -INF), "error.pickup.sample_empty"),
        ((3, 5e-324), "error.pickup.sample_too_light"),
        ((10, 0.4), "error.pickup.sample_too_light"),  # 40 g a crate: grams typed as kilos
        ((NAN, 4.0), "error.pickup.count_not_whole"),
        ((2.5, 4.0), "error.pickup.count_not_whole"),
        ((True, 1.2), "error.pickup.count_not_whole"),
        ((3, True), "error.pickup.sample_empty"),
        ((3, "3,6"), "error.pickup.sample_empty"),
    ],
)
def test_a_sample_not_a_real_plausible_weight_is_refused_on_log_and_correction(engine, sample, key):
    lead = factories.user(engine, Role.lead)
    lot = factories.lot(engine, lead, counts=(10,))
    kind_id = factories.kinds(engine)[0].id
    fields = pickups.PickupFields(
        lot.market_id, dates.today(), {kind_id: 10}, pickups.Sample(kind_id, *sample)
    )
    factories.refused(engine, key, pickups.log_pickup, actor=lead, fields=fields)
    factories.refused(
        engine, key, pickups.update_pickup, actor=lead, lot_id=lot.id, fields=fields, reason="pesée"
    )


def test_the_lightest_plausible_sample_is_accepted(engine):
    lead = factories.user(engine, Role.lead)
    lot = factories.lot(engine, lead, counts=(10,), sample=(10, 0.5))
    assert lot.sample_kg == 0.5


@pytest.mark.parametrize("day", [date(1, 1, 1), date(1999, 12, 31)])
def test_a_pickup_before_the_workshop_existed_is_refused(engine, day):
    lead = factories.user(engine, Role.lead)
    lot = factories.lot(engine, lead)
    fields = pickups.PickupFields(lot.market_id, day, {factories.kinds(engine)[0].id: 10})
    factories.refused(engine, "error.pickup.too_old", pickups.log_pickup, actor=lead, fields=fields)
    factories.refused(
        engine,
        "error.pickup.too_old",
        pickups.update_pickup,
        actor=lead,
        lot_id=lot.id,
        fields=fields,
        reason="date",
    )


@pytest.mark.parametrize("typed", factories.INVISIBLE)
def test_invisible_characters_in_a_note_or_a_reason_are_refused_and_write_nothing(engine, typed):
    lead = factories.user(engine, Role.lead)
    lot = factories.lot(engine, lead)
    fields = pickups.PickupFields(
        lot.market_id, lot.pickup_date, {factories.kinds(engine)[0].id: 9}
    )
    noted = replace(fields, note=f"pluie {typed}")
    key = "error.text.invisible"
    factories.refused(engine, key, pickups.log_pickup, actor=lead, fields=noted)
    for changed, reason in [(noted, "pluie"), (fields, typed)]:
        factories.refused(
            engine,
            key,
            pickups.update_pickup,
            actor=lead,
            lot_id=lot.id,
            fields=changed,
            reason=reason,
        )
    factories.refused(engine, key, pickups.delete_pickup, actor=lead, lot_id=lot.id, reason=typed)


def test_a_note_and_a_reason_are_kept_without_bidirectional_controls(engine):
    lead = factories.user(engine, Role.lead)
    lot = factories.lot(engine, lead, note="\u202epluie\u202c")
    assert lot.note == "pluie"
    fields = pickups.PickupFields(
        lot.market_id, lot.pickup_date, {factories.kinds(engine)[0].id: 9}
    )
    factories.write(
        engine,
        pickups.update_pickup,
        actor=lead,
        lot_id=lot.id,
        fields=fields,
        reason="\u2067un de moins\u2069",
    )
    with db.read_session(engine) as session:
        event = session.exec(select(AuditEvent).where(AuditEvent.action == "update")).one()
    assert event.reason == "un de moins"


@pytest.mark.parametrize(
    ("weight", "key"),
    [
        (NAN, "error.kind.bad_weight"),
        (INF, "error.kind.bad_weight"),
        (True, "error.kind.bad_weight"),
        ("1,2", "error.kind.bad_weight"),
        (5e-324, "error.kind.too_light"),
        (0.04, "error.kind.too_light"),
    ],
)
def test_a_crate_kind_weight_not_real_or_too_light_is_refused(engine, weight, key):
    admin = factories.user(engine, Role.admin)
    kinds = factories.kinds(engine)
    factories.refused(
        engine,
        key,
        pickups.update_crate_kind_weights,
        actor=admin,
        weights={kinds[1].id: 0.7, kinds[0].id: weight},
    )

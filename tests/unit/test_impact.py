"""Impact: honest kilos (weighed, calibrated, default), outcomes, CO2e, market month, summary."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import select

from tests import factories
from workshop import codes, dates, db, impact
from workshop.errors import PermissionDenied
from workshop.models import (
    Activity,
    BuildStatus,
    HourEntry,
    HourSource,
    HourStatus,
    Outcome,
    Programme,
    Role,
    Trainee,
)

START, END = date(2026, 1, 1), date(2026, 12, 31)


def test_weighed_and_estimated_kilos(engine):
    lead = factories.user(engine, Role.lead)
    # 10 standard (sample: 5 weigh 7 kg → 1.4 kg each, weighed) + 4 trays (0.6 kg, estimated)
    factories.lot(engine, lead, on=date(2026, 3, 6), counts=(10, 4), sample=(5, 7.0))
    # 20 standard, nothing weighed: 1.2 kg each, estimated
    factories.lot(engine, lead, on=date(2026, 3, 20), counts=(20,))
    factories.lot(
        engine, lead, market_name="Marché Belgrand", on=date(2026, 4, 1), counts=(0, 0, 2)
    )
    with db.read_session(engine) as session:
        data = impact.dashboard(session=session, actor=lead, start=START, end=END)
    rows, totals = data.months, data.totals
    by_key = {(r.market, r.month): r for r in rows}
    march = by_key[("Marché Davout", date(2026, 3, 1))]
    assert march.crates == 34
    assert march.weighed_kg == pytest.approx(14.0)
    assert march.estimated_kg == pytest.approx(4 * 0.6 + 20 * 1.2)
    april = by_key[("Marché Belgrand", date(2026, 4, 1))]
    assert april.estimated_kg == pytest.approx(6.0) and april.weighed_kg == 0
    assert totals.crates == 36 and totals.pickups == 3
    assert totals.kg == pytest.approx(14.0 + 2.4 + 24.0 + 6.0)


def test_period_and_market_filters(engine):
    lead = factories.user(engine, Role.lead)
    factories.lot(engine, lead, on=date(2025, 12, 31), counts=(5,))
    factories.lot(engine, lead, on=date(2026, 1, 1), counts=(7,))
    belgrand = factories.lot(
        engine, lead, market_name="Marché Belgrand", on=date(2026, 1, 2), counts=(9,)
    )
    with db.read_session(engine) as session:
        rows = impact.dashboard(session=session, actor=lead, start=START, end=END).months
        only = impact.dashboard(
            session=session, actor=lead, start=START, end=END, market_ids=[belgrand.market_id]
        ).totals
    assert sum(r.crates for r in rows) == 16
    assert only.crates == 9 and only.pickups == 1


def test_trainee_cannot_see_dashboard_figures(engine):
    trainee = factories.user(engine, Role.trainee)
    with pytest.raises(PermissionDenied), db.read_session(engine) as session:
        impact.dashboard(session=session, actor=trainee, start=START, end=END)


# --- Honest kilos: weighed, calibrated, default -----------------------------------------


def _unweighed_kg(engine, lead, market="Marché Davout", on=date(2026, 3, 20), n=20):
    factories.lot(engine, lead, market_name=market, on=on, counts=(n,))


def test_calibrated_weight_from_the_markets_samples(engine):
    lead = factories.user(engine, Role.lead)
    for day, kg in ((date(2026, 1, 9), 7.0), (date(2026, 2, 6), 7.5), (date(2026, 3, 6), 8.0)):
        factories.lot(engine, lead, on=day, counts=(5,), sample=(5, kg))  # 1.4, 1.5, 1.6 kg
    _unweighed_kg(engine, lead)  # Davout, March: 20 × calibrated 1.5 kg
    _unweighed_kg(engine, lead, market="Marché Belgrand", n=10)  # no samples: default 1.2 kg
    with db.read_session(engine) as session:
        rows = impact.dashboard(
            session=session, actor=lead, start=date(2026, 3, 1), end=date(2026, 3, 31)
        ).months
    by_market = {r.market: r for r in rows}
    davout, belgrand = by_market["Marché Davout"], by_market["Marché Belgrand"]
    assert davout.weighed_kg == pytest.approx(8.0)
    assert davout.estimated_kg == pytest.approx(30.0)
    assert davout.calibrated_kg == pytest.approx(30.0)
    # standard error of the mean of 1.4, 1.5, 1.6: 0.1 / √3, times 20 crates
    assert davout.uncertainty_kg == pytest.approx(20 * 0.1 / 3**0.5)
    assert belgrand.estimated_kg == pytest.approx(12.0) and belgrand.calibrated_kg == 0
    assert belgrand.uncertainty_kg == pytest.approx(12.0 * 0.25)


def test_calibration_needs_three_recent_samples(engine):
    lead = factories.user(engine, Role.lead)
    for day in (date(2025, 1, 10), date(2026, 2, 6), date(2026, 3, 6)):
        factories.lot(engine, lead, on=day, counts=(5,), sample=(5, 10.0))  # 2 kg each
    _unweighed_kg(engine, lead)  # only two samples within 12 months: default weight
    _unweighed_kg(engine, lead, on=date(2025, 12, 20))  # Jan 2025 sample is in its window, 1 only
    with db.read_session(engine) as session:
        weights = impact.load_weights(
            session=session, start=date(2025, 1, 1), end=date(2026, 12, 31)
        )
        rows = impact.dashboard(
            session=session, actor=lead, start=date(2025, 12, 1), end=date(2026, 3, 31)
        ).months
    kind = factories.kinds(engine)[0].id
    davout = factories.market(engine).id
    assert not weights.unit(davout, kind, date(2026, 3, 1)).calibrated
    march = next(r for r in rows if r.month == date(2026, 3, 1))
    assert march.estimated_kg == pytest.approx(20 * 1.2)
    assert weights.unit(davout, kind, date(2026, 3, 1)).samples == 2


def test_default_weight_uncertainty_is_a_setting(engine, monkeypatch):
    monkeypatch.setenv("WORKSHOP_DEFAULT_WEIGHT_UNCERTAINTY", "0,1")
    lead = factories.user(engine, Role.lead)
    _unweighed_kg(engine, lead)
    with db.read_session(engine) as session:
        [row] = impact.dashboard(session=session, actor=lead, start=START, end=END).months
    assert row.uncertainty_kg == pytest.approx(24 * 0.1)


# --- Where the wood went, CO2e -------------------------------------------------------------


def _sorted_lot(engine, lead):
    """10 standard crates (1.2 kg): 6 tagged, 4 recycled; of the tagged, 2 in a build,
    1 reused, 1 firewood, 2 in stock; plus 5 crates of another lot never sorted."""
    from workshop import builds, crates

    lot = factories.lot(engine, lead, on=date(2026, 3, 6), counts=(10,))
    kind = factories.kinds(engine)[0].id
    with db.write_session(engine) as session:
        made = crates.sort_lot(
            session=session, actor=lead, lot_id=lot.id, tag={kind: 6}, remainder=Outcome.recycled
        )
    codes = [c.code for c in made]
    build = factories.build(engine, lead)
    with db.write_session(engine) as session:
        for code in codes[:2]:
            builds.attach_crate(session=session, actor=lead, build_id=build.id, text=code)
        crates.set_outcome(session=session, actor=lead, code=codes[2], outcome=Outcome.reused)
        crates.set_outcome(session=session, actor=lead, code=codes[3], outcome=Outcome.firewood)
    factories.lot(engine, lead, on=date(2026, 3, 20), counts=(5,))


def test_outcome_shares_follow_the_waste_hierarchy(engine, monkeypatch):
    monkeypatch.setenv("WORKSHOP_CO2E_FACTOR", "0.5")
    monkeypatch.setenv("WORKSHOP_CO2E_SOURCE", "Source de test")
    lead = factories.user(engine, Role.lead)
    _sorted_lot(engine, lead)
    with db.read_session(engine) as session:
        data = impact.dashboard(session=session, actor=lead, start=START, end=END)
    shares = data.outcome_kg()
    assert list(shares) == list(impact.WASTE_HIERARCHY)
    assert shares == pytest.approx(
        {
            Outcome.in_build: 2.4,
            Outcome.reused: 1.2,
            Outcome.recycled: 4.8,
            Outcome.firewood: 1.2,
            Outcome.in_stock: 2.4 + 6.0,
        }
    )
    assert sum(r.crates for r in data.outcomes) == data.totals.crates == 15
    assert data.co2e.wood_kg == pytest.approx(3.6)
    assert data.co2e.co2e_kg == pytest.approx(1.8)
    assert data.co2e.source == "Source de test"
    assert data.co2e.co2e_uncertainty_kg == pytest.approx(3.6 * 0.25 * 0.5)


def test_weighed_crates_keep_their_lots_weight_in_outcomes(engine):
    from workshop import crates

    lead = factories.user(engine, Role.lead)
    lot = factories.lot(engine, lead, on=date(2026, 3, 6), counts=(10,), sample=(5, 7.0))
    kind = factories.kinds(engine)[0].id
    with db.write_session(engine) as session:
        crates.sort_lot(session=session, actor=lead, lot_id=lot.id, tag={kind: 4})
    with db.read_session(engine) as session:
        data = impact.dashboard(session=session, actor=lead, start=START, end=END)
    [row] = data.outcomes
    assert row.outcome == Outcome.in_stock and row.crates == 10
    assert row.kg == pytest.approx(14.0) and row.estimated_kg == 0


def test_pieces_and_approved_hours_per_month(engine):
    from workshop import builds

    lead = factories.user(engine, Role.lead)
    build = factories.build(engine, lead)
    with db.write_session(engine) as session:
        builds.set_status(
            session=session, actor=lead, build_id=build.id, status=BuildStatus.in_progress
        )
        builds.set_status(
            session=session,
            actor=lead,
            build_id=build.id,
            status=BuildStatus.finished,
            on=date(2026, 5, 4),
        )
        programme = session.exec(select(Programme)).first()
        trainee = Trainee(
            display_name="Awa D.",
            programme_id=programme.id,
            start_date=date(2026, 1, 1),
            badge_code=codes.mint("B"),
        )
        session.add(trainee)
        session.flush()
        for minutes, status in ((120, HourStatus.approved), (60, HourStatus.submitted)):
            session.add(
                HourEntry(
                    trainee_id=trainee.id,
                    work_date=date(2026, 5, 5),
                    minutes=minutes,
                    activity=Activity.poncage,
                    status=status,
                    source=HourSource.staff,
                )
            )
    with db.read_session(engine) as session:
        data = impact.dashboard(session=session, actor=lead, start=START, end=END)
    assert [(p.month, p.pieces) for p in data.pieces] == [(date(2026, 5, 1), 1)]
    assert [(h.month, h.programme, h.hours) for h in data.hours] == [
        (date(2026, 5, 1), programme.name, 2.0)
    ]


# --- Market manager's month, public summary ---------------------------------------------


def test_market_month_for_its_manager_only(engine):
    lead = factories.user(engine, Role.lead)
    davout = factories.market(engine)
    belgrand = factories.market(engine, "Marché Belgrand")
    manager = factories.user(engine, Role.market_manager, market_id=davout.id)
    factories.lot(engine, lead, on=date(2026, 3, 6), counts=(10,))
    factories.lot(engine, lead, on=date(2026, 2, 6), counts=(5,))
    factories.lot(engine, lead, market_name="Marché Belgrand", on=date(2026, 3, 7), counts=(30,))
    with db.read_session(engine) as session:
        month = impact.market_month(
            session=session, actor=manager, market_id=davout.id, month=date(2026, 3, 15)
        )
        with pytest.raises(PermissionDenied) as err:
            impact.market_month(
                session=session, actor=manager, market_id=belgrand.id, month=date(2026, 3, 1)
            )
    assert err.value.key == "error.market_view.other_market"
    assert month.row.crates == 10 and month.pickups == 1
    assert (month.rank, month.markets) == (2, 2)
    assert month.all_markets == pytest.approx({"Marché Davout": 12.0, "Marché Belgrand": 36.0})
    assert len(month.trend) == 12 and month.trend[-1] == (date(2026, 3, 1), pytest.approx(12.0))
    assert month.trend[-2] == (date(2026, 2, 1), pytest.approx(6.0))
    assert month.outcomes[Outcome.in_stock] == pytest.approx(12.0)


def test_public_summary_is_off_by_default_and_has_no_personal_data(engine, monkeypatch):
    lead = factories.user(engine, Role.lead, display_name="Léa Secret")
    factories.lot(engine, lead, on=date(2026, 3, 6), counts=(10,))
    with pytest.raises(PermissionDenied) as err, db.read_session(engine) as session:
        impact.public_summary(session=session)
    assert err.value.key == "error.summary.off"
    monkeypatch.setenv("WORKSHOP_PUBLIC_SUMMARY", "oui")
    with db.read_session(engine) as session:
        summary = impact.public_summary(session=session, today=date(2026, 6, 1))
    assert summary.crates == 10 and summary.kg == pytest.approx(12.0)
    assert summary.since == date(2026, 3, 6) and summary.this_year_kg == pytest.approx(12.0)
    assert "Léa" not in repr(summary)


# --- The market's month in figures: shares and change ----------------------------------


def _market_month(outcomes: dict, trend_kg: list[float]) -> impact.MarketMonth:
    month = date(2026, 10, 1)
    trend = [(dates.add_months(month, i - len(trend_kg) + 1), kg) for i, kg in enumerate(trend_kg)]
    return impact.MarketMonth(
        market="Marché Davout",
        month=month,
        pickups=8,
        row=impact.MonthRow("Marché Davout", month, 100, 0.0, trend_kg[-1]),
        outcomes=outcomes,
        co2e=impact.Co2e(0.0, 0.0, 0.0366, "ADEME"),
        trend=trend,
    )


def test_market_month_shares_are_whole_percentages_adding_up_to_100():
    thirds = _market_month(
        {Outcome.in_build: 1.0, Outcome.reused: 1.0, Outcome.recycled: 1.0}, [10.0]
    )
    assert sorted(thirds.shares().values()) == [33, 33, 34]
    tiny = _market_month({Outcome.in_build: 0.2, Outcome.recycled: 99.8}, [10.0]).shares()
    assert tiny == {Outcome.in_build: 0, Outcome.recycled: 100}  # the page says "< 1 %"
    assert _market_month({}, [10.0]).shares() == {}


def test_market_month_compared_with_the_three_months_before():
    assert _market_month({}, [100.0, 200.0, 300.0, 300.0]).change_vs_before() == (50, 200.0)
    assert _market_month({}, [300.0, 300.0, 300.0, 150.0]).change_vs_before() == (-50, 300.0)
    assert _market_month({}, [300.0, 300.0, 300.0]).change_vs_before() is None  # 2 months only
    assert _market_month({}, [0.0, 0.0, 0.0, 120.0]).change_vs_before() is None  # nothing before

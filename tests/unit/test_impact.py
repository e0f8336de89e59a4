"""Kilos per market and month, weighed apart from estimated."""

from __future__ import annotations

from datetime import date

import pytest

from tests import factories
from workshop import charts, db, impact
from workshop.errors import PermissionDenied
from workshop.models import Role

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
        rows = impact.kg_per_market_month(session=session, actor=lead, start=START, end=END)
        totals = impact.totals(session=session, actor=lead, start=START, end=END)
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
        rows = impact.kg_per_market_month(session=session, actor=lead, start=START, end=END)
        only = impact.totals(
            session=session, actor=lead, start=START, end=END, market_ids=[belgrand.market_id]
        )
    assert sum(r.crates for r in rows) == 16
    assert only.crates == 9 and only.pickups == 1


def test_trainee_cannot_see_dashboard_figures(engine):
    trainee = factories.user(engine, Role.trainee)
    with pytest.raises(PermissionDenied), db.read_session(engine) as session:
        impact.totals(session=session, actor=trainee, start=START, end=END)


def test_chart_marks_estimated_kilos(engine):
    lead = factories.user(engine, Role.lead)
    factories.lot(engine, lead, on=date(2026, 3, 6), counts=(10,), sample=(5, 7.0))
    factories.lot(engine, lead, market_name="Marché Belgrand", on=date(2026, 3, 7), counts=(3,))
    with db.read_session(engine) as session:
        rows = impact.kg_per_market_month(session=session, actor=lead, start=START, end=END)
    fig = charts.kg_per_market_month(rows, "fr")
    names = sorted(trace.name for trace in fig.data)
    assert names == ["Marché Belgrand · estimé", "Marché Davout · pesé"]
    hatched = [t.name for t in fig.data if t.marker.pattern.shape == "/"]
    assert hatched == ["Marché Belgrand · estimé"]
    assert list(fig.data[0].x) == ["mars 2026"]
    assert fig.layout.barmode == "stack"

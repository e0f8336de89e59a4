"""The yearly wood attestation data: the dashboard's kilos per month, the outcomes by the
waste hierarchy, the producer and the collector, one PDF page and a CSV."""

from __future__ import annotations

from datetime import date

import pytest

from tests import factories
from tests.factories import read, write
from workshop import crates, i18n, impact, pickups
from workshop.documents import attestation
from workshop.errors import PermissionDenied
from workshop.models import Outcome, Role

YEAR = 2025


@pytest.fixture
def year_of_davout(engine, monkeypatch):
    """Davout in 2025: pickups in three months (weighed and estimated), crates sorted to
    firewood and recycling, some tagged and reused, the rest in stock; one 2026 pickup."""
    monkeypatch.setenv("WORKSHOP_ADDRESS", "12 rue des Vignoles, 75020 Paris")
    monkeypatch.setenv("WORKSHOP_SIRET", "123 456 789 00012")
    admin = factories.user(engine, Role.admin)
    davout = factories.market(engine)
    write(
        engine,
        pickups.update_market,
        actor=admin,
        market_id=davout.id,
        days=["mer", "sam"],
        active=True,
        operator="SAS Dadoun Père & Fils",
    )
    first = factories.lot(engine, admin, on=date(2025, 2, 5), counts=(20, 4), sample=(5, 8.5))
    second = factories.lot(engine, admin, on=date(2025, 6, 14), counts=(12,))
    factories.lot(engine, admin, on=date(2025, 11, 29), counts=(9, 0, 3), sample=(3, 4.2))
    factories.lot(engine, admin, on=date(2026, 1, 3), counts=(50,))  # not in 2025
    standard = factories.kinds(engine)[0].id
    tagged = write(engine, crates.sort_lot, actor=admin, lot_id=first.id, tag={standard: 6})
    for crate in tagged[:4]:
        write(engine, crates.set_outcome, actor=admin, code=crate.code, outcome=Outcome.reused)
    write(
        engine,
        crates.sort_lot,
        actor=admin,
        lot_id=second.id,
        tag={standard: 2},
        remainder=Outcome.firewood,
    )
    return admin, davout


def _wood(engine, admin, market_id, year=YEAR):
    return read(
        engine,
        attestation.wood_year,
        actor=admin,
        market_id=market_id,
        year=year,
        today=date(2026, 3, 2),
    )


def test_monthly_kilos_add_up_to_the_year_and_equal_the_dashboard(engine, year_of_davout):
    admin, davout = year_of_davout
    wood = _wood(engine, admin, davout.id)
    assert [m.month for m in wood.months] == [date(YEAR, n, 1) for n in range(1, 13)]
    assert sum(m.kg for m in wood.months) == pytest.approx(wood.totals.kg)
    assert sum(m.crates for m in wood.months) == wood.totals.crates == 20 + 4 + 12 + 9 + 3
    for m in [*wood.months, wood.totals]:
        assert m.weighed_kg + m.estimated_kg == pytest.approx(m.kg)
    assert wood.totals.weighed_kg > 0 and wood.totals.estimated_kg > 0
    dashboard = read(
        engine,
        impact.dashboard,
        actor=admin,
        start=date(YEAR, 1, 1),
        end=date(YEAR, 12, 31),
        market_ids=[davout.id],
    )
    shown = {m.month: m for m in wood.months if m.crates}
    assert shown == {r.month: r for r in dashboard.months}
    levels = {level.key: level.kg for level in wood.levels}
    kg = dashboard.outcome_kg()
    assert levels["reuse"] == pytest.approx(kg[Outcome.in_build] + kg[Outcome.reused])
    assert levels["energy"] == pytest.approx(kg[Outcome.firewood]) and levels["energy"] > 0
    assert levels["stock"] == pytest.approx(kg[Outcome.in_stock])
    assert sum(levels.values()) == pytest.approx(wood.totals.kg)
    assert sum(wood.shares().values()) == 100
    assert (wood.operator, wood.siret) == ("SAS Dadoun Père & Fils", "12345678900012")
    assert wood.address == "12 rue des Vignoles, 75020 Paris" and wood.complete


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_pdf_is_one_page_holding_every_figure(engine, year_of_davout, lang):
    admin, davout = year_of_davout
    wood = _wood(engine, admin, davout.id)
    pdf = attestation.render(wood, lang, today=date(2026, 3, 2))
    assert factories.pdf_pages(pdf) == 1 and len(pdf) <= 100_000
    assert all(factories.pdf_fonts(pdf).values())
    text = factories.pdf_text(pdf)
    expected = [
        "Marché Davout",
        "SAS Dadoun Père & Fils",
        "12345678900012",
        "12 rue des Vignoles, 75020 Paris",
        str(YEAR),
        attestation.doc_number(wood),
    ]
    for m in wood.months:
        one = f"{i18n.fmt_month(m.month, lang)} {i18n.fmt_number(m.crates, lang)} "
        one += " ".join(
            i18n.fmt_number(v, lang, 1) for v in (m.weighed_kg, m.estimated_kg, m.uncertainty_kg)
        )
        expected.append(f"{one} {i18n.fmt_number(m.kg, lang, 1)}")
    for level in wood.levels:
        expected.append(i18n.fmt_number(level.kg, lang, 1))
    for figure in expected:
        assert factories.shown(figure) in text, figure
    assert ("signer" if lang == "fr" else "entitled to sign") in text


def test_a_year_not_over_and_a_market_without_operator_say_so(engine, year_of_davout):
    admin, _ = year_of_davout
    belleville = factories.market(engine, "Marché de Belleville")
    wood = _wood(engine, admin, belleville.id, year=2026)
    assert not wood.complete and wood.totals.kg == 0 and wood.shares() == {}
    text = factories.pdf_text(attestation.render(wood, "fr", today=date(2026, 3, 2)))
    assert "année 2026 (année en cours)" in text and "Gestionnaire : à renseigner" in text


def test_csv_has_the_same_figures(engine, year_of_davout):
    admin, davout = year_of_davout
    wood = _wood(engine, admin, davout.id)
    lines = attestation.csv(wood, "en").decode("utf-8-sig").splitlines()
    assert lines[0] == "Month,Crates,Weighed (kg),Estimated (kg),± estimated (kg),Total (kg)"
    rows = [line.split(",") for line in lines[1:13]]
    assert [float(r[5]) for r in rows] == pytest.approx([m.kg for m in wood.months], abs=1e-3)
    assert lines[13].startswith(f"Total {YEAR},{wood.totals.crates},")
    assert float(lines[13].split(",")[5]) == pytest.approx(wood.totals.kg, abs=1e-3)
    assert lines[15].startswith("Became,")
    assert (
        attestation.filename(wood.market, YEAR, "csv") == "attestation-bois-marche-davout-2025.csv"
    )


@pytest.mark.parametrize("role", [Role.lead, Role.market_manager])
def test_attestation_is_the_admin_s(engine, year_of_davout, role):
    _, davout = year_of_davout
    with pytest.raises(PermissionDenied):
        _wood(engine, factories.user(engine, role), davout.id)


def test_operator_too_long_or_invisible_is_refused_and_nothing_written(engine):
    admin = factories.user(engine, Role.admin)
    davout = factories.market(engine)
    args = {"actor": admin, "market_id": davout.id, "days": ["lun"], "active": True}
    factories.refused(
        engine, "error.market.operator_too_long", pickups.update_market, **args, operator="x" * 201
    )
    factories.refused(
        engine, "error.text.invisible", pickups.update_market, **args, operator="SAS\x00"
    )

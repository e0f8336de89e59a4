"""The market's monthly receipt: one A4 page of real text, the page's figures, fonts embedded."""

from __future__ import annotations

from datetime import date

import pypdfium2
import pytest

from tests import factories
from workshop import dates, db, i18n, impact
from workshop.documents import receipt
from workshop.impact import Co2e, MarketMonth, MonthRow
from workshop.models import Outcome, Role

MARCH = date(2026, 3, 1)
FULL_MONTH = MarketMonth(
    market="Marché Davout",
    month=MARCH,
    pickups=7,
    row=MonthRow("Marché Davout", MARCH, 42, 18.5, 31.25, 4.5, 10.0),
    outcomes={
        Outcome.in_build: 12.5,
        Outcome.reused: 8.0,
        Outcome.recycled: 6.25,
        Outcome.firewood: 3.0,
        Outcome.in_stock: 20.0,
    },
    co2e=Co2e(20.5, 2.0, 0.45, "ADEME Base Empreinte, bois d'oeuvre"),
    trend=[(dates.add_months(MARCH, i - 11), float(i * 7 % 40)) for i in range(12)],
    rank=2,
    markets=5,
)
# Nothing collected: no rank line, empty bars, no trend.
EMPTY_MONTH = MarketMonth(
    market="Marché Belgrand",
    month=MARCH,
    pickups=0,
    row=MonthRow("Marché Belgrand", MARCH, 0, 0.0, 0.0),
    outcomes={},
    co2e=Co2e(0.0, 0.0, 0.45, "ADEME"),
)


def _month_of_a_market(engine, on: date = date(2026, 3, 6)) -> MarketMonth:
    lead = factories.user(engine, Role.lead)
    factories.lot(engine, lead, on=on, counts=(10,), sample=(5, 7.0))
    factories.lot(engine, lead, on=on, counts=(7, 4))
    with db.read_session(engine) as session:
        return impact.market_month(
            session=session, actor=lead, market_id=factories.market(engine).id, month=on
        )


def test_receipt_is_one_small_a4_page_with_its_fonts_embedded(engine):
    month = _month_of_a_market(engine)
    pdf = receipt.render(month, "fr", today=date(2026, 4, 2))
    assert pdf.startswith(b"%PDF") and len(pdf) <= 100_000
    assert receipt.render(month, "fr", today=date(2026, 4, 2)) == pdf  # same figures, same bytes
    assert factories.pdf_pages(pdf) == 1
    fonts = factories.pdf_fonts(pdf)
    assert fonts and all(fonts.values()), fonts
    assert all("DejaVu" in name for name in fonts)
    assert receipt.filename(month) == "recu-marche-davout-2026-03.pdf"
    assert receipt.filename(month, "en") == "receipt-marche-davout-2026-03.pdf"
    doc = pypdfium2.PdfDocument(pdf)
    try:
        assert doc[0].get_size() == pytest.approx((210 / 25.4 * 72, 297 / 25.4 * 72), abs=0.01)
    finally:
        doc.close()


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_receipt_text_holds_every_figure_the_page_shows(engine, lang):
    month = _month_of_a_market(engine)
    text = factories.pdf_text(receipt.render(month, lang, today=date(2026, 4, 2)))
    row = month.row
    expected = [
        month.market,
        i18n.fmt_month(month.month, lang).capitalize(),
        i18n.fmt_number(row.crates, lang),
        i18n.fmt_kg(row.kg, lang),
        i18n.fmt_kg(row.weighed_kg, lang),
        i18n.fmt_kg(row.estimated_kg, lang),
        i18n.fmt_kg(row.uncertainty_kg, lang),
        i18n.fmt_kg(month.co2e.co2e_kg, lang),
        month.co2e.source,
        receipt.doc_number(month),
        i18n.fmt_date(date(2026, 4, 2), lang),
    ]
    shares = month.shares()
    assert sum(shares.values()) == 100
    for outcome, kilos in month.outcomes.items():
        expected.append(
            f"{i18n.fmt_kg(kilos, lang)} · {i18n.fmt_number(shares.get(outcome, 0), lang)} %"
        )
    for figure in expected:
        assert factories.shown(figure) in text, figure
    assert "mois en cours" not in text and "month in progress" not in text


def test_receipt_of_a_month_not_over_says_so(engine):
    month = _month_of_a_market(engine)
    fr = factories.pdf_text(receipt.render(month, "fr", today=date(2026, 3, 20)))
    en = factories.pdf_text(receipt.render(month, "en", today=date(2026, 3, 31)))
    assert "Mars 2026 (mois en cours)" in fr
    assert "Mar 2026 (month in progress)" in en


@pytest.mark.parametrize("month", [FULL_MONTH, EMPTY_MONTH], ids=["full", "empty"])
@pytest.mark.parametrize("lang", ["fr", "en"])
def test_receipt_of_made_up_months(month: MarketMonth, lang: str) -> None:
    pdf = receipt.render(month, lang, today=date(2026, 4, 2))
    text = factories.pdf_text(pdf)
    assert factories.pdf_pages(pdf) == 1 and len(pdf) <= 100_000
    assert month.market in text
    assert factories.shown(i18n.fmt_kg(month.row.kg, lang)) in text
    assert ("2 sur 5" in text or "2 of 5" in text) == bool(month.markets)


def test_document_number_follows_the_figures() -> None:
    other = MarketMonth(
        market=FULL_MONTH.market,
        month=FULL_MONTH.month,
        pickups=FULL_MONTH.pickups + 1,
        row=FULL_MONTH.row,
        outcomes=FULL_MONTH.outcomes,
        co2e=FULL_MONTH.co2e,
    )
    assert receipt.doc_number(FULL_MONTH).startswith("REC-2026-03-")
    assert receipt.doc_number(other) != receipt.doc_number(FULL_MONTH)
    assert receipt.doc_number(FULL_MONTH) == receipt.doc_number(FULL_MONTH)

"""The market's monthly receipt: a one-page PDF, the same bytes for the same figures."""

from __future__ import annotations

import hashlib
from datetime import date

import pypdfium2
import pytest

from tests import factories
from workshop import dates, db, impact, receipts
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


def test_receipt_is_a_one_page_pdf(engine):
    lead = factories.user(engine, Role.lead)
    factories.lot(engine, lead, on=date(2026, 3, 6), counts=(10,), sample=(5, 7.0))
    with db.read_session(engine) as session:
        month = impact.market_month(
            session=session,
            actor=lead,
            market_id=factories.market(engine).id,
            month=date(2026, 3, 1),
        )
    pdf = receipts.render(month, "fr", today=date(2026, 4, 2))
    assert pdf.startswith(b"%PDF") and len(pdf) < 300_000
    assert receipts.render(month, "fr", today=date(2026, 4, 2)) == pdf  # same figures, same bytes
    doc = pypdfium2.PdfDocument(pdf)
    assert len(doc) == 1
    assert receipts.filename(month) == "recu-marche-davout-2026-03.pdf"
    assert receipts.filename(month, "en") == "receipt-marche-davout-2026-03.pdf"


@pytest.mark.parametrize(
    ("month", "lang", "sha256"),
    [
        (FULL_MONTH, "fr", "4ca263b538b5012c9e10b41a5d95886f612e017351eca2e2a6f078adf0517b91"),
        (FULL_MONTH, "en", "e31988a351ab58f614bde676f20bfe57978af5c49f5c5525855a39b98081c7e0"),
        (EMPTY_MONTH, "fr", "05c9bb61198772c25526d682210e4c0e5e32d7366ebe71192dbe5086257d2042"),
        (EMPTY_MONTH, "en", "872668585546c629b0edfb005398769a5df514618b6f1033ffe3065249b7ae59"),
    ],
    ids=["full-fr", "full-en", "empty-fr", "empty-en"],
)
def test_receipt_bytes_are_pinned(
    month: MarketMonth, lang: str, sha256: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The receipt's every pixel, pinned: a change to the code must not move a thing.

    The hashes were taken before `render` was split into sections. They also change
    with the layout, the `receipt.*` messages, the fonts or Pillow's text rendering:
    after such a change on purpose, look at the new PDF, then update the hash.
    """
    monkeypatch.setenv("WORKSHOP_NAME", "Atelier Cagettes · Wikivillage & Extramuros")
    pdf = receipts.render(month, lang, today=date(2026, 4, 2))
    assert hashlib.sha256(pdf).hexdigest() == sha256


def test_receipt_page_is_a4() -> None:
    doc = pypdfium2.PdfDocument(receipts.render(FULL_MONTH, "fr", today=date(2026, 4, 2)))
    try:
        width, height = doc[0].get_size()
    finally:
        doc.close()
    assert (width, height) == pytest.approx((210 / 25.4 * 72, 297 / 25.4 * 72), abs=0.01)

"""A market's one-page monthly receipt (PDF): crates, kilos, where the wood went, CO2e, trend.

Every figure is the market page's (`impact.market_month`), with the same rounding: the
shares of the outcomes are `MarketMonth.shares()`, whole percentages adding up to 100.
"""

from __future__ import annotations

from datetime import date

from workshop import dates, i18n
from workshop.documents.layout import Document, capitalised, number, slug
from workshop.impact import WASTE_HIERARCHY, MarketMonth

# Furniture and reuse, the best uses of the wood, get strong bars.
_STRONG_OUTCOMES = WASTE_HIERARCHY[:2]


def doc_number(month: MarketMonth) -> str:
    """The receipt's number: its month and a checksum of its figures."""
    row = month.row
    figures = (month.market, row.crates, round(row.kg, 3), month.pickups, sorted(month.shares()))
    return number("REC", f"{month.month:%Y-%m}", *figures)


def _heading(doc: Document, month: MarketMonth, today: date) -> None:
    shown = i18n.fmt_month(month.month, doc.lang).capitalize()
    if dates.month_end(month.month) >= today:
        shown = doc.t("receipt.in_progress", month=shown)
    doc.heading(doc.t("receipt.title", market=month.market), shown)


def _figures(doc: Document, month: MarketMonth) -> None:
    row = month.row
    doc.figures(
        [
            (doc.t("receipt.crates"), doc.num(row.crates)),
            (doc.t("receipt.kg"), doc.kg(row.kg)),
            (doc.t("receipt.pickups"), doc.num(month.pickups)),
            (doc.t("receipt.co2e"), doc.kg(month.co2e.co2e_kg) + " CO2e"),
        ]
    )
    doc.text(
        doc.t(
            "receipt.kg_detail",
            weighed=doc.kg(row.weighed_kg),
            estimated=doc.kg(row.estimated_kg),
            band=doc.kg(row.uncertainty_kg),
        ),
        9,
    )
    if month.markets:
        doc.text(doc.t("receipt.rank", rank=month.rank, markets=month.markets), 9)
    doc.down(3)


def _outcomes(doc: Document, month: MarketMonth) -> None:
    doc.section(doc.t("receipt.outcomes"))
    shares = month.shares()
    doc.bars(
        [
            (
                capitalised(doc.t(f"outcome.{outcome.value}")),
                month.outcomes.get(outcome, 0.0),
                f"{doc.kg(month.outcomes.get(outcome, 0.0))} · {doc.num(shares.get(outcome, 0))} %",
                outcome in _STRONG_OUTCOMES,
            )
            for outcome in WASTE_HIERARCHY
        ]
    )


def _co2e(doc: Document, month: MarketMonth) -> None:
    co2e = month.co2e
    doc.section(doc.t("receipt.co2e_title"))
    doc.text(
        doc.t(
            "receipt.co2e_line",
            wood=doc.kg(co2e.wood_kg),
            co2e=doc.kg(co2e.co2e_kg),
            factor=doc.num(co2e.factor * 1000, 1),
        ),
        10,
    )
    doc.text(doc.t("receipt.source", source=co2e.source_in(doc.lang)), 8, muted=True)
    doc.down(2)


def _trend(doc: Document, month: MarketMonth) -> None:
    doc.section(doc.t("receipt.trend"))
    doc.columns(
        [
            (i18n.fmt_month(m, doc.lang), kilos, doc.num(kilos), m == month.month)
            for m, kilos in month.trend
        ]
    )
    doc.text(doc.t("receipt.trend_note"), 8, muted=True)
    doc.down(3)
    doc.text(doc.t("receipt.method"), 8, muted=True)


def render(month: MarketMonth, lang: str, *, today: date | None = None) -> bytes:
    """The receipt of `month` as a one-page A4 PDF in `lang`, made `today`."""
    made = today or dates.today()
    doc = Document(
        lang,
        title=i18n.translate("receipt.title", lang, market=month.market),
        doc_number=doc_number(month),
        made=made,
    )
    _heading(doc, month, made)
    _figures(doc, month)
    _outcomes(doc, month)
    _co2e(doc, month)
    _trend(doc, month)
    return doc.output()


def filename(month: MarketMonth, lang: str = "fr") -> str:
    """`recu-marche-davout-2026-03.pdf`-style name (`receipt-…` in English)."""
    prefix = "receipt" if lang == "en" else "recu"
    return f"{prefix}-{slug(month.market) or 'marche'}-{month.month:%Y-%m}.pdf"

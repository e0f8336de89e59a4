"""The yearly wood attestation data of one market (PDF, one page; CSV beside it).

The decree of 21 December 2021 on the "7 flux" sorting obligation asks a collector to
give each producer, by 31 March, an attestation of the waste collected over the past
year and where it went. For the workshop the producer is the market (named with its
operator), the waste is crate wood. The figures are the dashboard's for that market
and year (`impact.dashboard`): kilos per month, weighed and estimated apart with the
uncertainty band of the estimated part, and the outcomes by the waste hierarchy.
The document is the attestation's data; whoever is entitled to sign signs it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlmodel import Session

from workshop import config, dates, i18n, impact, spreadsheets
from workshop.accounts import Permission, require
from workshop.documents.layout import Document, number, slug
from workshop.errors import NotFound
from workshop.impact import MonthRow, Totals
from workshop.models import Market, Outcome, User

KG_DECIMALS = 1
# The waste hierarchy as the attestation states it: what the wood became, best first.
LEVELS: tuple[tuple[str, tuple[Outcome, ...]], ...] = (
    ("reuse", (Outcome.in_build, Outcome.reused)),
    ("recycling", (Outcome.recycled,)),
    ("energy", (Outcome.firewood,)),
    ("stock", (Outcome.in_stock,)),
)


@dataclass(frozen=True)
class Level:
    """Kilos of one level of the waste hierarchy, and the ± band on their estimated part."""

    key: str
    kg: float
    uncertainty_kg: float


@dataclass(frozen=True)
class WoodYear:
    """What a market gave the workshop in a year, month by month, and where it went."""

    year: int
    market: str
    operator: str
    collector: str
    address: str
    siret: str
    months: list[MonthRow]  # the twelve months, January first, zeros included
    totals: Totals
    levels: list[Level]
    complete: bool  # the year is over

    def shares(self) -> dict[str, int]:
        """Whole percentages of the levels adding up to 100 (largest remainders)."""
        return impact.whole_percentages({level.key: level.kg for level in self.levels})


def wood_year(
    *, session: Session, actor: User, market_id: int, year: int, today: date | None = None
) -> WoodYear:
    """The attestation's data for one market and year (admin)."""
    require(actor, Permission.documents)
    market = session.get(Market, market_id)
    if market is None:
        raise NotFound("error.market.unknown")
    start, end = date(year, 1, 1), date(year, 12, 31)
    data = impact.dashboard(
        session=session, actor=actor, start=start, end=end, market_ids=[market_id]
    )
    by_month = {row.month: row for row in data.months}
    months = [
        by_month.get(m, MonthRow(market.name, m, 0, 0.0, 0.0))
        for m in (date(year, n, 1) for n in range(1, 13))
    ]
    levels = [
        Level(
            key,
            sum(r.kg for r in data.outcomes if r.outcome in outcomes),
            sum(r.uncertainty_kg for r in data.outcomes if r.outcome in outcomes),
        )
        for key, outcomes in LEVELS
    ]
    return WoodYear(
        year=year,
        market=market.name,
        operator=market.operator,
        collector=config.workshop_name(),
        address=config.workshop_address(),
        siret=config.workshop_siret(),
        months=months,
        totals=data.totals,
        levels=levels,
        complete=end < (today or dates.today()),
    )


def doc_number(wood: WoodYear) -> str:
    """The document's number: its year and a checksum of its figures."""
    return number(
        "ATT",
        str(wood.year),
        wood.market,
        wood.operator,
        wood.siret,
        [round(m.kg, 3) for m in wood.months],
        [round(level.kg, 3) for level in wood.levels],
    )


def _kg(doc: Document, value: float) -> str:
    return doc.num(value, KG_DECIMALS)


def _parties(doc: Document, wood: WoodYear) -> None:
    missing = doc.t("attestation.missing")
    doc.section(doc.t("attestation.producer"))
    doc.text(doc.t("attestation.market", market=wood.market), 9.5)
    doc.text(doc.t("attestation.operator", operator=wood.operator or missing), 9.5)
    doc.section(doc.t("attestation.collector"))
    doc.text(wood.collector, 9.5)
    doc.text(doc.t("attestation.address", address=wood.address or missing), 9.5)
    doc.text(doc.t("attestation.siret", siret=wood.siret or missing), 9.5)


def _months(doc: Document, wood: WoodYear) -> None:
    doc.section(doc.t("attestation.months"))
    rows = [
        [
            i18n.fmt_month(m.month, doc.lang),
            doc.num(m.crates),
            _kg(doc, m.weighed_kg),
            _kg(doc, m.estimated_kg),
            _kg(doc, m.uncertainty_kg),
            _kg(doc, m.kg),
        ]
        for m in wood.months
    ]
    totals = wood.totals
    rows.append(
        [
            doc.t("attestation.year_total", year=str(wood.year)),
            doc.num(totals.crates),
            _kg(doc, totals.weighed_kg),
            _kg(doc, totals.estimated_kg),
            _kg(doc, totals.uncertainty_kg),
            _kg(doc, totals.kg),
        ]
    )
    doc.table(_month_header(doc.lang), rows, [34, 22, 28, 28, 30, 32], size=8, total=True)


def _month_header(lang: str) -> list[str]:
    return [
        i18n.translate(f"attestation.col.{key}", lang)
        for key in ("month", "crates", "weighed", "estimated", "band", "total")
    ]


def _levels(doc: Document, wood: WoodYear) -> None:
    doc.section(doc.t("attestation.outcomes"))
    shares = wood.shares()
    rows = [
        [
            doc.t(f"attestation.level.{level.key}"),
            _kg(doc, level.kg),
            _kg(doc, level.uncertainty_kg),
            f"{doc.num(shares.get(level.key, 0))} %",
        ]
        for level in wood.levels
    ]
    header = [doc.t("attestation.col.level"), doc.t("attestation.col.total")]
    header += [doc.t("attestation.col.band"), doc.t("attestation.col.share")]
    doc.table(header, rows, [82, 32, 30, 30], size=8)


def render(wood: WoodYear, lang: str, *, today: date | None = None) -> bytes:
    """The attestation's data as a one-page A4 PDF in `lang`."""
    made = today or dates.today()
    title = i18n.translate("attestation.title", lang)
    doc = Document(lang, title=title, doc_number=doc_number(wood), made=made)
    subtitle = doc.t("attestation.subtitle", market=wood.market, year=str(wood.year))
    if not wood.complete:
        subtitle = doc.t("attestation.in_progress", subtitle=subtitle)
    doc.heading(title, subtitle)
    doc.text(doc.t("attestation.what"), 8.5)
    _parties(doc, wood)
    _months(doc, wood)
    _levels(doc, wood)
    doc.text(doc.t("attestation.method"), 7.5, muted=True)
    doc.down(2)
    doc.text(doc.t("attestation.signature"), 9, bold=True)
    doc.text(doc.t("attestation.signature_lines"), 9)
    return doc.output()


def csv(wood: WoodYear, lang: str = "fr") -> bytes:
    """The same figures as CSV: the months and the year's total, then where the wood went."""
    table: list[list[Any]] = [_month_header(lang)]
    table.extend(
        [m.month.strftime("%Y-%m"), m.crates, m.weighed_kg, m.estimated_kg, m.uncertainty_kg, m.kg]
        for m in wood.months
    )
    t = wood.totals
    total = i18n.translate("attestation.year_total", lang, year=str(wood.year))
    table.append([total, t.crates, t.weighed_kg, t.estimated_kg, t.uncertainty_kg, t.kg])
    table.append([])
    table.append(
        [
            i18n.translate(f"attestation.col.{key}", lang)
            for key in ("level", "total", "band", "share")
        ]
    )
    shares = wood.shares()
    table.extend(
        [
            i18n.translate(f"attestation.level.{level.key}", lang),
            level.kg,
            level.uncertainty_kg,
            shares.get(level.key, 0),
        ]
        for level in wood.levels
    )
    return spreadsheets.csv_bytes(table, lang, decimals=3)


def filename(market: str, year: int, ext: str) -> str:
    """`attestation-bois-marche-davout-2025.pdf`-style names."""
    return f"attestation-bois-{slug(market) or 'marche'}-{year}.{ext}"


def pdf(*, session: Session, actor: User, market_id: int, year: int, lang: str) -> bytes:
    """The attestation of one market and year, straight to PDF."""
    return render(wood_year(session=session, actor=actor, market_id=market_id, year=year), lang)

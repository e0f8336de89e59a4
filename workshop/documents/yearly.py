"""The yearly activity report (for the tiers-lieu's board, the mairie and the funders): PDF
with vector charts, and XLSX.

Every figure comes from the calls the pages make: kilos, outcomes, CO2e, pieces and
hours per programme from `impact.dashboard` (the dashboard), where the pieces went from
`impact.pieces_by_status`, hours per activity and the trainees from
`hours.monthly_report` (the hour reports), the other venues from `venues` (their page).
"""

from __future__ import annotations

import io
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from sqlmodel import Session

from workshop import dates, hours, i18n, impact, spreadsheets, venues
from workshop.accounts import Permission, require
from workshop.documents.funders import programme_name
from workshop.documents.layout import Document, capitalised, number
from workshop.impact import WASTE_HIERARCHY, Co2e, Totals
from workshop.models import Activity, BuildStatus, Outcome, User

# Furniture and reuse: the wood's best uses, the numerator of the reuse rate.
REUSE = (Outcome.in_build, Outcome.reused)
DESTINATIONS = (BuildStatus.sold, BuildStatus.donated, BuildStatus.installed, BuildStatus.finished)


@dataclass(frozen=True)
class MarketYear:
    """Crates and kilos collected at one market in the year."""

    market: str
    crates: int
    weighed_kg: float
    estimated_kg: float
    uncertainty_kg: float

    @property
    def kg(self) -> float:
        """Weighed and estimated kilos together."""
        return self.weighed_kg + self.estimated_kg


@dataclass(frozen=True)
class VenueFigure:
    """One venue's metric summed over the year (the workshop's computed, the others typed)."""

    venue: str
    metric: str
    value: float
    own: bool


@dataclass(frozen=True)
class YearlyReport:
    """Every figure of the yearly report."""

    year: int
    complete: bool
    totals: Totals
    months: list[tuple[date, float]]  # kilos of each month, January first
    markets: list[MarketYear]  # most kilos first
    outcomes: dict[Outcome, float]
    co2e: Co2e
    pieces: int
    destinations: dict[BuildStatus, int]
    hours: dict[str, dict[Activity, int]]  # programme → activity → approved minutes
    trainees: int  # people with approved hours in the year
    venues: list[VenueFigure]

    @property
    def sorted_kg(self) -> float:
        """Kilos that have been sorted: every outcome but "still in stock"."""
        return sum(kg for o, kg in self.outcomes.items() if o != Outcome.in_stock)

    @property
    def reuse_rate(self) -> float | None:
        """Furniture and reuse ÷ all sorted wood (None: nothing sorted yet)."""
        if self.sorted_kg <= 0:
            return None
        return sum(self.outcomes[o] for o in REUSE) / self.sorted_kg

    def shares(self) -> dict[Outcome, int]:
        """Whole percentages of the kilos per outcome adding up to 100 (largest remainders)."""
        return impact.whole_percentages(self.outcomes)


def _markets(data: impact.Dashboard) -> list[MarketYear]:
    acc: dict[str, list[float]] = defaultdict(lambda: [0, 0.0, 0.0, 0.0])
    for row in data.months:
        got = acc[row.market]
        got[0] += row.crates
        got[1] += row.weighed_kg
        got[2] += row.estimated_kg
        got[3] += row.uncertainty_kg
    rows = [MarketYear(m, int(c), w, e, u) for m, (c, w, e, u) in acc.items()]
    return sorted(rows, key=lambda r: (-r.kg, r.market))


def _hours(
    session: Session, actor: User, year: int, lang: str
) -> tuple[dict[str, dict[Activity, int]], int]:
    """Approved minutes per programme and activity, and how many people worked them."""
    out: dict[str, dict[Activity, int]] = {}
    people: set[int] = set()
    for programme in hours.programmes(session=session, active_only=False):
        minutes = dict.fromkeys(Activity, 0)
        for n in range(1, 13):
            report = hours.monthly_report(
                session=session, actor=actor, programme_id=programme.id or 0, month=date(year, n, 1)
            )
            for activity, m in report.by_activity().items():
                minutes[activity] += m
            people.update(r.trainee_id for r in report.rows if r.total)
        if any(minutes.values()):
            out[programme_name(programme, lang)] = minutes
    return out, len(people)


def _venues(
    session: Session, actor: User, data: impact.Dashboard, start: date, end: date, lang: str
) -> list[VenueFigure]:
    typed = venues.values(session=session, actor=actor, start=start, end=end)
    own = data.venue_figures()
    figures = []
    for item in venues.list_venues(session=session, actor=actor):
        for metric in item.metrics:
            by_month = own.get(metric.name, {}) if item.venue.own else typed.get(metric.id or 0, {})
            figures.append(
                VenueFigure(
                    item.venue.name,
                    venues.metric_name(metric, lang),
                    sum(by_month.values()),
                    item.venue.own,
                )
            )
    return figures


def yearly_report(
    *, session: Session, actor: User, year: int, lang: str = "fr", today: date | None = None
) -> YearlyReport:
    """Every figure of `year`'s activity report (admin); names in `lang`."""
    require(actor, Permission.documents)
    start, end = date(year, 1, 1), date(year, 12, 31)
    data = impact.dashboard(session=session, actor=actor, start=start, end=end)
    kilos: dict[date, float] = defaultdict(float)
    for row in data.months:
        kilos[row.month] += row.kg
    by_programme, trainees = _hours(session, actor, year, lang)
    return YearlyReport(
        year=year,
        complete=end < (today or dates.today()),
        totals=data.totals,
        months=[(date(year, n, 1), kilos[date(year, n, 1)]) for n in range(1, 13)],
        markets=_markets(data),
        outcomes=data.outcome_kg(),
        co2e=data.co2e,
        pieces=sum(p.pieces for p in data.pieces),
        destinations=impact.pieces_by_status(session=session, actor=actor, start=start, end=end),
        hours=by_programme,
        trainees=trainees,
        venues=_venues(session, actor, data, start, end, lang),
    )


def doc_number(report: YearlyReport) -> str:
    """The report's number: its year and a checksum of its main figures."""
    return number(
        "RAP",
        str(report.year),
        report.totals.crates,
        round(report.totals.kg, 3),
        report.pieces,
        sorted((p, sorted(m.values())) for p, m in report.hours.items()),
    )


def _hours_text(doc: Document, minutes: int) -> str:
    return doc.num(minutes / 60, 2)


def _summary(doc: Document, report: YearlyReport) -> None:
    totals = report.totals
    rate = report.reuse_rate
    doc.figures(
        [
            (doc.t("yearly.crates"), doc.num(totals.crates)),
            (doc.t("yearly.kg"), doc.kg(totals.kg)),
            (doc.t("yearly.reuse_rate"), "–" if rate is None else f"{doc.num(100 * rate)} %"),
            (doc.t("yearly.co2e"), doc.kg(report.co2e.co2e_kg) + " CO2e"),
        ]
    )
    doc.text(
        doc.t(
            "yearly.kg_detail",
            weighed=doc.kg(totals.weighed_kg),
            estimated=doc.kg(totals.estimated_kg),
            band=doc.kg(totals.uncertainty_kg),
            pickups=doc.num(totals.pickups),
            markets=doc.num(len(report.markets)),
        ),
        9,
    )
    doc.text(doc.t("yearly.reuse_rate_help"), 8, muted=True)


def _charts(doc: Document, report: YearlyReport) -> None:
    doc.section(doc.t("yearly.months"))
    doc.columns([(i18n.fmt_month(m, doc.lang), kg, doc.num(kg), True) for m, kg in report.months])
    doc.section(doc.t("yearly.outcomes"))
    shares = report.shares()
    doc.bars(
        [
            (
                capitalised(doc.t(f"outcome.{o.value}")),
                report.outcomes[o],
                f"{doc.kg(report.outcomes[o])} · {doc.num(shares.get(o, 0))} %",
                o in REUSE,
            )
            for o in WASTE_HIERARCHY
        ]
    )
    co2e = report.co2e
    doc.text(
        doc.t(
            "receipt.co2e_line",
            wood=doc.kg(co2e.wood_kg),
            co2e=doc.kg(co2e.co2e_kg),
            factor=doc.num(co2e.factor * 1000, 1),
        ),
        9,
    )
    doc.text(doc.t("receipt.source", source=co2e.source_in(doc.lang)), 7.5, muted=True)


def _markets_table(doc: Document, report: YearlyReport) -> None:
    doc.section(doc.t("yearly.markets"))
    rows = [
        [
            m.market,
            doc.num(m.crates),
            doc.num(m.weighed_kg, 1),
            doc.num(m.estimated_kg, 1),
            doc.num(m.uncertainty_kg, 1),
            doc.num(m.kg, 1),
        ]
        for m in report.markets
    ]
    t = report.totals
    rows.append(
        [
            doc.t("yearly.all_markets"),
            doc.num(t.crates),
            doc.num(t.weighed_kg, 1),
            doc.num(t.estimated_kg, 1),
            doc.num(t.uncertainty_kg, 1),
            doc.num(t.kg, 1),
        ]
    )
    header = [doc.t("yearly.col.market"), *_kg_header(doc.lang)]
    doc.table(header, rows, [60, 20, 24, 24, 24, 22], size=7.5, total=True)


def _kg_header(lang: str) -> list[str]:
    return [
        i18n.translate(f"attestation.col.{key}", lang)
        for key in ("crates", "weighed", "estimated", "band", "total")
    ]


def _pieces(doc: Document, report: YearlyReport) -> None:
    doc.section(doc.t("yearly.pieces", n=doc.num(report.pieces)))
    doc.bars(
        [
            (
                doc.t(f"yearly.destination.{s.value}"),
                float(report.destinations[s]),
                doc.num(report.destinations[s]),
                s != BuildStatus.finished,
            )
            for s in DESTINATIONS
        ]
    )


def _hours_table(doc: Document, report: YearlyReport) -> None:
    doc.section(doc.t("yearly.hours", n=doc.num(report.trainees)))
    if not report.hours:
        doc.text(doc.t("yearly.no_hours"), 9)
        return
    programmes = list(report.hours)
    rows = [
        [doc.t(f"activity.{a.value}"), *(_hours_text(doc, report.hours[p][a]) for p in programmes)]
        for a in Activity
    ]
    rows.append(
        [
            doc.t("yearly.all_activities"),
            *(_hours_text(doc, sum(report.hours[p].values())) for p in programmes),
        ]
    )
    first = 50.0
    widths = [first, *([(doc.width - first) / len(programmes)] * len(programmes))]
    doc.table([doc.t("yearly.col.activity"), *programmes], rows, widths, size=7.5, total=True)


def _venues_table(doc: Document, report: YearlyReport) -> None:
    doc.section(doc.t("yearly.venues"))
    rows = [
        [f.venue, f.metric, doc.num(f.value, 0 if float(f.value).is_integer() else 1)]
        for f in report.venues
    ]
    header = [doc.t("yearly.col.venue"), doc.t("yearly.col.metric"), str(report.year)]
    doc.table(header, rows, [70, 70, 34], size=7.5, text_columns=2)
    doc.text(doc.t("yearly.venues_help"), 7.5, muted=True)


def render(report: YearlyReport, lang: str, *, today: date | None = None) -> bytes:
    """The yearly report as an A4 PDF in `lang`."""
    made = today or dates.today()
    title = i18n.translate("yearly.title", lang, year=str(report.year))
    doc = Document(lang, title=title, doc_number=doc_number(report), made=made)
    subtitle = doc.t("yearly.subtitle")
    if not report.complete:
        subtitle = doc.t("yearly.in_progress", subtitle=subtitle)
    doc.heading(title, subtitle)
    _summary(doc, report)
    _charts(doc, report)
    _pieces(doc, report)
    _hours_table(doc, report)
    _markets_table(doc, report)
    _venues_table(doc, report)
    return doc.output()


def _sheet(book: Workbook, title: str, header: list[str], rows: list[list[Any]]) -> None:
    sheet = book.create_sheet(title[:31])
    sheet.append(spreadsheets.safe_row(header))
    for values in rows:
        sheet.append(spreadsheets.safe_row(values))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.column_dimensions["A"].width = 34
    sheet.freeze_panes = "B2"


def xlsx(report: YearlyReport, lang: str = "fr") -> bytes:
    """The yearly report's tables as a workbook, one sheet each, full precision."""

    def t(key: str, **params: Any) -> str:
        return i18n.translate(key, lang, **params)

    book = Workbook()
    first = book.active
    assert first is not None
    book.remove(first)
    total = report.totals
    _sheet(
        book,
        t("yearly.sheet.markets"),
        [t("yearly.col.market"), *_kg_header(lang)],
        [
            *(
                [m.market, m.crates, m.weighed_kg, m.estimated_kg, m.uncertainty_kg, m.kg]
                for m in report.markets
            ),
            [
                t("yearly.all_markets"),
                total.crates,
                total.weighed_kg,
                total.estimated_kg,
                total.uncertainty_kg,
                total.kg,
            ],
        ],
    )
    shares = report.shares()
    _sheet(
        book,
        t("yearly.sheet.outcomes"),
        [t("attestation.col.level"), t("attestation.col.total"), t("attestation.col.share")],
        [[t(f"outcome.{o.value}"), report.outcomes[o], shares.get(o, 0)] for o in WASTE_HIERARCHY]
        + [
            [t("yearly.reuse_rate"), report.reuse_rate, ""],
            [t("yearly.co2e"), report.co2e.co2e_kg, report.co2e.source_in(lang)],
        ],
    )
    _sheet(
        book,
        t("yearly.sheet.pieces"),
        [t("yearly.col.destination"), t("yearly.col.pieces")],
        [[t(f"yearly.destination.{s.value}"), report.destinations[s]] for s in DESTINATIONS]
        + [[t("yearly.all_pieces"), report.pieces]],
    )
    programmes = list(report.hours)
    _sheet(
        book,
        t("yearly.sheet.hours"),
        [t("yearly.col.activity"), *programmes],
        [
            [t(f"activity.{a.value}"), *(report.hours[p][a] / 60 for p in programmes)]
            for a in Activity
        ]
        + [
            [t("yearly.all_activities"), *(sum(report.hours[p].values()) / 60 for p in programmes)],
            [t("yearly.trainees"), report.trainees],
        ],
    )
    _sheet(
        book,
        t("yearly.sheet.venues"),
        [t("yearly.col.venue"), t("yearly.col.metric"), str(report.year)],
        [[f.venue, f.metric, f.value] for f in report.venues],
    )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def pdf(*, session: Session, actor: User, year: int, lang: str) -> bytes:
    """The report of `year`, straight to PDF."""
    return render(yearly_report(session=session, actor=actor, year=year, lang=lang), lang)


def workbook(*, session: Session, actor: User, year: int, lang: str) -> bytes:
    """The report of `year`, straight to XLSX."""
    return xlsx(yearly_report(session=session, actor=actor, year=year, lang=lang), lang)


def filename(year: int, ext: str) -> str:
    """`rapport-activite-2026.pdf`-style names."""
    return f"rapport-activite-{year}.{ext}"

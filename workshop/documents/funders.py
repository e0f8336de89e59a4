"""The funders' monthly pack: per programme, one row per person-month with the hours worked
and the FTE share, the month's entries and exits, and the totals (XLSX, CSV).

The figures are the hour reports' (`hours.monthly_report`, the same call as the hour
reports page): approved hours only, counted in the programme they were worked under,
FTE share = hours ÷ the monthly FTE hours setting. Entries and exits are the contract's
start and end dates when they fall in the month, shown in the trainee's current
programme. Hours are decimal numbers: quarter hours are exact in binary.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from sqlmodel import Session

from workshop import dates, hours, i18n, spreadsheets
from workshop.hours import MonthReport
from workshop.models import Programme, Trainee, User

FTE_DECIMALS = 4
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


@dataclass(frozen=True)
class PersonMonth:
    """One person's month in one programme."""

    name: str
    pseudonym: str
    minutes: int
    fte: float
    entered: date | None  # contract started this month
    left: date | None  # contract ended this month


@dataclass(frozen=True)
class ProgrammeMonth:
    """A programme's month: the hour report and its person-months."""

    report: MonthReport
    people: list[PersonMonth]

    @property
    def entries(self) -> int:
        """Contracts started in the month."""
        return sum(1 for p in self.people if p.entered)

    @property
    def exits(self) -> int:
        """Contracts ended in the month."""
        return sum(1 for p in self.people if p.left)


@dataclass(frozen=True)
class FundersPack:
    """Every programme's month."""

    month: date
    base_hours: float
    programmes: list[ProgrammeMonth]


def _in_month(day: date | None, month: date) -> date | None:
    first, nxt = dates.month_bounds(month)
    return day if day is not None and first <= day < nxt else None


def _programme_month(report: MonthReport, trainees: dict[int, Trainee]) -> ProgrammeMonth:
    people = []
    for row in report.rows:
        trainee = trainees.get(row.trainee_id)
        here = trainee is not None and trainee.programme_id == report.programme.id
        people.append(
            PersonMonth(
                name=row.name,
                pseudonym=row.pseudonym,
                minutes=row.total,
                fte=round(report.etp(row.total), FTE_DECIMALS),
                entered=_in_month(trainee.start_date, report.month) if here and trainee else None,
                left=_in_month(trainee.end_date, report.month) if here and trainee else None,
            )
        )
    return ProgrammeMonth(report, people)


def monthly_pack(*, session: Session, actor: User, month: date) -> FundersPack:
    """Every programme's approved hours, FTE shares, entries and exits in `month` (lead, admin)."""
    trainees = {t.id or 0: t for t in hours.list_trainees(session=session, actor=actor)}
    reports = [
        hours.monthly_report(session=session, actor=actor, programme_id=p.id or 0, month=month)
        for p in hours.programmes(session=session, active_only=False)
    ]
    programmes = [_programme_month(r, trainees) for r in reports if r.rows]
    base = reports[0].base_hours if reports else 0.0
    return FundersPack(month=month.replace(day=1), base_hours=base, programmes=programmes)


def _t(key: str, lang: str, **params: Any) -> str:
    return i18n.translate(key, lang, **params)


def programme_name(programme: Programme, lang: str) -> str:
    """A programme's name in `lang`."""
    return programme.name_en if lang == "en" and programme.name_en else programme.name


def header(lang: str, *, pseudonymised: bool) -> list[str]:
    """The columns of a programme's sheet, named as the programmes report them."""
    return [
        _t("funders.col.pseudonym" if pseudonymised else "funders.col.person", lang),
        _t("funders.col.hours", lang),
        _t("funders.col.fte", lang),
        _t("funders.col.entry", lang),
        _t("funders.col.exit", lang),
    ]


def rows(part: ProgrammeMonth, lang: str, *, pseudonymised: bool) -> list[list[Any]]:
    """One row per person-month, then the totals (hours, FTE, entries, exits)."""
    out: list[list[Any]] = [
        [
            p.pseudonym if pseudonymised else p.name,
            p.minutes / 60,
            p.fte,
            p.entered or "",
            p.left or "",
        ]
        for p in part.people
    ]
    report = part.report
    out.append(
        [
            _t("funders.col.total", lang),
            report.total / 60,
            round(report.etp(report.total), FTE_DECIMALS),
            part.entries,
            part.exits,
        ]
    )
    return out


def _sheet_title(name: str, taken: set[str]) -> str:
    """An Excel sheet name: at most 31 characters, none of []:*?/\\, unique in the book."""
    base = _SHEET_FORBIDDEN.sub(" ", name).strip()[:31] or "?"
    title, n = base, 2
    while title.lower() in taken:
        suffix = f" ({n})"
        title, n = base[: 31 - len(suffix)] + suffix, n + 1
    taken.add(title.lower())
    return title


def xlsx(pack: FundersPack, lang: str = "fr", *, pseudonymised: bool = False) -> bytes:
    """The pack as a workbook: one sheet per programme, then a sheet saying what it holds."""
    book = Workbook()
    first = book.active
    assert first is not None
    book.remove(first)
    taken: set[str] = set()
    for part in pack.programmes:
        sheet = book.create_sheet(_sheet_title(programme_name(part.report.programme, lang), taken))
        sheet.append(spreadsheets.safe_row(header(lang, pseudonymised=pseudonymised)))
        for values in rows(part, lang, pseudonymised=pseudonymised):
            sheet.append(spreadsheets.safe_row(values))
        for cells in sheet.iter_rows(min_row=2, min_col=2, max_col=5):
            cells[0].number_format = "0.00"
            cells[1].number_format = "0.0000"
            for cell in cells[2:]:
                cell.number_format = "yyyy-mm-dd" if isinstance(cell.value, date) else "0"
        for cell in (*sheet[1], *sheet[sheet.max_row]):
            cell.font = Font(bold=True)
        sheet.column_dimensions["A"].width = 24
        for column in "BCDE":
            sheet.column_dimensions[column].width = 16
        sheet.freeze_panes = "B2"
    about = book.create_sheet(_sheet_title(_t("funders.sheet.about", lang), taken))
    names = "report.about.pseudonymised" if pseudonymised else "report.about.named"
    for key, value in (
        ("report.about.month", pack.month.strftime("%Y-%m")),
        ("report.about.base", pack.base_hours),
        ("funders.about.fte", _t("funders.about.fte_rule", lang)),
        ("report.about.counted", _t("report.about.approved_only", lang)),
        ("report.about.hours_programme", _t("report.about.worked_under", lang)),
        ("funders.about.moves", _t("funders.about.moves_rule", lang)),
        ("report.about.names", _t(names, lang)),
        ("report.about.made", i18n.fmt_datetime(dates.now(), lang)),
    ):
        about.append(spreadsheets.safe_row([_t(key, lang), value]))
    about.column_dimensions["A"].width = 30
    about.column_dimensions["B"].width = 70
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv(pack: FundersPack, lang: str = "fr", *, pseudonymised: bool = False) -> bytes:
    """The pack as one CSV table: the programme first, then the sheet's columns."""
    table: list[list[Any]] = [
        [_t("report.programme", lang), *header(lang, pseudonymised=pseudonymised)]
    ]
    for part in pack.programmes:
        name = programme_name(part.report.programme, lang)
        table.extend([name, *values] for values in rows(part, lang, pseudonymised=pseudonymised))
    return spreadsheets.csv_bytes(table, lang, decimals=FTE_DECIMALS)


def filename(pack: FundersPack, ext: str, *, pseudonymised: bool) -> str:
    """`financeurs-2026-03.xlsx`-style names (never a person's name)."""
    return f"financeurs-{pack.month:%Y-%m}{'-pseudo' if pseudonymised else ''}.{ext}"

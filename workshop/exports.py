"""CSV and XLSX files of the monthly hour reports, and a trainee's own data (JSON / CSV).

Hours are written as decimal numbers of hours: quarter hours are exact in binary
(.25, .5, .75), so the totals in a file equal the approved minutes to the quarter
hour. French CSV uses ";" and a decimal comma, as French spreadsheets expect.
"""

from __future__ import annotations

import io
import json
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font

from workshop import dates, i18n, spreadsheets
from workshop.hours import MonthReport
from workshop.models import Activity

ETP_DECIMALS = 4


def _t(key: str, lang: str, **params: Any) -> str:
    return i18n.translate(key, lang, **params)


def report_header(lang: str, *, pseudonymised: bool) -> list[str]:
    """Column titles of a monthly report."""
    first = _t("report.col.pseudonym" if pseudonymised else "report.col.trainee", lang)
    return [
        first,
        *(_t(f"activity.{a.value}", lang) for a in Activity),
        _t("report.col.total", lang),
        _t("report.col.etp", lang),
    ]


def report_rows(report: MonthReport, lang: str, *, pseudonymised: bool) -> list[list[Any]]:
    """One row per trainee then a total row: hours (decimal) per activity, total, ETP."""
    rows: list[list[Any]] = []
    for row in report.rows:
        rows.append(
            [
                row.pseudonym if pseudonymised else row.name,
                *(row.minutes.get(a, 0) / 60 for a in Activity),
                row.total / 60,
                round(report.etp(row.total), ETP_DECIMALS),
            ]
        )
    by_activity = report.by_activity()
    rows.append(
        [
            _t("report.col.all", lang),
            *(by_activity[a] / 60 for a in Activity),
            report.total / 60,
            round(report.etp(report.total), ETP_DECIMALS),
        ]
    )
    return rows


def report_csv(report: MonthReport, lang: str = "fr", *, pseudonymised: bool = False) -> bytes:
    """The report as CSV (UTF-8 with BOM so spreadsheets read the accents)."""
    header = report_header(lang, pseudonymised=pseudonymised)
    rows = report_rows(report, lang, pseudonymised=pseudonymised)
    return spreadsheets.csv_bytes([header, *rows], lang, decimals=ETP_DECIMALS)


def report_xlsx(report: MonthReport, lang: str = "fr", *, pseudonymised: bool = False) -> bytes:
    """The report as an Excel workbook: the table, then a sheet saying what it holds."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = _t("report.sheet.hours", lang)
    sheet.append(spreadsheets.safe_row(report_header(lang, pseudonymised=pseudonymised)))
    for row in report_rows(report, lang, pseudonymised=pseudonymised):
        sheet.append(spreadsheets.safe_row(row))
    n_cols = len(Activity) + 3
    for cells in sheet.iter_rows(min_row=2, min_col=2, max_col=n_cols):
        for cell in cells[:-1]:
            cell.number_format = "0.00"
        cells[-1].number_format = "0.0000"
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.column_dimensions["A"].width = 24
    sheet.freeze_panes = "B2"

    about = book.create_sheet(_t("report.sheet.about", lang))
    programme = report.programme.name_en if lang == "en" else report.programme.name
    for key, value in (
        ("report.about.programme", programme or report.programme.name),
        ("report.about.month", report.month.strftime("%Y-%m")),
        ("report.about.base", report.base_hours),
        ("report.about.counted", _t("report.about.approved_only", lang)),
        ("report.about.hours_programme", _t("report.about.worked_under", lang)),
        (
            "report.about.names",
            _t("report.about.pseudonymised" if pseudonymised else "report.about.named", lang),
        ),
        ("report.about.made", i18n.fmt_datetime(dates.now(), lang)),
    ):
        about.append(spreadsheets.safe_row([_t(key, lang), value]))
    about.column_dimensions["A"].width = 30
    about.column_dimensions["B"].width = 60
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def report_filename(report: MonthReport, ext: str, *, pseudonymised: bool) -> str:
    """`heures-2026-11-p3.csv` style names (programme id, never a person's name)."""
    suffix = "-pseudo" if pseudonymised else ""
    return f"heures-{report.month:%Y-%m}-p{report.programme.id}{suffix}.{ext}"


def personal_data_json(data: dict[str, Any]) -> bytes:
    """A trainee's data (from `hours.personal_data`) as indented UTF-8 JSON."""
    return json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")


def personal_data_csv(data: dict[str, Any], lang: str = "fr") -> bytes:
    """A trainee's hours (from `hours.personal_data`) as CSV, one line per entry."""
    columns = [
        "date",
        "start",
        "end",
        "minutes",
        "activity",
        "build",
        "programme",
        "status",
        "source",
        "reason",
    ]
    rows = [[entry.get(column) for column in columns] for entry in data["hours"]]
    return spreadsheets.csv_bytes([columns, *rows], lang, decimals=ETP_DECIMALS)

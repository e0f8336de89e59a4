"""The cells of every spreadsheet file the app writes (CSV, XLSX): never a formula.

Text starting with "=", "+", "-", "@", a tab or a carriage return is read as a
formula by Excel, LibreOffice and Google Sheets (CSV injection): a trainee named
`=HYPERLINK(…)` would be a live link in the hour report. As OWASP recommends, such
text is written with a single quote in front, so the spreadsheet shows it as typed.
Only text is touched: numbers (-3 too), dates and empty cells stay what they are.
In an XLSX, text kept before control characters were refused has them replaced (U+FFFD):
openpyxl refuses them (IllegalCharacterError), which stopped the month's report for everyone.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import date
from typing import Any

from workshop import typed_input

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """`value` as a spreadsheet may hold it: text a spreadsheet would run gets a leading `'`."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def safe_row(values: Iterable[Any]) -> list[Any]:
    """A row of `safe_cell`s for an XLSX sheet's `append`, control characters as U+FFFD."""
    cells = [safe_cell(value) for value in values]
    return [typed_input.printable(cell) if isinstance(cell, str) else cell for cell in cells]


def _csv_cell(value: Any, lang: str, decimals: int) -> Any:
    if isinstance(value, int | float) and not isinstance(value, bool):
        # Numbers are written by us, never neutralised: "-3" stays a number.
        text = f"{value:.{decimals}f}".rstrip("0").rstrip(".")
        return text.replace(".", ",") if lang == "fr" else text
    if isinstance(value, date):
        return value.isoformat()
    return safe_cell(value)


def csv_bytes(rows: Iterable[Iterable[Any]], lang: str, *, decimals: int) -> bytes:
    """Rows as a CSV file for a spreadsheet: UTF-8 with BOM (so the accents are read),
    in French ";" and a decimal comma, numbers with at most `decimals` decimals."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";" if lang == "fr" else ",", lineterminator="\r\n")
    writer.writerows([_csv_cell(value, lang, decimals) for value in row] for row in rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")

"""Reading the text files people export from spreadsheets (French Excel's habits included).

Both imports (past pickups, the other venues' monthly figures) read their files
with these: the codec, the column separator, the rows of a CSV, numbers and names
as people type them, and the row error a refused row is reported with.
"""

from __future__ import annotations

import csv
import io
import math
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

# What a file came in, in the order we try: UTF-8 (with or without Excel's BOM),
# then Windows-1252 (what French Excel writes as "CSV"), then Latin-1, which
# decodes any bytes at all.
CODECS = ("utf-8-sig", "cp1252", "latin-1")

# French Excel separates with ";" (the comma is its decimal mark); others with ",".
SEPARATORS = (";", ",", "\t")

# Wider than any sheet kept by hand: a broken or hostile file, refused whole.
MAX_COLUMNS = 200

# How much of a cell an error message quotes.
SHOWN_LENGTH = 60

# Between thousands: spaces (plain, no-break, narrow no-break) and apostrophes (Swiss).
_GROUPING = " \u00a0\u202f'\u2019"
# An optional sign, the whole part, an optional decimal part; at least one digit,
# ASCII only. A plain whole part is tried before groups of three, so that a lone
# "." or "," is the decimal mark. A "." or "," groups thousands only when the
# decimal mark is the other one (checked after the match: `1,234,5` is refused).
_NUMBER = re.compile(
    r"(?=.*[0-9])[+-]?"
    rf"(?:[0-9]+|[0-9]{{1,3}}(?P<group>[{_GROUPING}.,])[0-9]{{3}}(?:(?P=group)[0-9]{{3}})*)?"
    r"(?:(?P<decimal>[.,])[0-9]+)?"
)
_EMPTY_NUMBERS = ("", "-", "\u2014")  # an empty cell, or a dash for "nothing"
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


@dataclass(frozen=True)
class RowError:
    """Why one row of a file cannot be imported: a message key and its parameters.

    `row` counts the file's rows from 1, blank ones included: a header on the first
    row is row 1.
    """

    row: int
    key: str
    params: dict[str, Any] = field(default_factory=dict)


class RowProblem(Exception):
    """What is wrong with the row being checked; `at(row)` makes it that row's RowError."""

    def __init__(self, key: str, **params: Any) -> None:
        super().__init__(key)
        self.key, self.params = key, params

    def at(self, row: int) -> RowError:
        """This problem as the RowError of row number `row`."""
        return RowError(row, self.key, self.params)


def decode(data: bytes) -> tuple[str, str]:
    """The text of a spreadsheet export and the codec that read it (one of CODECS)."""
    for codec in CODECS[:-1]:
        try:
            return data.decode(codec), codec
        except UnicodeDecodeError:
            continue
    return data.decode(CODECS[-1]), CODECS[-1]


def separator(text: str) -> str:
    """The column separator, counted on the header (the first line that is not blank)."""
    # The header only: data rows hold decimal commas ("12,5") that would outvote ";".
    header = next((line for line in text.splitlines() if line.strip()), "")
    best = max(SEPARATORS, key=header.count)
    return best if header.count(best) else ","


def blank(value: object) -> bool:
    """True for an empty cell: None, or nothing but whitespace."""
    return value is None or (isinstance(value, str) and not value.strip())


def csv_rows(text: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """The rows of a CSV text that are not blank, with their numbers (the first row is 1).

    Read as it goes, so a file of a million empty lines costs no memory. The csv
    module raises csv.Error for a cell longer than csv.field_size_limit() (128 KiB).
    """
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    for number, cells in enumerate(reader, start=1):
        if not all(blank(cell) for cell in cells):
            yield number, cells


def parse_number(value: object) -> float | None:
    """A number as typed in a spreadsheet; None for an empty cell; ValueError if not a number.

    `12`, `12,5`, `12.5`, `.5`, `,5`, `-3`, `+3`; thousands grouped by a space, a
    no-break space, a narrow no-break space or an apostrophe (`1 234,5`, `1'234`), or
    by the decimal mark not used (`1.234,5`, `1,234.5`). A lone `.` or `,` is the
    decimal mark (`1,234` is 1.234). Numbers from XLSX cells are kept as they are.
    Refused: text, units, fractions, several decimal marks, booleans, NaN, infinity.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, int | float):
        try:
            number = float(value)
        except OverflowError:  # an int of hundreds of digits, from a hostile XLSX
            raise ValueError(value) from None
    else:
        text = str(value).strip()
        if text in _EMPTY_NUMBERS:
            return None
        match = _NUMBER.fullmatch(text)
        if match is None or (match["group"] and match["group"] == match["decimal"]):
            raise ValueError(value)
        number = float(_plain(text, match["group"]))
    if not math.isfinite(number):
        raise ValueError(value)
    return number


def _plain(text: str, group: str | None) -> str:
    """A matched number in Python's own syntax: no group separators, "." as decimal mark."""
    return (text.replace(group, "") if group else text).replace(",", ".")


def norm(text: object) -> str:
    """A name as compared: lower case, no accents, punctuation as spaces, single spaces.

    "Marché d'Aligre", "MARCHE D ALIGRE" and "marché  d’aligre" are the same name.
    """
    decomposed = unicodedata.normalize("NFKD", str(text).casefold())
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(re.sub(r"[\W_]+", " ", bare).split())


def shown(value: object, length: int = SHOWN_LENGTH) -> str:
    """A cell as an error message quotes it: trimmed, control characters as "?", not too long."""
    text = _CONTROL.sub("?", str(value).strip())
    return text if len(text) <= length else text[: length - 1] + "…"

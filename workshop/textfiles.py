"""Reading the files people export from spreadsheets (French Excel's habits included).

Both imports (past pickups, the other venues' monthly figures) read their files
with these: the codec, the column separator, the rows of a CSV or of an XLSX's
first sheet, numbers and names as people type them, and the row error a refused
row is reported with.

A file is read as it goes, never decoded or unzipped whole, within `Limits`: past
any of them it is refused whole with the row and the reason (InvalidInput), and
nothing in it is ever left out without a word. An XLSX's parts are checked (sizes
once unzipped, compression) before openpyxl opens it, and its sheet is scanned for
what openpyxl would drop in silence before its rows are read.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import math
import re
import struct
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import IO, Any
from xml.parsers import expat

from workshop.errors import InvalidInput

# What a file came in, in the order we try: UTF-16 (Excel's "Unicode text"), only
# after its byte-order mark; UTF-8 (with or without Excel's BOM); Windows-1252 (what
# French Excel writes as "CSV"); then Latin-1, which decodes any bytes at all.
CODECS = ("utf-16", "utf-8-sig", "cp1252", "latin-1")

# French Excel separates with ";" (the comma is its decimal mark); others with ","
# or, in "Unicode text", tabs.
SEPARATORS = (";", ",", "\t")

# Wider than any sheet kept by hand: a broken or hostile file, refused whole.
MAX_COLUMNS = 200
# The most rows a spreadsheet holds (Excel, LibreOffice): no export has more.
SHEET_ROWS = 1_048_576
# Characters on one line of a CSV: a row of 200 columns kept by hand is far shorter.
MAX_LINE = 1024 * 1024
# Parts of an XLSX: a workbook has a dozen, one with many sheets and charts a few hundred.
MAX_PARTS = 1000
# Bytes a part takes in a zip's directory, on average at most (46, its name, its extras).
_DIRECTORY_ENTRY = 512
# Parts smaller than this may be compressed as much as they like.
RATIO_FROM = 1024 * 1024
MIB = 1024 * 1024
# The styles (always this part) are what openpyxl reads slowest: seconds per MiB. A
# workbook's take a few kilobytes, a badly bloated one's a few hundred.
STYLES, MAX_STYLES = "xl/styles.xml", 1 * MIB

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
# A line of a CSV with nothing in it but spaces and separators.
_BLANK_LINE = re.compile(r"[\s;,]*")
_CHUNK = 1024 * 1024  # bytes decoded at a time when trying a codec


@dataclass(frozen=True)
class Limits:
    """How much of a file an import reads: past any of these it refuses the whole file.

    `max_bytes` is the file as uploaded (each import checks it, with its own
    message); `max_rows` counts the rows of data under the header, blank ones left
    out; `max_lines` every row, blank ones included. The `max_part`, `max_unzipped`
    and `max_ratio` bounds are an XLSX's parts once unzipped, one (MAX_STYLES for the
    styles) and all together, and how much a part over RATIO_FROM may be compressed.
    """

    max_bytes: int
    max_rows: int
    max_cells: int = 250_000
    max_lines: int = SHEET_ROWS
    max_columns: int = MAX_COLUMNS
    max_line: int = MAX_LINE
    max_part: int = 4 * MIB
    max_unzipped: int = 10 * MIB
    max_ratio: int = 100


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


def blank(value: object) -> bool:
    """True for an empty cell: None, or nothing but whitespace."""
    return value is None or (isinstance(value, str) and not value.strip())


def bounded(
    numbered: Iterable[tuple[int, Sequence[Any]]], limits: Limits
) -> Iterator[tuple[int, list[Any]]]:
    """The rows that are not blank, without the blank cells at their end, with their numbers.

    InvalidInput, saying at which row, as soon as a row is too wide or there are too
    many rows (blank ones included, or not) or cells.
    """
    rows = cells = 0
    for number, row in numbered:
        if number > limits.max_lines:
            raise InvalidInput("error.file.too_many_lines", row=number, max=limits.max_lines)
        end = len(row)
        while end and blank(row[end - 1]):  # spreadsheets pad rows to the widest
            end -= 1
        if not end:
            continue
        if end > limits.max_columns:
            raise InvalidInput(
                "error.file.too_many_columns", row=number, n=end, max=limits.max_columns
            )
        rows, cells = rows + 1, cells + end
        if rows > limits.max_rows + 1:  # the header, then one row too many
            raise InvalidInput("error.file.too_many_rows", row=number, max=limits.max_rows)
        if cells > limits.max_cells:
            raise InvalidInput("error.file.too_many_cells", row=number, max=limits.max_cells)
        yield number, list(row[:end])


# --- CSV ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CsvFile:
    """A CSV export being read: its codec, its separator, and its rows as `bounded` gives them."""

    codec: str
    delimiter: str
    rows: Iterator[tuple[int, list[str]]]


def read_csv(data: bytes, limits: Limits) -> CsvFile:
    """Start reading a CSV export; its rows are decoded and checked as they are taken.

    The separator is counted on the header, the first line that is not blank.
    """
    codec = _codec(data)
    lines = _lines(io.TextIOWrapper(io.BytesIO(data), encoding=codec, newline=""), limits)
    before = 0  # blank lines above the header, still counted as rows
    header = next(lines, "")
    while header and _BLANK_LINE.fullmatch(header):
        before, header = before + 1, next(lines, "")
    delimiter = separator(header)
    reader = csv.reader(itertools.chain([header], lines), delimiter=delimiter)
    return CsvFile(codec, delimiter, bounded(_records(reader, before, delimiter), limits))


def separator(header: str) -> str:
    """The column separator of a CSV, counted on its header line (the first that is not blank)."""
    # The header only: data rows hold decimal commas ("12,5") that would outvote ";".
    best = max(SEPARATORS, key=header.count)
    return best if header.count(best) else ","


def _codec(data: bytes) -> str:
    """The first of CODECS that decodes the whole file (UTF-16 only after its byte-order mark)."""
    tried = CODECS if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) else CODECS[1:]
    return next((codec for codec in tried[:-1] if _decodes(data, codec)), tried[-1])


def _decodes(data: bytes, codec: str) -> bool:
    """True if `codec` reads every byte of `data`; decoded a chunk at a time and thrown away."""
    decoder = codecs.getincrementaldecoder(codec)()
    view = memoryview(data)
    try:
        for start in range(0, len(view), _CHUNK):
            decoder.decode(view[start : start + _CHUNK])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _lines(text: IO[str], limits: Limits) -> Iterator[str]:
    """The lines of a text as it is decoded; InvalidInput for one too long, binary or too many."""
    for number in itertools.count(1):
        line = text.readline(limits.max_line + 1)
        if not line:
            return
        if number > limits.max_lines:
            raise InvalidInput("error.file.too_many_lines", row=number, max=limits.max_lines)
        if len(line) > limits.max_line:
            raise InvalidInput("error.file.line_too_long", row=number, max=limits.max_line)
        if "\x00" in line:
            raise InvalidInput("error.file.not_text", row=number)
        yield line


def _records(
    reader: Iterator[list[str]], number: int, delimiter: str
) -> Iterator[tuple[int, list[str]]]:
    """The csv reader's rows, numbered on from `number`; InvalidInput for a cell too long."""
    try:
        for cells in reader:
            number += 1
            if any(_runs_on(cell, delimiter) for cell in cells):
                raise InvalidInput("error.file.open_quote", row=number)
            yield number, cells
    except csv.Error:  # a cell longer than the csv module reads
        raise InvalidInput(
            "error.file.cell_too_long", row=number + 1, max=csv.field_size_limit()
        ) from None


def _runs_on(cell: str, delimiter: str) -> bool:
    """True for a cell whose lines after the first hold the separator: rows swallowed by a quote.

    A quote left open makes every line up to the next quote one cell, and those
    rows would vanish without a word; a note typed over two lines has no separator.
    """
    if "\n" not in cell and "\r" not in cell:
        return False
    return any(delimiter in line for line in cell.splitlines()[1:])


# --- XLSX -----------------------------------------------------------------------------


def xlsx_rows(data: bytes, limits: Limits) -> Iterator[tuple[int, list[Any]]]:
    """The rows of an XLSX's first sheet, as `bounded` gives them, once the file is checked.

    Its parts are checked before openpyxl opens it (`_check_parts`), and its sheet
    before openpyxl reads its rows (`_SheetScan`). openpyxl raises its own errors
    for a broken file.
    """
    from openpyxl import load_workbook  # only the pickups import reads workbooks

    # zipfile reads the whole directory of parts first: its size is checked before.
    if _directory_size(data) > MAX_PARTS * _DIRECTORY_ENTRY:
        raise InvalidInput("error.file.xlsx_parts", max=MAX_PARTS)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        _check_parts(archive.infolist(), limits)
    book = load_workbook(io.BytesIO(data), read_only=True, data_only=True, keep_links=False)
    try:
        sheet = book.worksheets[0]
        # The archive and the part openpyxl reads the sheet from (they have no public name).
        with book._archive.open(sheet._worksheet_path) as part:
            _SheetScan.check(part, limits.max_columns)
        sheet.reset_dimensions()  # the size a sheet says it has can be wrong: read every row
        # No further than max_columns (a sheet formatted up to column XFD pads every row
        # to 16 384 cells): the scan has refused any value past it.
        rows = sheet.iter_rows(values_only=True, max_col=limits.max_columns)
        yield from bounded(enumerate(rows, start=1), limits)
    finally:
        book.close()


def _check_parts(parts: list[zipfile.ZipInfo], limits: Limits) -> None:
    """Refuse a workbook that would take too much memory once unzipped (what openpyxl does).

    The sizes are those the zip declares: Python's zipfile stops a part at its
    declared size, and a part that lies about it fails its checksum.
    """
    if len(parts) > MAX_PARTS:
        raise InvalidInput("error.file.xlsx_parts", max=MAX_PARTS)
    total = sum(part.file_size for part in parts)
    if total > limits.max_unzipped:
        raise InvalidInput(
            "error.file.xlsx_unzipped", size_mb=_mb(total), max_mb=_mb(limits.max_unzipped)
        )
    for part in parts:
        name = shown(part.filename)
        most = min(limits.max_part, MAX_STYLES) if part.filename == STYLES else limits.max_part
        if part.file_size > most:
            raise InvalidInput(
                "error.file.xlsx_part", part=name, size_mb=_mb(part.file_size), max_mb=_mb(most)
            )
        ratio = part.file_size // max(part.compress_size, 1)
        if part.file_size > RATIO_FROM and ratio > limits.max_ratio:
            raise InvalidInput(
                "error.file.xlsx_ratio", part=name, ratio=ratio, max=limits.max_ratio
            )


def _directory_size(data: bytes) -> int:
    """The size a zip's end record gives its directory of parts (0 without an end record)."""
    # The end record is the last 22 bytes, before a comment of up to 65 535 bytes.
    end = data.rfind(b"PK\x05\x06", max(0, len(data) - 22 - 65_535))
    if end < 0 or end + 22 > len(data):
        return 0  # not a zip: zipfile says so
    size: int = struct.unpack_from("<I", data, end + 12)[0]
    return size


def _mb(size: int) -> float:
    return round(size / MIB, 1)


class _SheetScan:
    """A sheet's XML read as it goes, for what openpyxl would leave out without a word.

    openpyxl reads no further than the last column asked for, and reads a formula
    whose result was not saved as an empty cell: InvalidInput for either.
    """

    def __init__(self, max_columns: int) -> None:
        self.max_columns = max_columns
        self.row = self.column = 0
        self.in_value = self.formula = self.value = False

    @classmethod
    def check(cls, part: IO[bytes], max_columns: int) -> None:
        """Scan the sheet XML in `part`; InvalidInput at the first cell openpyxl would drop."""
        scan = cls(max_columns)
        parser = expat.ParserCreate(namespace_separator=" ")
        parser.StartElementHandler = scan.start
        parser.EndElementHandler = scan.end
        parser.CharacterDataHandler = scan.text
        parser.ParseFile(part)

    def start(self, name: str, attrs: dict[str, str]) -> None:
        """An element opens: rows and cells are numbered as openpyxl numbers them."""
        tag = name.rpartition(" ")[2]
        if tag == "row":
            self.row = int(float(attrs["r"])) if "r" in attrs else self.row + 1
            self.column = 0
        elif tag == "c":
            self.column = _column(attrs["r"]) if attrs.get("r") else self.column + 1
            self.formula = self.value = False
        elif tag == "f":
            self.formula = True
        elif tag in ("v", "is"):  # a value, or an inline string
            self.in_value = True

    def text(self, data: str) -> None:
        """Text in the document: a cell's value when inside one."""
        self.value = self.value or (self.in_value and bool(data))

    def end(self, name: str) -> None:
        """An element closes: a cell is refused if openpyxl would not read what it holds."""
        tag = name.rpartition(" ")[2]
        if tag in ("v", "is"):
            self.in_value = False
        elif tag == "c" and self.value and self.column > self.max_columns:
            raise InvalidInput(
                "error.file.too_many_columns", row=self.row, n=self.column, max=self.max_columns
            )
        elif tag == "c" and self.formula and not self.value:
            raise InvalidInput(
                "error.file.formula_without_value", cell=f"{_letters(self.column)}{self.row}"
            )


def _column(reference: str) -> int:
    """The column number of a cell reference: `A1` is 1, `AB12` is 28."""
    number = 0
    for letter in reference.rstrip("0123456789").upper():
        number = number * 26 + ord(letter) - ord("A") + 1
    return number


def _letters(column: int) -> str:
    """A column's letters as a spreadsheet shows them: 1 is `A`, 28 is `AB`."""
    letters = ""
    while column > 0:
        column, rest = divmod(column - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


# --- cells ----------------------------------------------------------------------------


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

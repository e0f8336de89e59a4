"""Reading spreadsheet exports: codec, separator, rows, numbers and names, for both imports."""

from __future__ import annotations

import codecs
import csv
import io
import struct
import zipfile
from datetime import date, datetime

import openpyxl
import pytest

from tests import factories
from workshop import db, i18n, pickup_import, textfiles, venues
from workshop.errors import InvalidInput
from workshop.models import Role

LIMITS = textfiles.Limits(max_bytes=2**20, max_rows=100)


def _rows(data: bytes, limits: textfiles.Limits = LIMITS) -> list[tuple[int, list[str]]]:
    return list(textfiles.read_csv(data, limits).rows)


def _refusal(read, *args) -> tuple[str, dict]:
    with pytest.raises(InvalidInput) as caught:
        list(read(*args))
    for lang in i18n.LANGUAGES:
        assert caught.value.key in i18n.catalog(lang)
    return caught.value.key, caught.value.params


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # French Excel: ";" between columns, "," as the decimal mark in every row.
        ("Marché;Date;Kilos\nBelleville;03/11/2026;12,5\nDavout;04/11/2026;1,25\n", ";"),
        ("market,date,kg\nBelleville,2026-11-03,12.5\n", ","),
        ("market\tdate\tkg\nBelleville\t2026-11-03\t12.5\n", "\t"),
        # Blank lines before the header are skipped; a single column reads as ",".
        ("\n\n  \n;;\nMarché;Kilos\nBelleville;3,5\n", ";"),
        ("\n,,\nMarché;Kilos\n", ";"),
        ("Kilos\n12\n", ","),
        ("", ","),
        # Data rows full of decimal commas do not outvote the header's ";".
        ("Marché;Kilos\n" + "a;1,1,1,1,1\n" * 50, ";"),
    ],
)
def test_separator_is_counted_on_the_header(text, expected):
    assert textfiles.read_csv(text.encode(), LIMITS).delimiter == expected


@pytest.mark.parametrize(
    ("data", "codec"),
    [
        ("Marché".encode(), "utf-8-sig"),
        ("\ufeffMarché".encode(), "utf-8-sig"),
        ("Marché €".encode("cp1252"), "cp1252"),
        ("Marché \x81".encode("latin-1"), "latin-1"),  # no Windows-1252 character
        ("Marché €".encode("utf-16"), "utf-16"),  # Excel's "Unicode text", with its BOM
        (codecs.BOM_UTF16_BE + "Marché €".encode("utf-16-be"), "utf-16"),
    ],
)
def test_codecs_utf8_utf16_then_windows_1252(data, codec):
    found = textfiles.read_csv(data, LIMITS)
    assert found.codec == codec
    assert [cells for _, cells in found.rows] == [[data.decode(codec).lstrip("\ufeff")]]


def test_every_byte_is_tried_a_chunk_at_a_time():
    # The only byte UTF-8 cannot read is in the third MiB.
    data = b"x;y\n" * 2**19 + "é".encode("cp1252")
    assert textfiles.read_csv(data, LIMITS).codec == "cp1252"


def test_excel_unicode_text_utf16_tabs_is_read():
    text = (
        "Date\tMarché\tCagettes\r\n05/03/2024\tMarché d’Aligre\t12\r\n\r\n06/03/2024\tDavout\t3\r\n"
    )
    for data in (text.encode("utf-16"), codecs.BOM_UTF16_BE + text.encode("utf-16-be")):
        found = textfiles.read_csv(data, LIMITS)
        assert (found.codec, found.delimiter) == ("utf-16", "\t")
        assert list(found.rows) == [
            (1, ["Date", "Marché", "Cagettes"]),
            (2, ["05/03/2024", "Marché d’Aligre", "12"]),
            (4, ["06/03/2024", "Davout", "3"]),
        ]


def test_csv_rows_leave_out_blank_rows_and_keep_their_numbers():
    text = '\n;;\nDate;Marché;\n  ; \n05/03/2024;"Davout;\nbis"\n\n06/03/2024;Belgrand;;\n'
    assert _rows(text.encode()) == [
        (3, ["Date", "Marché"]),  # blank cells at the end of a row left out
        (5, ["05/03/2024", "Davout;\nbis"]),  # a quoted cell over two lines is one row
        (7, ["06/03/2024", "Belgrand"]),
    ]


SMALL = textfiles.Limits(
    max_bytes=2**20, max_rows=3, max_cells=10, max_lines=8, max_columns=4, max_line=50
)


@pytest.mark.parametrize(
    ("text", "key", "params"),
    [
        ("a;b\n" + "\n" * 7 + "1;2\n", "error.file.too_many_lines", {"row": 9, "max": 8}),
        ("\n" * 20, "error.file.too_many_lines", {"row": 9, "max": 8}),
        ("a;b\n1;2\n\n3;4\n5;6\n7;8\n", "error.file.too_many_rows", {"row": 6, "max": 3}),
        ("a;b\n1;2;3;4;5\n", "error.file.too_many_columns", {"row": 2, "n": 5, "max": 4}),
        ("a;b;c;d\n1;2;3;4\n5;6;7;8\n", "error.file.too_many_cells", {"row": 3, "max": 10}),
        ("a;b\n1;" + "x" * 60 + "\n", "error.file.line_too_long", {"row": 2, "max": 50}),
        ("a;b\n1;2\n3;\x004\n", "error.file.not_text", {"row": 3}),
        # A quote left open: the next rows would be one cell, and vanish.
        ('a;b\n1;"oops\n2;3\n4;5\n', "error.file.open_quote", {"row": 2}),
    ],
    ids=["lines", "blank-lines", "rows", "columns", "cells", "long-line", "NUL", "open-quote"],
)
def test_a_csv_past_a_limit_is_refused_at_its_row(text, key, params):
    assert _refusal(_rows, text.encode(), SMALL) == (key, params)


def test_a_cell_longer_than_the_csv_module_reads_is_refused_at_its_row():
    data = ("Marché;Kilos\n1;2\n" + "x" * (200 * 1024) + ";1\n").encode()
    assert _refusal(_rows, data) == (
        "error.file.cell_too_long",
        {"row": 3, "max": csv.field_size_limit()},
    )


def test_reading_stops_at_the_first_limit():
    # Past the line limit nothing more is read: the NUL further down is never seen.
    data = b"a;b\n" + b"\n" * 20 + b"\x00"
    assert _refusal(_rows, data, SMALL) == ("error.file.too_many_lines", {"row": 9, "max": 8})


# --- XLSX -----------------------------------------------------------------------------


def _xlsx_rows(data: bytes, limits: textfiles.Limits = LIMITS) -> list:
    return list(textfiles.xlsx_rows(data, limits))


def test_xlsx_rows_are_numbered_as_in_the_sheet_and_trimmed():
    data = factories.xlsx([["Date", "Marché", None], [None], [date(2024, 3, 5), "Davout", 3]])
    assert _xlsx_rows(data) == [
        (1, ["Date", "Marché"]),
        (3, [datetime(2024, 3, 5), "Davout", 3]),
    ]


@pytest.mark.parametrize(
    ("extra", "limits", "key", "params"),
    [
        # A bloated shared-strings table: 5 MiB of tiny strings in a few kilobytes.
        (
            factories.xlsx_parts(factories.bloated_xlsx([["Date"]], 300_000)),
            LIMITS,
            "error.file.xlsx_part",
            {"part": "xl/sharedStrings.xml", "size_mb": 5.1, "max_mb": 4.0},
        ),
        (
            {f"xl/media/image{n}.png": bytes(600_000) for n in range(30)},
            LIMITS,
            "error.file.xlsx_unzipped",
            {"size_mb": 17.2, "max_mb": 10.0},
        ),
        # The styles, which openpyxl reads slowest, have a smaller cap of their own.
        (
            {"xl/styles.xml": b"<styleSheet>" + bytes(1_600_000) + b"</styleSheet>"},
            LIMITS,
            "error.file.xlsx_part",
            {"part": "xl/styles.xml", "size_mb": 1.5, "max_mb": 1.0},
        ),
        (
            {"xl/styles2.xml": bytes(2 * 2**20)},
            LIMITS,
            "error.file.xlsx_ratio",
            {"part": "xl/styles2.xml", "ratio": 1023, "max": 100},
        ),
        (
            {f"x/{n}.xml": b"" for n in range(textfiles.MAX_PARTS)},
            LIMITS,
            "error.file.xlsx_parts",
            {"max": textfiles.MAX_PARTS},
        ),
    ],
    ids=["shared-strings", "unzipped", "styles", "ratio", "parts"],
)
def test_a_workbook_too_big_unzipped_is_refused_before_openpyxl_reads_it(
    extra, limits, key, params, monkeypatch
):
    def never(*args, **kwargs):
        raise AssertionError("openpyxl opened the workbook")

    monkeypatch.setattr(openpyxl, "load_workbook", never)
    data = factories.xlsx([["Date", "Marché"]], extra)  # its own parts, and these
    assert _refusal(_xlsx_rows, data, limits) == (key, params)


def test_a_zip_of_countless_parts_is_refused_before_its_directory_is_read(monkeypatch):
    # zipfile makes an object of every entry of a zip's directory before we can count.
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for n in range(12_000):
            archive.writestr(f"xl/worksheets/empty-part-number-{n:06d}.xml", b"")
    data = out.getvalue()

    def never(*args, **kwargs):
        raise AssertionError("zipfile read the directory")

    monkeypatch.setattr(zipfile, "ZipFile", never)
    assert _refusal(_xlsx_rows, data) == ("error.file.xlsx_parts", {"max": textfiles.MAX_PARTS})


def test_a_part_that_lies_about_its_size_is_not_read_past_it():
    # 18 MB of shared strings whose size in the zip says 1 000 bytes: zipfile stops
    # there and the checksum fails (openpyxl's error, said as an unreadable file).
    data = bytearray(factories.bloated_xlsx([["Date"]], 1_000_000))
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as archive:
        part = archive.getinfo("xl/sharedStrings.xml")
    assert part.file_size > LIMITS.max_unzipped
    name = part.filename.encode()
    directory = data.rfind(b"PK\x01\x02", 0, data.rfind(name))
    struct.pack_into("<I", data, directory + 24, 1000)  # its size, in the directory
    struct.pack_into("<I", data, part.header_offset + 22, 1000)  # and before the part
    with pytest.raises(zipfile.BadZipFile, match="CRC"):
        _xlsx_rows(bytes(data))


def _sheet(cells: str) -> bytes:
    """An XLSX whose first sheet's rows are written as given, in the sheet's own XML."""
    sheet = factories.xlsx_parts(factories.xlsx([["x"]]))["xl/worksheets/sheet1.xml"].decode()
    head, rest = sheet.split("<sheetData>")
    tail = rest.split("</sheetData>")[1]
    return factories.xlsx(
        [], {"xl/worksheets/sheet1.xml": f"{head}<sheetData>{cells}</sheetData>{tail}".encode()}
    )


@pytest.mark.parametrize(
    ("cells", "key", "params"),
    [
        # openpyxl reads no further than the last column asked for.
        (
            '<row r="1"><c r="A1"><v>1</v></c></row><row r="7"><c r="GS7"><v>2</v></c></row>',
            "error.file.too_many_columns",
            {"row": 7, "n": 201, "max": 200},
        ),
        # A formula saved without its result would read as an empty cell.
        (
            '<row r="1"><c r="A1"><v>1</v></c><c r="B1"><f>A1*2</f></c></row>',
            "error.file.formula_without_value",
            {"cell": "B1"},
        ),
        # Rows and cells without numbers are numbered on, as openpyxl numbers them.
        (
            "<row><c><v>1</v></c></row><row><c/><c><f>1+1</f></c></row>",
            "error.file.formula_without_value",
            {"cell": "B2"},
        ),
    ],
    ids=["past-the-last-column", "formula", "unnumbered"],
)
def test_what_openpyxl_would_drop_in_silence_is_refused(cells, key, params):
    assert _refusal(_xlsx_rows, _sheet(cells)) == (key, params)


def test_empty_formatted_cells_past_the_last_column_are_fine():
    cells = (
        '<row r="1"><c r="A1"><v>1</v></c><c r="ZZ1" s="1"/><c r="B2"><f>A1</f><v>1</v></c></row>'
    )
    assert _xlsx_rows(_sheet(cells)) == [(1, [1, 1])]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("12", 12.0),
        ("12,5", 12.5),
        ("5,25", 5.25),
        ("12.5", 12.5),
        (" 7 ", 7.0),
        ("0012", 12.0),
        ("1 234,5", 1234.5),
        ("1\u00a0234,5", 1234.5),  # no-break space
        ("1\u202f234,5", 1234.5),  # narrow no-break space (French Excel, LibreOffice)
        ("1'234", 1234.0),
        ("1\u2019234,5", 1234.5),
        ("1 234 567,25", 1234567.25),
        ("1 234", 1234.0),
        ("1.234,5", 1234.5),
        ("1,234.5", 1234.5),
        ("1.234.567", 1234567.0),
        ("1,234", 1.234),  # a lone comma is the decimal mark
        ("1.234", 1.234),
        (".5", 0.5),
        (",5", 0.5),
        ("+3", 3.0),
        ("-3", -3.0),
        ("-,5", -0.5),
        ("-1 234,5", -1234.5),
        # XLSX cells hold numbers already.
        (3, 3.0),
        (4.0, 4.0),
        (3.9, 3.9),
    ],
)
def test_numbers_as_people_type_them(value, expected):
    assert textfiles.parse_number(value) == expected


@pytest.mark.parametrize("value", [None, "", "  ", "-", "\u2014", " - "])
def test_an_empty_cell_is_no_number(value):
    assert textfiles.parse_number(value) is None


@pytest.mark.parametrize(
    "value",
    [
        "douze",
        "beaucoup",
        "1/2",
        "5 kg",
        "12 €",
        True,
        False,
        float("nan"),
        float("inf"),
        "nan",
        "inf",
        "1e3",
        "1,2,3",  # several decimal marks
        "1.2.3",
        "1,234,5",
        "1 234.567,8",  # two kinds of thousands separators
        "12 5",  # not groups of three
        "1 2345",
        "12.",
        "12,",
        "+",
        "--3",
        "(12)",
        "\u0661\u0662",  # digits, but not the ones spreadsheets write
        "9" * 400,  # beyond a float
        10**400,
    ],
)
def test_what_is_not_a_number(value):
    with pytest.raises(ValueError):
        textfiles.parse_number(value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Marché Davout", "marche davout"),
        ("  MARCHÉ   DAVOUT ", "marche davout"),
        ("Marché d’Aligre", "marche d aligre"),
        ("marche-d'aligre", "marche d aligre"),
        ("Poids (kg)", "poids kg"),
        ("Wikivillage & Extramuros — atelier cagettes", "wikivillage extramuros atelier cagettes"),
        ("heures des salarié·es en insertion", "heures des salarie es en insertion"),
        ("kg_diverted", "kg diverted"),
        ("Straße", "strasse"),
        ("", ""),
        (12, "12"),
    ],
)
def test_norm(text, expected):
    assert textfiles.norm(text) == expected


def test_shown_quotes_a_cell_without_control_characters_and_not_too_long():
    assert textfiles.shown("  Davout ") == "Davout"
    assert textfiles.shown("Dav\x1b[2Jout\x07") == "Dav?[2Jout?"
    long = textfiles.shown("x" * 1_000_000)
    assert len(long) == textfiles.SHOWN_LENGTH and long.endswith("…")
    assert textfiles.shown(date(2024, 3, 5)) == "2024-03-05"


def test_both_imports_read_the_same_numbers(engine):
    lead = factories.user(engine, Role.lead)
    pickup_table = pickup_import.read_table(
        "Date;Marché;Cagettes;Nb pesées;Poids (kg)\n"
        "05/03/2024;Davout;1'234;;\n"
        "06/03/2024;Davout;10;2;.5\n".encode(),
        "collectes.csv",
    )
    with db.write_session(engine) as session:
        report = pickup_import.preview_import(
            session=session,
            actor=lead,
            table=pickup_table,
            mapping=pickup_import.guess_mapping(pickup_table.headers, factories.kinds(engine)),
        )
    assert report.errors == []
    assert [sum(r.counts.values()) for r in report.imported] == [1234, 10]
    assert report.imported[1].sample is not None and report.imported[1].sample.kg == 0.5
    venue_file = (
        "lieu;indicateur;mois;valeur\n"
        "Édicule de la place du Guignier;visitors;2026-04;1'234\n"
        "Édicule de la place du Guignier;visitors;2026-05;.5\n"
    )
    with db.read_session(engine) as session:
        preview = venues.parse_csv(
            session=session, actor=lead, data=venue_file.encode(), today=date(2026, 6, 15)
        )
    assert preview.errors == [] and [r.value for r in preview.rows] == [1234.0, 0.5]

"""Reading spreadsheet exports: codec, separator, rows, numbers and names, for both imports."""

from __future__ import annotations

import csv
from datetime import date

import pytest

from tests import factories
from workshop import db, pickup_import, textfiles, venues
from workshop.models import Role


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # French Excel: ";" between columns, "," as the decimal mark in every row.
        ("Marché;Date;Kilos\nBelleville;03/11/2026;12,5\nDavout;04/11/2026;1,25\n", ";"),
        ("market,date,kg\nBelleville,2026-11-03,12.5\n", ","),
        ("market\tdate\tkg\nBelleville\t2026-11-03\t12.5\n", "\t"),
        # Blank lines before the header are skipped; a single column reads as ",".
        ("\n\n  \nMarché;Kilos\nBelleville;3,5\n", ";"),
        ("Kilos\n12\n", ","),
        ("", ","),
        # Data rows full of decimal commas do not outvote the header's ";".
        ("Marché;Kilos\n" + "a;1,1,1,1,1\n" * 50, ";"),
    ],
)
def test_separator_is_counted_on_the_header(text, expected):
    assert textfiles.separator(text) == expected


def test_decode_tries_utf8_then_windows_1252():
    assert textfiles.decode("Marché".encode()) == ("Marché", "utf-8-sig")
    assert textfiles.decode("\ufeffMarché".encode()) == ("Marché", "utf-8-sig")
    assert textfiles.decode("Marché €".encode("cp1252")) == ("Marché €", "cp1252")


def test_csv_rows_leave_out_blank_rows_and_keep_their_numbers():
    text = '\n;;\nDate;Marché\n  ; \n05/03/2024;"Davout;\nbis"\n\n06/03/2024;Belgrand\n'
    assert list(textfiles.csv_rows(text, ";")) == [
        (3, ["Date", "Marché"]),
        (5, ["05/03/2024", "Davout;\nbis"]),  # a quoted cell over two lines is one row
        (7, ["06/03/2024", "Belgrand"]),
    ]


def test_csv_rows_refuse_a_cell_longer_than_the_csv_module_reads():
    with pytest.raises(csv.Error):
        list(textfiles.csv_rows("Marché;Kilos\n" + "x" * (1024 * 1024) + ";1\n", ";"))


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

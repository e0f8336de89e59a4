"""Spreadsheet import of past pickups: reading files, mapping columns, all or nothing."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import func, select

from tests import factories
from workshop import cli, dates, db, i18n, pickup_import, pickups, textfiles
from workshop.errors import InvalidInput, PermissionDenied
from workshop.models import AuditEvent, Lot, LotLine, Role

ROOT = Path(__file__).resolve().parents[2]
HEADER = "Date;Marché;Cagettes\n"

FRENCH_CSV = (
    "Date;Marché;Cagettes;Plateaux;Grandes caisses;Nb pesées;Poids (kg);Remarque\n"
    "05/03/2024;Marché Davout;12;3;;4;5,2;pluie\n"
    "06/03/2024;Belgrand;8;;1;;;\n"
    ";;;;;;;\n"
    "2024-03-09;marche des pyrenees;20;0;2;;;été\n"
)


def _csv(text: str, encoding: str = "cp1252") -> pickup_import.Table:
    return pickup_import.read_table(text.encode(encoding), "ancien-tableur.csv")


def _mapping(engine, table: pickup_import.Table) -> dict[str, int | None]:
    return pickup_import.guess_mapping(table.headers, factories.kinds(engine))


def _lots(engine) -> int:
    with db.read_session(engine) as session:
        return session.exec(select(func.count()).select_from(Lot)).one()


def _import(engine, actor, table, mapping=None, filename="ancien-tableur.csv"):
    with db.write_session(engine) as session:
        return pickup_import.import_pickups(
            session=session,
            actor=actor,
            table=table,
            mapping=mapping or _mapping(engine, table),
            filename=filename,
        )


# --- reading files -------------------------------------------------------------------


def test_french_excel_csv_is_read_semicolons_latin1():
    table = _csv(FRENCH_CSV)
    assert table.delimiter == ";" and table.encoding == "cp1252"
    assert table.headers[1] == "Marché" and table.headers[6] == "Poids (kg)"
    assert [n for n, _ in table.rows] == [2, 3, 5]  # blank rows left out, numbering kept
    assert table.rows[2][1][7] == "été"


def test_guessed_mapping(engine):
    table = _csv(FRENCH_CSV)
    ks = factories.kinds(engine)
    mapping = _mapping(engine, table)
    assert mapping[pickup_import.DATE] == 0 and mapping[pickup_import.MARKET] == 1
    assert [mapping[f"count:{k.id}"] for k in ks] == [2, 3, 4]
    assert mapping[pickup_import.SAMPLE_COUNT] == 5 and mapping[pickup_import.SAMPLE_KG] == 6
    assert mapping[pickup_import.NOTE] == 7 and mapping[pickup_import.SAMPLE_KIND] is None
    english = pickup_import.read_table(
        "\ufeffdate,market,Standard wooden crate,trays,large crates,weighed crates,weight kg\n"
        "2024-03-05,Davout,3,1,0,2,2.5\n".encode(),
        "old.csv",
    )
    assert english.delimiter == "," and english.encoding == "utf-8-sig"
    guessed = _mapping(engine, english)
    assert [guessed[f"count:{k.id}"] for k in ks] == [2, 3, 4]
    assert guessed[pickup_import.SAMPLE_COUNT] == 5 and guessed[pickup_import.SAMPLE_KG] == 6


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("05/03/2024", date(2024, 3, 5)),
        ("5/3/24", date(2024, 3, 5)),
        ("2024-03-05", date(2024, 3, 5)),
        ("2024-03-05 00:00:00", date(2024, 3, 5)),
        ("05.03.2024", date(2024, 3, 5)),
        (45356, date(2024, 3, 5)),  # Excel's day number
        ("45356", date(2024, 3, 5)),
        (datetime(2024, 3, 5, 8, 30), date(2024, 3, 5)),
        (date(2024, 3, 5), date(2024, 3, 5)),
    ],
)
def test_dates(value, expected):
    assert pickup_import.parse_date(value) == expected


@pytest.mark.parametrize("value", ["31/02/2024", "mars 2024", "12", 3.5, "2024-13-01"])
def test_bad_dates(value):
    with pytest.raises(ValueError):
        pickup_import.parse_date(value)


def test_xlsx_with_date_cells_and_day_numbers(engine):
    lead = factories.user(engine, Role.lead)
    data = factories.xlsx(
        [
            ["Jour", "Marché", "Cagettes bois", "Plateaux", "Caisses", "Pesées", "Kilos"],
            [datetime(2024, 3, 5), "Marché Davout", 12, 2, None, 3, 3.9],
            [45357, "Davout", 4.0, None, 1, None, None],  # a date typed as a number
            ["2024-03-07", "Mortier", "6", "", "", "", ""],
        ]
    )
    table = pickup_import.read_table(data, "collectes.xlsx")
    assert table.source == "xlsx" and len(table.rows) == 3
    report = _import(engine, lead, table)
    assert len(report.imported) == 3 and report.errors == []
    with db.read_session(engine) as session:
        lots = session.exec(select(Lot).order_by(Lot.pickup_date)).all()
        assert [lot.pickup_date for lot in lots] == [
            date(2024, 3, 5),
            date(2024, 3, 6),
            date(2024, 3, 7),
        ]
        assert lots[0].sample_count == 3 and lots[0].sample_kg == pytest.approx(3.9)


@pytest.mark.parametrize(
    ("data", "name", "key"),
    [
        (b"", "vide.csv", "error.import.empty"),
        (b"\n;;\n\n", "vide.csv", "error.import.empty"),
        (b"PK\x03\x04 not really a zip", "faux.xlsx", "error.import.unreadable"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1rest", "vieux.xls", "error.import.old_excel"),
        (b"a;b\x00c\n", "binaire.csv", "error.file.not_text"),
        # Hostile files: refused whole, with a message, before anything is read as a pickup.
        pytest.param(b"\n" * 1_000_000, "vide.csv", "error.import.empty", id="blank-lines"),
        pytest.param(
            (HEADER[:-1] + ";x" * 50_000 + "\n05/03/2024;Davout;3\n").encode(),
            "large.csv",
            "error.file.too_many_columns",
            id="wide-header",
        ),
        pytest.param(
            (HEADER + "05/03/2024;Davout;3" + ";x" * 50_000 + "\n").encode(),
            "large.csv",
            "error.file.too_many_columns",
            id="wide-row",
        ),
        pytest.param(
            factories.xlsx([["x"] * (textfiles.MAX_COLUMNS + 1)]),
            "large.xlsx",
            "error.file.too_many_columns",
            id="wide-xlsx",
        ),
        pytest.param(
            (HEADER + "05/03/2024;" + "D" * (1024 * 1024) + ";3\n").encode(),
            "cellule.csv",
            "error.file.line_too_long",
            id="1MB-line",
        ),
        pytest.param(
            (HEADER + "05/03/2024;" + "D" * (200 * 1024) + ";3\n").encode(),
            "cellule.csv",
            "error.file.cell_too_long",
            id="200KB-cell",
        ),
        pytest.param(
            b"\n" * textfiles.SHEET_ROWS + HEADER.encode(),
            "vide.csv",
            "error.file.too_many_lines",
            id="more-lines-than-a-sheet",
        ),
        pytest.param(
            factories.bloated_xlsx([["Date", "Marché", "Cagettes"]], 1_000_000),
            "collectes.xlsx",
            "error.file.xlsx_unzipped",
            id="bloated-shared-strings",
        ),
        pytest.param(
            (HEADER + "05/03/2024;Davout;3\n" * (pickup_import.MAX_ROWS + 1)).encode(),
            "long.csv",
            "error.file.too_many_rows",
            id="rows",
        ),
    ],
)
def test_unreadable_files_are_messages(data, name, key):
    with pytest.raises(InvalidInput) as caught:
        pickup_import.read_table(data, name)
    assert caught.value.key == key
    for lang in i18n.LANGUAGES:
        assert caught.value.key in i18n.catalog(lang)


@pytest.mark.parametrize(
    ("market", "shown"),
    [
        (
            '"=HYPERLINK(""http://example.com"";""Davout"")"',
            '=HYPERLINK("http://example.com";"Davout")',
        ),
        ("Dav\x1b[2Jout\x07", "Dav?[2Jout?"),
        ("D" * 100_000, "D" * 59 + "…"),
    ],
    ids=["formula", "control-characters", "long-name"],
)
def test_a_hostile_name_is_an_unknown_market_and_nothing_is_written(engine, market, shown):
    lead = factories.user(engine, Role.lead)
    table = _csv(f"{HEADER}05/03/2024;Davout;3\n06/03/2024;{market};4\n", "utf-8")
    with pytest.raises(pickup_import.ImportRejected) as caught:
        _import(engine, lead, table)
    assert [(e.row, e.key, e.params) for e in caught.value.errors] == [
        (3, "error.import.unknown_market", {"value": shown})
    ]
    assert _lots(engine) == 0


def test_blank_rows_between_rows_do_not_cut_a_sheet_short():
    # Every other row blank: as many rows as MAX_ROWS in all, all of them read.
    rows = [["Date", "Marché", "Cagettes"]]
    for day in range(pickup_import.MAX_ROWS // 2 + 100):
        rows += [[None, None, None], [date(2024, 3, 5) + timedelta(days=day), "Davout", 1]]
    table = pickup_import.read_table(factories.xlsx(rows), "collectes.xlsx")
    assert len(table.rows) == pickup_import.MAX_ROWS // 2 + 100
    assert table.rows[-1][0] == 2 * len(table.rows) + 1


def _days(n: int) -> list[list[object]]:
    return [[date(2020, 1, 1) + timedelta(days=day), "Davout", 1] for day in range(n)]


def test_a_sheet_that_says_it_is_smaller_is_read_whole():
    # Point 12: 200 blank rows, then 4 900 pickups, in a sheet whose recorded size (its
    # <dimension>, which some programs write wrong) is 50 rows short: openpyxl stopped
    # there, and 4 850 pickups were imported without a word.
    data = factories.xlsx([["Date", "Marché", "Cagettes"], *[[None]] * 200, *_days(4900)])
    sheet = factories.xlsx_parts(data)["xl/worksheets/sheet1.xml"]
    assert b'<dimension ref="A1:C5101"' in sheet
    short = sheet.replace(b'<dimension ref="A1:C5101"', b'<dimension ref="A1:C5051"')
    table = pickup_import.read_table(
        factories.xlsx([], {"xl/worksheets/sheet1.xml": short}), "collectes.xlsx"
    )
    assert len(table.rows) == 4900 and table.rows[-1][0] == 5101


def _refused(data: bytes, name: str) -> tuple[str, dict]:
    with pytest.raises(InvalidInput) as caught:
        pickup_import.read_table(data, name)
    return caught.value.key, caught.value.params


def test_nothing_in_a_file_is_left_out_without_a_word():
    # A quote left open in a note made the next rows part of it: 2 pickups of 4.
    text = HEADER[:-1] + ';Remarque\n05/03/2024;Davout;3;"grosse\n06/03/2024;Davout;4;\n'
    text += '07/03/2024;Davout;5;"fin"\n08/03/2024;Davout;6;\n'
    assert _refused(text.encode(), "collectes.csv") == ("error.file.open_quote", {"row": 2})
    # A count typed far to the right, past the columns read.
    data = factories.xlsx([["Date", "Marché", "Cagettes"], *_days(3), [None] * 250 + [4]])
    assert _refused(data, "collectes.xlsx") == (
        "error.file.too_many_columns",
        {"row": 5, "n": 251, "max": textfiles.MAX_COLUMNS},
    )
    # A formula whose result was never saved (a file written by a program) read as empty.
    rows = [["Date", "Marché", "Cagettes"], [date(2024, 3, 5), "Davout", "=2+3"]]
    assert _refused(factories.xlsx(rows), "collectes.xlsx") == (
        "error.file.formula_without_value",
        {"cell": "C2"},
    )


def test_excel_unicode_text_is_imported(engine):
    # Point 13: Excel's "Unicode text": UTF-16 with its byte-order mark, tabs between columns.
    lead = factories.user(engine, Role.lead)
    text = "Date\tMarché\tCagettes\tRemarque\r\n05/03/2024\tMarché Davout\t12\tété\r\n"
    table = pickup_import.read_table(text.encode("utf-16"), "collectes.txt")
    assert (table.encoding, table.delimiter, table.headers) == (
        "utf-16",
        "\t",
        ["Date", "Marché", "Cagettes", "Remarque"],
    )
    report = _import(engine, lead, table, filename="collectes.txt")
    assert [(r.market, r.note) for r in report.imported] == [("Marché Davout", "été")]
    assert _lots(engine) == 1


# --- importing ---------------------------------------------------------------------


def test_import_french_csv_gives_lots_with_codes_samples_and_audit(engine):
    lead = factories.user(engine, Role.lead)
    table = _csv(FRENCH_CSV)
    report = _import(engine, lead, table)
    assert [r.row for r in report.imported] == [2, 3, 5] and report.skipped == []
    assert len(report.lot_codes) == 3 and all(re.fullmatch(r"L\w{6}", c) for c in report.lot_codes)
    ks = factories.kinds(engine)
    with db.read_session(engine) as session:
        first = session.exec(select(Lot).where(Lot.code == report.lot_codes[0])).one()
        assert first.pickup_date == date(2024, 3, 5) and first.note == "pluie"
        # Sample with no kind column: the row's most numerous kind (standard crates).
        assert (first.sample_kind_id, first.sample_count, first.sample_kg) == (ks[0].id, 4, 5.2)
        assert pickups.lot_counts(session=session, lot_id=first.id) == {ks[0].id: 12, ks[1].id: 3}
        third = session.exec(select(Lot).where(Lot.code == report.lot_codes[2])).one()
        assert third.note == "été" and third.collected_by_id == lead.id
        events = session.exec(select(AuditEvent).order_by(AuditEvent.id)).all()
    assert [e.action for e in events][-4:] == ["create", "create", "create", "import"]
    assert "ancien-tableur.csv" in events[-1].after and report.lot_codes[0] in events[-1].after


def test_a_note_written_over_two_lines_in_a_cell_is_imported_as_one_line(engine):
    lead = factories.user(engine, Role.lead)
    table = _csv('Date;Marché;Cagettes;Remarque\n05/03/2024;Davout;12;"pluie\r\nvent  fort"\n')
    report = _import(engine, lead, table)
    with db.read_session(engine) as session:
        lot = session.exec(select(Lot).where(Lot.code == report.lot_codes[0])).one()
    assert lot.note == "pluie vent  fort"


def test_importing_the_same_file_twice_adds_nothing(engine):
    lead = factories.user(engine, Role.lead)
    table = _csv(FRENCH_CSV)
    _import(engine, lead, table)
    again = _import(engine, lead, _csv(FRENCH_CSV))
    assert again.imported == [] and [r.row for r in again.skipped] == [2, 3, 5]
    assert _lots(engine) == 3
    with db.read_session(engine) as session:
        imports_logged = session.exec(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "import")
        ).one()
    assert imports_logged == 1  # nothing imported, nothing to log


def test_identical_rows_in_one_file_are_two_pickups_once(engine):
    lead = factories.user(engine, Role.lead)
    text = "date;marché;cagettes\n05/03/2024;Davout;10\n05/03/2024;Davout;10\n"
    assert len(_import(engine, lead, _csv(text)).imported) == 2
    assert len(_import(engine, lead, _csv(text)).skipped) == 2
    assert _lots(engine) == 2
    # A pickup typed in the form counts as recorded too.
    factories.lot(engine, lead, on=date(2024, 3, 6), counts=(7,))
    report = _import(engine, lead, _csv("date;marché;cagettes\n06/03/2024;Marché Davout;7\n"))
    assert report.imported == [] and len(report.skipped) == 1


def test_one_bad_row_and_nothing_is_written(engine):
    lead = factories.user(engine, Role.lead)
    future = (dates.today() + timedelta(days=3)).strftime("%d/%m/%Y")
    text = (
        "Date;Marché;Cagettes;Plateaux;Nb pesées;Poids (kg)\n"
        "05/03/2024;Davout;12;;;\n"  # 2: fine
        "31/02/2024;Davout;3;;;\n"  # 3: no such day
        "06/03/2024;Marché de Rungis;3;;;\n"  # 4: unknown market
        "07/03/2024;Davout;2,5;;;\n"  # 5: half a crate
        f"{future};Davout;3;;;\n"  # 6: in the future (the pickups' rule)
        "08/03/2024;Davout;0;0;;\n"  # 7: no crates (the pickups' rule)
        "09/03/2024;Davout;5;;6;7\n"  # 8: more weighed than counted (the pickups' rule)
        "10/03/2024;Davout;5;;2;\n"  # 9: sample without its weight
        "11/03/2024;Davout;-4;;;\n"  # 10: negative
        "12/03/2024;Davout;3000;;;\n"  # 11: too many (the pickups' rule)
    )
    table = _csv(text)
    with pytest.raises(pickup_import.ImportRejected) as caught:
        _import(engine, lead, table)
    errors = {e.row: e.key for e in caught.value.errors}
    assert errors == {
        3: "error.import.bad_date",
        4: "error.import.unknown_market",
        5: "error.import.bad_count",
        6: "error.pickup.future_date",
        7: "error.pickup.no_crates",
        8: "error.pickup.sample_more_than_counted",
        9: "error.import.sample_incomplete",
        10: "error.pickup.negative_count",
        11: "error.pickup.too_many",
    }
    assert _lots(engine) == 0  # row 2 was fine, but all or nothing
    by_row = {e.row: e for e in caught.value.errors}
    assert i18n.translate(by_row[4].key, "fr", **by_row[4].params) == (
        "Marché inconnu « Marché de Rungis »."
    )
    assert i18n.translate(by_row[5].key, "en", **by_row[5].params) == (
        'Column "Cagettes": "2,5" is not a whole number of crates.'
    )
    assert "10 rows" not in i18n.translate(caught.value.key, "en", **caught.value.params)
    assert i18n.translate(caught.value.key, "fr", **caught.value.params).startswith("9 ligne(s)")


def test_preview_says_what_import_does_and_writes_nothing(engine):
    lead = factories.user(engine, Role.lead)
    factories.lot(engine, lead, on=date(2024, 3, 5), counts=(12, 3))
    table = _csv(FRENCH_CSV + "07/03/2024;Nulle part;1;;;;;\n")
    with db.write_session(engine) as session:
        report = pickup_import.preview_import(
            session=session, actor=lead, table=table, mapping=_mapping(engine, table)
        )
    assert [r.row for r in report.imported] == [3, 5]
    assert [r.row for r in report.skipped] == [2]
    assert [(e.row, e.key) for e in report.errors] == [(6, "error.import.unknown_market")]
    assert _lots(engine) == 1


def test_mapping_mistakes_are_refused(engine):
    lead = factories.user(engine, Role.lead)
    table = _csv(FRENCH_CSV)
    ks = factories.kinds(engine)
    good = _mapping(engine, table)
    cases = [
        ({**good, pickup_import.DATE: None}, "error.import.map_date"),
        ({**good, pickup_import.MARKET: None}, "error.import.map_market"),
        ({**good, **{f"count:{k.id}": None for k in ks}}, "error.import.map_counts"),
        ({**good, f"count:{ks[1].id}": 2}, "error.import.map_twice"),
        ({**good, pickup_import.SAMPLE_COUNT: None}, "error.import.map_sample"),
        ({**good, pickup_import.NOTE: 42}, "error.import.map_unknown_column"),
    ]
    for mapping, key in cases:
        with pytest.raises(InvalidInput) as caught:
            _import(engine, lead, table, mapping)
        assert caught.value.key == key
    assert _lots(engine) == 0


def test_only_leads_and_admins_import(engine):
    trainee = factories.user(engine, Role.trainee)
    manager = factories.user(engine, Role.market_manager)
    for user in (trainee, manager):
        with pytest.raises(PermissionDenied):
            _import(engine, user, _csv(FRENCH_CSV))
    admin = factories.user(engine, Role.admin)
    assert len(_import(engine, admin, _csv(FRENCH_CSV)).imported) == 3


def test_cli_import(engine, tmp_path, capsys):
    factories.user(engine, Role.lead, "lea")
    path = tmp_path / "collectes.csv"
    path.write_bytes(FRENCH_CSV.encode("cp1252"))
    assert cli.main(["import", str(path), "--user", "lea", "--dry-run"]) == 0
    assert "3 pickups would be imported" in capsys.readouterr().out
    assert _lots(engine) == 0
    assert cli.main(["import", str(path), "--user", "lea"]) == 0
    assert "3 pickups imported, 0 already recorded" in capsys.readouterr().out
    assert cli.main(["import", str(path), "--user", "lea"]) == 0
    assert "0 pickups imported, 3 already recorded" in capsys.readouterr().out
    bad = tmp_path / "bad.csv"
    bad.write_text("date;marché;cagettes\n05/03/2024;Rungis;3\n", encoding="utf-8")
    assert cli.main(["import", str(bad), "--user", "lea"]) == 1
    err = capsys.readouterr().err
    assert "row 2: Marché inconnu « Rungis »." in err and "Traceback" not in err
    with db.read_session(engine) as session:
        assert session.exec(select(func.count()).select_from(LotLine)).one() == 6

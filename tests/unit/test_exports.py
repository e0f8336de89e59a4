"""CSV and XLSX hour reports, read back and compared to the database; a trainee's own data."""

from __future__ import annotations

import csv
import io
import json
import random
from datetime import date, time, timedelta

from openpyxl import load_workbook
from sqlmodel import col, func, select

from tests import factories
from tests.factories import (
    MONDAY,
    add_hours,
    at,
    hour_entries,
    move_trainee,
    read,
    trainee,
    write,
)
from workshop import db, exports, hours
from workshop.models import Activity, HourEntry, HourStatus, Programme, Role

OCTOBER = date(2026, 10, 1)  # has the change to winter time (25 October)


def _approved_minutes(engine, trainee_ids: list[int]) -> dict[int, int]:
    with db.read_session(engine) as session:
        rows = session.exec(
            select(HourEntry.trainee_id, func.sum(HourEntry.minutes))
            .where(
                col(HourEntry.trainee_id).in_(trainee_ids),
                HourEntry.status == HourStatus.approved,
                HourEntry.work_date >= OCTOBER,
                HourEntry.work_date < date(2026, 11, 1),
            )
            .group_by(HourEntry.trainee_id)
        ).all()
    return {tid: int(total) for tid, total in rows}


def _xlsx_table(data: bytes) -> list[list[object]]:
    sheet = load_workbook(io.BytesIO(data)).worksheets[0]
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def _csv_table(data: bytes, lang: str) -> list[list[str]]:
    text = data.decode("utf-8").removeprefix("\ufeff")
    return list(csv.reader(io.StringIO(text), delimiter=";" if lang == "fr" else ","))


def test_a_month_for_twelve_trainees_logged_approved_and_exported(engine):
    """Done when: the exported totals equal the approved hours to the quarter hour."""
    lead = factories.user(engine, Role.lead)
    rng = random.Random(5)
    people = [trainee(engine, name=f"T{i:02d}", programme=0 if i < 8 else 1) for i in range(12)]
    days = [OCTOBER + timedelta(days=i) for i in range(31)]
    for tr in people:
        # One transaction per trainee keeps the test quick; the rules run as on the tablet.
        with db.write_session(engine) as session:
            for day in days:
                if day.weekday() >= 5 or rng.random() < 0.1:
                    continue
                # Morning on the tablet's clock, afternoon typed on the tablet.
                arrive = at(day, 8) + timedelta(minutes=rng.randrange(45, 75))
                hours.clock_in(
                    session=session,
                    trainee_id=tr.id,
                    activity=rng.choice(list(Activity)),
                    now=arrive,
                )
                leave = arrive + timedelta(minutes=rng.randrange(150, 250))
                hours.clock_out(session=session, trainee_id=tr.id, now=leave)
                typed = hours.EntryFields(
                    work_date=day,
                    minutes=15 * rng.randrange(4, 17),
                    activity=rng.choice(list(Activity)),
                )
                hours.shop_floor_hours(
                    session=session, trainee_id=tr.id, fields=typed, now=at(day, 18)
                )
    # One mistaken entry rejected, one forgotten clock-out corrected.
    wrong = add_hours(engine, lead, people[0], date(2026, 10, 3), 60)  # a Saturday
    write(engine, hours.reject_entry, actor=lead, entry_id=wrong.id, reason="Atelier fermé")
    write(engine, hours.clock_in, trainee_id=people[1].id, activity="tri", now=at(days[-1], 9))
    forgotten = next(
        e.id for e in hour_entries(engine, people[1].id) if e.status == HourStatus.open
    )
    write(
        engine,
        hours.correct_entry,
        actor=lead,
        entry_id=forgotten,
        minutes=135,
        activity=Activity.tri,
        reason="Sortie oubliée",
        now=at(days[-1] + timedelta(days=1), 9),
    )
    todo = read(engine, hours.pending, actor=lead, now=at(date(2026, 11, 2), 9))
    for item in todo:
        write(
            engine, hours.approve_week, actor=lead, trainee_id=item.trainee_id, week=item.week_start
        )
    assert read(engine, hours.pending, actor=lead, now=at(date(2026, 11, 2), 9)) == []

    for programme_index, members in ((0, people[:8]), (1, people[8:])):
        ids = [tr.id for tr in members]
        expected = _approved_minutes(engine, ids)
        assert len(expected) == len(members) and all(expected.values())
        report = read(
            engine,
            hours.monthly_report,
            actor=lead,
            programme_id=members[0].programme_id,
            month=OCTOBER,
        )
        assert {r.trainee_id: r.total for r in report.rows} == expected
        # XLSX, named: one line per trainee, then the total line.
        table = _xlsx_table(exports.report_xlsx(report, "fr"))
        header, body, total = table[0], table[1:-1], table[-1]
        assert header[0] == "Salarié·e" and header[-2:] == ["Total (h)", "ETP"]
        names = {tr.display_name: tr.id for tr in members}
        assert {names[row[0]]: round(row[-2] * 60) for row in body} == expected
        for row in body:  # activities add up to the total, in quarter hours
            assert sum(row[1:-2]) == row[-2] and (float(row[-2]) * 4).is_integer()
        assert total[0] == "Total" and total[-2] * 60 == sum(expected.values())
        assert round(total[-1], 4) == round(sum(expected.values()) / 60 / 151.67, 4)
        # CSV, pseudonymised, in both languages.
        for lang in ("fr", "en"):
            rows = _csv_table(exports.report_csv(report, lang, pseudonymised=True), lang)
            pseudonyms = {hours.pseudonym(tid): tid for tid in ids}
            got = {
                pseudonyms[row[0]]: round(float(row[-2].replace(",", ".")) * 60)
                for row in rows[1:-1]
            }
            assert got == expected
            assert not any(tr.display_name in ";".join(map(str, r)) for r in rows for tr in members)
        assert programme_index in (0, 1)


def test_xlsx_about_sheet_and_empty_trainee(engine):
    lead = factories.user(engine, Role.lead)
    tr = trainee(engine)
    trainee(engine, name="Bob")  # under contract, no hours: a row of zeros
    add_hours(engine, lead, tr, date(2026, 3, 9), 90, start=time(9), activity=Activity.finition)
    write(engine, hours.approve_week, actor=lead, trainee_id=tr.id, week=date(2026, 3, 9))
    report = read(
        engine,
        hours.monthly_report,
        actor=lead,
        programme_id=tr.programme_id,
        month=date(2026, 3, 1),
    )
    book = load_workbook(io.BytesIO(exports.report_xlsx(report, "en")))
    hours_sheet, about = book.worksheets
    rows = [list(r) for r in hours_sheet.iter_rows(values_only=True)]
    assert rows[0][0] == "Trainee" and rows[0][6] == "Finishing"
    assert rows[1][0] == "Awa D." and rows[1][6] == 1.5 and rows[1][-2] == 1.5
    assert rows[2][0] == "Bob D." and rows[2][-2] == 0
    info = {r[0]: r[1] for r in about.iter_rows(values_only=True)}
    assert info["Month"] == "2026-03" and info["Hours of one FTE a month"] == 151.67
    assert exports.report_filename(report, "xlsx", pseudonymised=True).endswith("-pseudo.xlsx")


def test_french_csv_uses_decimal_commas(engine):
    lead = factories.user(engine, Role.lead)
    tr = trainee(engine)
    add_hours(engine, lead, tr, date(2026, 3, 9), 135)
    write(engine, hours.approve_week, actor=lead, trainee_id=tr.id, week=date(2026, 3, 9))
    report = read(
        engine,
        hours.monthly_report,
        actor=lead,
        programme_id=tr.programme_id,
        month=date(2026, 3, 9),
    )
    data = exports.report_csv(report, "fr")
    assert data.startswith("\ufeff".encode())
    rows = _csv_table(data, "fr")
    assert rows[1][0] == "Awa D." and rows[1][-2] == "2,25"


def test_personal_data_files(engine):
    account = factories.user(engine, Role.trainee)
    tr = trainee(engine, user_id=account.id)
    add_hours(engine, account, tr, date(2026, 3, 9), 60, reason="")
    data = read(engine, hours.personal_data, actor=account, trainee_id=tr.id)
    assert json.loads(exports.personal_data_json(data))["trainee"]["display_name"] == "Awa D."
    rows = _csv_table(exports.personal_data_csv(data, "en"), "en")
    assert rows[0][:4] == ["date", "start", "end", "minutes"]
    assert rows[1][0] == "2026-03-09" and rows[1][3] == "60"


def test_files_of_a_month_when_a_trainee_moves_programme(engine):
    """Awa works 6 h under A, moves to B, works 4 h: each programme's files show its own."""
    lead = factories.user(engine, Role.lead)
    awa = trainee(engine)
    add_hours(engine, lead, awa, MONDAY, 6 * 60, activity=Activity.poncage)
    write(engine, hours.approve_week, actor=lead, trainee_id=awa.id, week=MONDAY)
    old_programme = awa.programme_id
    new_programme = move_trainee(engine, lead, awa, 1).programme_id
    later = MONDAY + timedelta(days=7)
    add_hours(engine, lead, awa, later, 4 * 60, activity=Activity.assemblage)
    write(engine, hours.approve_week, actor=lead, trainee_id=awa.id, week=later)
    got = {}
    for programme_id in (old_programme, new_programme):
        report = read(
            engine, hours.monthly_report, actor=lead, programme_id=programme_id, month=MONDAY
        )
        rows = _csv_table(exports.report_csv(report, "en"), "en")
        header = rows[0]
        (awa_row,) = [r for r in rows[1:-1] if r[0] == "Awa D."]
        got[programme_id] = {
            col: awa_row[header.index(col)] for col in ("Sanding", "Assembly", "Total (h)")
        }
        book = load_workbook(io.BytesIO(exports.report_xlsx(report, "fr")))
        about = {r[0]: r[1] for r in book.worksheets[1].iter_rows(values_only=True)}
        assert about["Programme des heures"].startswith("Celui où les heures ont été faites")
    assert got == {
        old_programme: {"Sanding": "6", "Assembly": "0", "Total (h)": "6"},
        new_programme: {"Sanding": "0", "Assembly": "4", "Total (h)": "4"},
    }
    # The trainee's own data says under which programme each hour was worked.
    data = read(engine, hours.personal_data, actor=lead, trainee_id=awa.id)
    rows = _csv_table(exports.personal_data_csv(data, "en"), "en")
    programmes = {r[0]: r[rows[0].index("programme")] for r in rows[1:]}
    with db.read_session(engine) as session:
        names = {p.id: p.name for p in hours.programmes(session=session)}
    assert programmes == {
        MONDAY.isoformat(): names[old_programme],
        later.isoformat(): names[new_programme],
    }


def test_names_stored_with_control_characters_do_not_stop_the_xlsx_report(engine):
    """Kept before typed text was checked: a U+0008 in a name made openpyxl refuse the file."""
    lead = factories.user(engine, Role.lead)
    # What a database holds (PostgreSQL keeps no NUL, neither keeps a lone surrogate).
    stored = ["Aw\x08a", "Bo\x0cb", "\u202eInès", "Lé\x85a", "Sa\x1bm\x7f"]
    people = [trainee(engine, name=name) for name in stored]
    with db.write_session(engine) as session:
        programme = session.get(Programme, people[0].programme_id)
        programme.name, programme.name_en = "Régie\x0b de quartier", "Régie\x0b (company)"
        session.add(programme)
    report = read(
        engine, hours.monthly_report, actor=lead, programme_id=people[0].programme_id, month=MONDAY
    )
    for lang in ("fr", "en"):
        book = load_workbook(io.BytesIO(exports.report_xlsx(report, lang)))
        names = [row[0] for row in book.worksheets[0].iter_rows(min_row=2, values_only=True)]
        assert sorted(names[:-1]) == sorted(
            ["Aw\ufffda D.", "Bo\ufffdb D.", "Inès D.", "Lé\ufffda D.", "Sa\ufffdm\ufffd D."]
        )
        about = [row[1] for row in book.worksheets[1].iter_rows(values_only=True)]
        assert {"fr": "Régie\ufffd de quartier", "en": "Régie\ufffd (company)"}[lang] in about


# Names and notes a spreadsheet would run as formulas (OWASP's list of first characters).
FORMULAS = [
    '=HYPERLINK("http://evil.example","clic")',
    "+1+1",
    "-2+3",
    "@SUM(A1)",
    "\t=1+1",
    "\r=1+1",
]


def test_every_export_writes_formulas_as_text_and_numbers_as_numbers(engine):
    """A trainee named `=HYPERLINK(…)` is text in the CSV and XLSX, never a live formula."""
    lead = factories.user(engine, Role.lead)
    people = [trainee(engine, name=name) for name in FORMULAS]
    with db.write_session(engine) as session:  # a programme renamed by hand
        programme = session.get(Programme, people[0].programme_id)
        programme.name = "=cmd()"
        session.add(programme)
    add_hours(engine, lead, people[0], date(2026, 3, 9), 90, reason="-1+1 oublié")
    write(engine, hours.approve_week, actor=lead, trainee_id=people[0].id, week=date(2026, 3, 9))
    report = read(
        engine,
        hours.monthly_report,
        actor=lead,
        programme_id=people[0].programme_id,
        month=date(2026, 3, 1),
    )
    expected = {f"'{name} D." for name in FORMULAS}
    hyperlink = f"'{FORMULAS[0]} D."
    for lang, hours_text in (("fr", "1,5"), ("en", "1.5")):
        rows = _csv_table(exports.report_csv(report, lang), lang)
        assert {row[0] for row in rows[1:-1]} == expected
        assert next(row for row in rows if row[0] == hyperlink)[-2] == hours_text
    book = load_workbook(io.BytesIO(exports.report_xlsx(report, "fr")))
    hours_sheet, about = book.worksheets
    cells = [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]
    assert [cell.coordinate for cell in cells if cell.data_type == "f"] == []
    names = [cell.value for cell in hours_sheet["A"][1:-1]]  # (XML reads "\r" back as "\n")
    assert len(names) == len(FORMULAS) and all(name.startswith("'") for name in names)
    assert "'=cmd()" in [cell.value for cell in about["B"]]
    row = next(r for r in hours_sheet.iter_rows(min_row=2) if r[0].value == hyperlink)
    assert row[-2].value == 1.5 and row[-2].data_type == "n"  # a number stays a number
    data = read(engine, hours.personal_data, actor=lead, trainee_id=people[0].id)
    rows = _csv_table(exports.personal_data_csv(data, "fr"), "fr")
    line = dict(zip(rows[0], rows[1], strict=True))
    assert (line["reason"], line["programme"], line["minutes"]) == ("'-1+1 oublié", "'=cmd()", "90")
    # The JSON is data, not a spreadsheet: kept exactly as typed.
    assert json.loads(exports.personal_data_json(data))["hours"][0]["reason"] == "-1+1 oublié"

"""The funders' monthly pack: person-months, FTE shares, entries and exits, XLSX and CSV."""

from __future__ import annotations

import io
from datetime import date, time, timedelta

import pytest
from openpyxl import load_workbook

from tests import factories
from tests.factories import MONDAY, add_hours, move_trainee, read, trainee, write
from workshop import hours
from workshop.documents import funders
from workshop.errors import PermissionDenied
from workshop.models import Role


def _march_with_a_move(engine):
    """March 2026: Awa works 5 h 15 in A, moves to B, works 3 h 45 there; Bob (A) enters on
    the 2nd and leaves on the 20th after 2 h 30; Cy's hours wait for approval."""
    lead = factories.user(engine, Role.lead)
    awa = trainee(engine)
    bob = trainee(engine, name="Bob", start=date(2026, 3, 2), end=date(2026, 3, 20))
    cy = trainee(engine, name="=Cy")  # a name a spreadsheet would run as a formula
    add_hours(engine, lead, awa, MONDAY, 5 * 60 + 15, start=time(9))
    add_hours(engine, lead, bob, MONDAY, 2 * 60 + 30)
    add_hours(engine, lead, cy, MONDAY, 60)
    for tr in (awa, bob):
        write(engine, hours.approve_week, actor=lead, trainee_id=tr.id, week=MONDAY)
    move_trainee(engine, lead, awa, 1)
    later = MONDAY + timedelta(days=7)
    add_hours(engine, lead, awa, later, 3 * 60 + 45)
    write(engine, hours.approve_week, actor=lead, trainee_id=awa.id, week=later)
    pack = read(engine, funders.monthly_pack, actor=lead, month=date(2026, 3, 17))
    return lead, pack


def test_pack_holds_each_programme_s_approved_hours_and_moves(engine):
    lead, pack = _march_with_a_move(engine)
    assert pack.month == date(2026, 3, 1)
    by_programme = {p.report.programme.id: p for p in pack.programmes}
    assert len(by_programme) == 2
    a, b = sorted(by_programme.values(), key=lambda p: p.report.programme.id or 0)
    people_a = {p.name: p for p in a.people}
    minutes = {n: p.minutes for n, p in people_a.items()}
    assert minutes == {"=Cy D.": 0, "Awa D.": 315, "Bob D.": 150}
    assert people_a["Bob D."].entered == date(2026, 3, 2)
    assert people_a["Bob D."].left == date(2026, 3, 20)
    assert (a.entries, a.exits) == (1, 1)
    assert {p.name: p.minutes for p in b.people} == {"Awa D.": 225}
    assert people_a["Awa D."].fte == round(315 / 60 / pack.base_hours, 4)
    # The same call as the hour reports page.
    for part in pack.programmes:
        report = read(
            engine,
            hours.monthly_report,
            actor=lead,
            programme_id=part.report.programme.id,
            month=pack.month,
        )
        assert [r.total for r in report.rows] == [p.minutes for p in part.people]


@pytest.mark.parametrize("pseudonymised", [False, True])
def test_xlsx_read_back_equals_the_approved_hours_to_the_quarter_hour(engine, pseudonymised):
    _, pack = _march_with_a_move(engine)
    book = load_workbook(io.BytesIO(funders.xlsx(pack, "fr", pseudonymised=pseudonymised)))
    assert len(book.sheetnames) == len(pack.programmes) + 1  # one per programme, "À propos"
    for part, name in zip(pack.programmes, book.sheetnames, strict=False):
        sheet = book[name]
        values = [list(row) for row in sheet.iter_rows(values_only=True)]
        assert values[0][:3] == [
            "Pseudonyme" if pseudonymised else "Salarié·e",
            "Heures travaillées",
            "Part d'ETP",
        ]
        body, total = values[1:-1], values[-1]
        assert [row[1] * 60 for row in body] == [p.minutes for p in part.people]
        assert total[0] == "Total" and total[1] * 60 == part.report.total
        assert total[3:] == [part.entries, part.exits]
        firsts = [row[0] for row in body]
        if pseudonymised:
            assert firsts == [p.pseudonym for p in part.people]
        else:
            assert all(not str(v).startswith("=") for v in firsts)  # never a formula
    first_column = [row[0] for row in book[book.sheetnames[0]].iter_rows(values_only=True)]
    assert ("'=Cy D." in first_column) is not pseudonymised  # shown as typed, never run


def test_csv_has_one_row_per_person_month_and_the_totals(engine):
    _, pack = _march_with_a_move(engine)
    text = funders.csv(pack, "fr").decode("utf-8-sig")
    lines = text.splitlines()
    assert lines[0].startswith("Programme;Salarié·e;Heures travaillées;Part d'ETP;Entrée;Sortie")
    assert sum(len(p.people) + 1 for p in pack.programmes) == len(lines) - 1
    assert any(line.endswith(";Bob D.;2,5;0,0165;2026-03-02;2026-03-20") for line in lines)
    english = funders.csv(pack, "en").decode("utf-8-sig").splitlines()[0]
    assert english == "Programme,Trainee,Hours worked,FTE share,Entry,Exit"


def test_sheet_names_are_valid_and_unique() -> None:
    taken: set[str] = set()
    assert funders._sheet_title("Régie / IAE [2026]", taken) == "Régie   IAE  2026"
    long = "Territoire zéro chômeur de longue durée, Paris 20e"
    first = funders._sheet_title(long, taken)
    second = funders._sheet_title(long, taken)
    assert len(first) == len(second) == 31 and first != second


def test_pack_is_for_leads_and_admins(engine):
    manager = factories.user(engine, Role.market_manager)
    with pytest.raises(PermissionDenied):
        read(engine, funders.monthly_pack, actor=manager, month=MONDAY)

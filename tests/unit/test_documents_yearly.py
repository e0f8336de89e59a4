"""The yearly activity report: the dashboard's, the hour reports' and the venues' figures,
a PDF with every figure in its text, an XLSX that reads back the same."""

from __future__ import annotations

import io
from datetime import date, time, timedelta

import pytest
from openpyxl import load_workbook

from tests import factories
from tests.factories import MONDAY, add_hours, move_trainee, read, trainee, write
from workshop import crates, db, hours, i18n, impact, venues
from workshop.documents import yearly
from workshop.errors import PermissionDenied
from workshop.models import BuildStatus, Outcome, Role

YEAR = 2026


@pytest.fixture
def year_of_work(engine):
    """2026: pickups at two markets, crates reused and burnt, three pieces (sold, donated,
    still at the workshop), hours in two programmes with a move, a venue's figures."""
    admin = factories.user(engine, Role.admin)
    lead = factories.user(engine, Role.lead)
    lot = factories.lot(engine, lead, on=date(2026, 2, 4), counts=(30,), sample=(5, 9.0))
    factories.lot(engine, lead, market_name="Marché de Belleville", on=date(2026, 5, 8))
    factories.lot(engine, lead, on=date(2025, 12, 20), counts=(40,))  # another year
    standard = factories.kinds(engine)[0].id
    tagged = write(
        engine, crates.sort_lot, actor=lead, lot_id=lot.id, tag={standard: 8}, remainder=None
    )
    for crate in tagged[:3]:
        write(engine, crates.set_outcome, actor=lead, code=crate.code, outcome=Outcome.reused)
    write(engine, crates.set_outcome, actor=lead, code=tagged[3].code, outcome=Outcome.firewood)
    for status in (BuildStatus.sold, BuildStatus.donated, BuildStatus.finished):
        piece = factories.build(engine, lead)
        factories.set_build_status(engine, lead, piece, BuildStatus.in_progress)
        factories.set_build_status(engine, lead, piece, BuildStatus.finished, on=date(2026, 3, 2))
        if status != BuildStatus.finished:
            factories.set_build_status(engine, lead, piece, status, destination="La Miroiterie")
    awa, bob = trainee(engine), trainee(engine, name="Bob")
    add_hours(engine, lead, awa, MONDAY, 4 * 60 + 15, start=time(9))
    add_hours(engine, lead, bob, MONDAY, 90)
    for tr in (awa, bob):
        write(engine, hours.approve_week, actor=lead, trainee_id=tr.id, week=MONDAY)
    move_trainee(engine, lead, awa, 1)
    later = MONDAY + timedelta(days=7)
    add_hours(engine, lead, awa, later, 2 * 60 + 45)
    write(engine, hours.approve_week, actor=lead, trainee_id=awa.id, week=later)
    with db.read_session(engine) as session:
        other = venues.list_venues(session=session, actor=admin, typed_only=True)[0]
    metric = other.metrics[0]
    for month, value in ((date(2026, 1, 1), 120.0), (date(2026, 2, 1), 80.5)):
        write(
            engine,
            venues.record_month,
            actor=lead,
            venue_id=other.venue.id,
            month=month,
            figures={metric.id: value},
        )
    return admin, other.venue.name


def _report(engine, admin, lang="fr"):
    return read(
        engine, yearly.yearly_report, actor=admin, year=YEAR, lang=lang, today=date(2027, 1, 5)
    )


def test_figures_are_the_dashboard_s_and_the_hour_reports(engine, year_of_work):
    admin, venue = year_of_work
    report = _report(engine, admin)
    dashboard = read(
        engine, impact.dashboard, actor=admin, start=date(YEAR, 1, 1), end=date(YEAR, 12, 31)
    )
    assert report.complete and report.totals == dashboard.totals
    assert {m.market for m in report.markets} == {"Marché Davout", "Marché de Belleville"}
    assert sum(m.kg for m in report.markets) == pytest.approx(dashboard.totals.kg)
    assert sum(kg for _, kg in report.months) == pytest.approx(dashboard.totals.kg)
    assert report.outcomes == dashboard.outcome_kg()
    kept = report.outcomes[Outcome.in_build] + report.outcomes[Outcome.reused]
    assert report.reuse_rate == pytest.approx(kept / report.sorted_kg)
    assert 0 < report.reuse_rate < 1 and sum(report.shares().values()) == 100
    assert report.co2e == dashboard.co2e
    assert report.pieces == 3 == sum(p.pieces for p in dashboard.pieces)
    assert report.destinations == {
        BuildStatus.finished: 1,
        BuildStatus.sold: 1,
        BuildStatus.donated: 1,
        BuildStatus.installed: 0,
    }
    per_programme = {p: sum(m.values()) / 60 for p, m in report.hours.items()}
    assert per_programme == {h.programme: h.hours for h in dashboard.hours}
    assert sorted(per_programme.values()) == [2.75, 4.25 + 1.5]
    assert report.trainees == 2
    own = {f.metric: f.value for f in report.venues if f.own}
    assert own["cagettes collectées"] == report.totals.crates
    assert own["meubles fabriqués"] == 3
    typed = [f for f in report.venues if f.venue == venue and f.value]
    assert [f.value for f in typed] == [200.5]


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_pdf_text_holds_every_figure(engine, year_of_work, lang):
    admin, venue = year_of_work
    report = _report(engine, admin, lang)
    pdf = yearly.render(report, lang, today=date(2027, 1, 5))
    assert all(factories.pdf_fonts(pdf).values()) and len(pdf) <= 200_000
    text = factories.pdf_text(pdf)
    expected = [
        str(YEAR),
        yearly.doc_number(report),
        i18n.fmt_number(report.totals.crates, lang),
        i18n.fmt_kg(report.totals.kg, lang),
        f"{i18n.fmt_number(100 * report.reuse_rate, lang)} %",
        i18n.fmt_kg(report.co2e.co2e_kg, lang),
        report.co2e.source,
        venue,
        "200,5" if lang == "fr" else "200.5",
    ]
    for m in report.markets:
        expected.append(f"{m.market} {i18n.fmt_number(m.crates, lang)}")
        expected.append(i18n.fmt_number(m.kg, lang, 1))
    for minutes in report.hours.values():
        expected.append(i18n.fmt_number(sum(minutes.values()) / 60, lang, 2))
    shares = report.shares()
    for o, kg in report.outcomes.items():
        expected.append(f"{i18n.fmt_kg(kg, lang)} · {i18n.fmt_number(shares.get(o, 0), lang)} %")
    for figure in expected:
        assert factories.shown(figure) in text, figure
    assert ("Rapport d'activité 2026" if lang == "fr" else "Activity report 2026") in text


def test_xlsx_reads_back_the_same_figures(engine, year_of_work):
    admin, _ = year_of_work
    report = _report(engine, admin)
    book = load_workbook(io.BytesIO(yearly.xlsx(report, "fr")))
    assert book.sheetnames == ["Marchés", "Devenir du bois", "Meubles", "Heures", "Autres lieux"]
    markets = list(book["Marchés"].iter_rows(values_only=True))
    assert markets[-1][0] == "Tous les marchés"
    assert markets[-1][5] == pytest.approx(report.totals.kg)
    hours_rows = list(book["Heures"].iter_rows(values_only=True))
    totals = next(r for r in hours_rows if r[0] == "Toutes activités")
    assert [t * 60 for t in totals[1:]] == [sum(m.values()) for m in report.hours.values()]
    pieces = {r[0]: r[1] for r in book["Meubles"].iter_rows(min_row=2, values_only=True)}
    assert pieces["Tous les meubles terminés"] == 3 and pieces["Vendus"] == 1


def test_a_year_with_nothing_still_makes_a_report(engine):
    admin = factories.user(engine, Role.admin)
    report = read(engine, yearly.yearly_report, actor=admin, year=2030, today=date(2026, 6, 1))
    assert report.reuse_rate is None and not report.complete and not report.hours
    text = factories.pdf_text(yearly.render(report, "fr", today=date(2026, 6, 1)))
    assert "(année en cours)" in text and "Aucune heure validée cette année." in text


@pytest.mark.parametrize("role", [Role.lead, Role.market_manager])
def test_report_is_the_admin_s(engine, role):
    with pytest.raises(PermissionDenied):
        read(engine, yearly.yearly_report, actor=factories.user(engine, role), year=YEAR)

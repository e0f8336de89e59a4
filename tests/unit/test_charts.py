"""Charts: Plotly figures from plain rows (estimated kilos marked, goal, sankey, CO2e), CSV."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest

from tests import factories
from workshop import charts, dates, db, impact
from workshop.models import Outcome, Role

START, END = date(2026, 1, 1), date(2026, 12, 31)


def test_chart_marks_estimated_kilos(engine):
    lead = factories.user(engine, Role.lead)
    factories.lot(engine, lead, on=date(2026, 3, 6), counts=(10,), sample=(5, 7.0))
    factories.lot(engine, lead, market_name="Marché Belgrand", on=date(2026, 3, 7), counts=(3,))
    with db.read_session(engine) as session:
        rows = impact.dashboard(session=session, actor=lead, start=START, end=END).months
    fig = charts.kg_per_market_month(rows, "fr")
    names = sorted(trace.name for trace in fig.data)
    assert names == ["Marché Belgrand", "Marché Davout", "hachuré : kilos estimés"]
    hatched = [t.name for t in fig.data if t.marker.pattern.shape == "/"]
    assert hatched == ["Marché Belgrand", "hachuré : kilos estimés"]
    assert list(fig.data[0].x) == ["mars 2026"]
    assert fig.layout.barmode == "stack"


def test_charts_from_plain_rows():
    rows = [
        impact.MonthRow("Marché A", date(2026, 1, 1), 10, 5.0, 7.0, 1.5),
        impact.MonthRow("Marché B", date(2026, 3, 1), 4, 0.0, 4.8, 1.2),
    ]
    fig = charts.cumulative_vs_goal(rows, date(2026, 1, 1), date(2026, 12, 31), 3650, "fr")
    cumulative = next(tr for tr in fig.data if tr.name == "kilos cumulés")
    assert list(cumulative.y)[:3] == [12.0, 12.0, 16.8]
    goal = next(tr for tr in fig.data if tr.name and tr.name.startswith("objectif"))
    assert goal.y[-1] == pytest.approx(3650) and goal.y[0] == pytest.approx(310)
    band = charts.kg_per_market_month(rows, "en", band=True)
    assert list(band.data[-1].error_y.array) == [1.5, 1.2]
    assert band.layout.separators == ".,"
    outcome_rows = [
        impact.OutcomeRow("Marché A", date(2026, 1, 1), Outcome.in_build, 2, 2.4, 2.4, 0.6),
        impact.OutcomeRow("Marché A", date(2026, 1, 1), Outcome.firewood, 1, 1.2, 0.0, 0.0),
    ]
    sankey = charts.sankey(outcome_rows, "fr").data[0]
    assert list(sankey.link.value) == [2.4, 1.2]
    assert sankey.node.label[0] == "Marché A"
    co2e = charts.co2e_per_month(outcome_rows, date(2026, 1, 1), date(2026, 2, 28), 0.5, "S", "fr")
    assert list(co2e.data[0].y) == [1.2, 0]
    assert "S" in co2e.layout.annotations[0].text


def test_csv_in_french_and_english():
    rows = [impact.MonthRow("Marché A", date(2026, 1, 1), 10, 5.25, 7.0, 1.5)]
    fr = charts.to_csv(charts.kg_table(rows, "fr"), "fr").decode("utf-8-sig").splitlines()
    assert fr[0] == "Mois;Marché;Cagettes;kg pesés;kg estimés;incertitude (± kg)"
    assert fr[1] == "2026-01-01;Marché A;10;5,25;7;1,5"
    en = charts.to_csv(charts.kg_table(rows, "en"), "en").decode("utf-8-sig").splitlines()
    assert en[1] == "2026-01-01,Marché A,10,5.25,7,1.5"


def test_small_multiples_share_the_months():
    series = [
        charts.Series("Atelier · kg", {date(2026, 1, 1): 10.0}, own=True),
        charts.Series("Régie · emplois", {date(2026, 2, 1): 3.0}),
        charts.Series("Édicule · visiteurs", {}),
    ]
    fig = charts.small_multiples(series, date(2026, 1, 1), date(2026, 3, 31), "fr")
    assert len(fig.data) == 3
    assert [list(tr.x) for tr in fig.data] == [["janv. 2026", "févr. 2026", "mars 2026"]] * 3
    assert list(fig.data[1].y) == [None, 3.0, None]
    table = charts.series_table(series, date(2026, 1, 1), date(2026, 3, 31), "fr")
    assert table.rows[1] == [date(2026, 2, 1), "", 3.0, ""]


def _csv(data: bytes, lang: str) -> list[list[str]]:
    text = data.decode("utf-8").removeprefix("\ufeff")
    return list(csv.reader(io.StringIO(text), delimiter=";" if lang == "fr" else ","))


def test_every_table_writes_typed_names_as_text_never_as_formulas():
    """Market, design, programme, venue and metric names starting with = + - @ are text."""
    month = date(2026, 1, 1)
    outcome = impact.OutcomeRow("=HYPERLINK(1)", month, Outcome.in_build, 2, 2.5, 0.0, 0.0)
    tables = [
        charts.kg_table([impact.MonthRow("+Marché", month, 10, 5.0, 7.0, 1.5)], "fr"),
        charts.outcomes_table([outcome], "fr"),
        charts.pieces_table([impact.PiecesRow(month, "-Banc", 3)], "fr"),
        charts.hours_table([impact.HoursRow(month, "@Régie", 12.5)], "fr"),
        charts.co2e_table([outcome], 0.0366, "=ADEME", "fr"),
        charts.trend_table([(month, -3.0)], "\tMarché", "fr"),
        charts.series_table(
            [charts.Series("=Lieu · visiteurs", {month: -3.0})], month, month, "fr"
        ),
    ]
    files = [_csv(charts.to_csv(table, "fr"), "fr") for table in tables]
    cells = [cell for rows in files for row in rows for cell in row]
    typed = ["'+Marché", "'=HYPERLINK(1)", "'-Banc", "'@Régie", "'=ADEME", "'\tMarché"]
    assert set(typed) <= set(cells) and "'=Lieu · visiteurs" in cells
    assert not [c for c in cells if c[:1] in "=+@\t\r" or (c[:1] == "-" and c != "-3")]
    assert cells.count("-3") == 2  # negative numbers stay numbers


def test_the_month_in_progress_is_drawn_as_such_never_as_a_fall():
    this_month = dates.today().replace(day=1)
    before = dates.add_months(this_month, -1)
    rows = [
        impact.MonthRow("Marché A", before, 100, 0.0, 120.0, 30.0),
        impact.MonthRow("Marché A", this_month, 10, 0.0, 12.0, 3.0),
    ]
    for lang, words in (("fr", "mois en cours"), ("en", "month in progress")):
        fig = charts.kg_per_market_month(rows, lang)
        [shade] = fig.layout.shapes
        assert (shade.x0, shade.x1) == (0.5, 1.5)  # the second (last) month's column
        assert [a.text for a in fig.layout.annotations] == [words]
        points = [(before, 120.0), (this_month, 12.0)]
        assert len(charts.trend(points, before, lang).layout.shapes) == 1
    # A period that is over has no such mark.
    assert not charts.kg_per_market_month(rows[:1], "fr").layout.shapes


def test_the_legend_holds_at_most_eight_markets_and_explains_the_hatching_once():
    rows = [
        impact.MonthRow(f"Marché {n:02d}", date(2026, 3, 1), 10, 6.0, float(n), 1.0)
        for n in range(1, 13)
    ]
    fig = charts.kg_per_market_month(rows, "fr")
    listed = [t.name for t in fig.data if t.showlegend is not False]
    assert len(listed) == 9 and listed[-2:] == ["autres marchés", "hachuré : kilos estimés"]
    assert listed[:7] == [f"Marché {n:02d}" for n in range(6, 13)]  # the seven biggest
    assert (fig.layout.legend.yref, fig.layout.legend.y) == ("container", 0)  # at the foot


def test_small_multiples_titles_wrap_for_a_phone_and_show_markup_as_typed():
    months = charts.month_range(date(2026, 1, 1), dates.today())
    typed = "Repas servis · Régie de quartier <a href='https://evil.example'>Saint-Blaise</a>"
    fig = charts.small_multiples(
        [charts.Series(typed, dict.fromkeys(months, 1.0))], months[0], months[-1], "fr"
    )
    title = fig.layout.annotations[0].text
    lines = title.split("<br>")
    assert "<" not in "".join(lines) and "&lt;a" in title  # shown as typed, never a link
    assert len(lines) > 1 and all(len(line) <= 40 for line in lines)
    # This month is drawn as not over on every small chart.
    assert [a.text for a in fig.layout.annotations[1:]] == ["mois en cours"]

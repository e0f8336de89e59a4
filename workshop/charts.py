"""Plotly figures and their data tables, built from plain rows; they never draw on a page.

Every figure has a `*_table` twin giving the same numbers as rows, which the pages
offer as a CSV download (`to_csv`): French CSV uses ";" and a decimal comma.
"""

from __future__ import annotations

import textwrap
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from workshop import dates, i18n, spreadsheets
from workshop.impact import (
    WASTE_HIERARCHY,
    HoursRow,
    MonthRow,
    OutcomeRow,
    PiecesRow,
)
from workshop.models import Outcome

# Colour-blind-safe palette (Okabe–Ito), then Plotly's default for more markets.
PALETTE = (
    "#E69F00",
    "#56B4E9",
    "#009E73",
    "#F0E442",
    "#0072B2",
    "#D55E00",
    "#CC79A7",
    "#999999",
    "#8C564B",
    "#17BECF",
    "#BCBD22",
    "#1F77B4",
)
OUTCOME_COLOURS = {
    Outcome.in_build: "#009E73",
    Outcome.reused: "#56B4E9",
    Outcome.recycled: "#0072B2",
    Outcome.firewood: "#D55E00",
    Outcome.in_stock: "#999999",
}
HIGHLIGHT, MUTED = "#D55E00", "#C8C8C8"
# More markets than this are grouped as "other markets": a legend of at most 8 entries
# and Sankey labels that do not overlap on a phone.
SANKEY_MARKETS = 7
STACKED_MARKETS = 7


def _t(key: str, lang: str, **params: Any) -> str:
    return i18n.translate(key, lang, **params)


def _layout(fig: go.Figure, lang: str, y_title: str = "", **extra: Any) -> go.Figure:
    settings: dict[str, Any] = {
        "yaxis_title": y_title,
        # At the foot of the figure: the plot and its month labels (turned on a phone) get
        # the room above it, so the legend never covers them.
        "legend": {"orientation": "h", "yref": "container", "yanchor": "bottom", "y": 0},
        "margin": {"l": 10, "r": 10, "t": 30, "b": 10},
        "separators": ", " if lang == "fr" else ".,",
    }
    fig.update_layout(**(settings | extra))
    return fig


def _running_month(fig: go.Figure, months: Sequence[date], lang: str, **where: Any) -> go.Figure:
    """Shade this month's column and name it "month in progress": its bars are not a fall.

    `where` places it on subplots (`row="all", col="all"`)."""
    this_month = dates.today().replace(day=1)
    if this_month in months:
        at = list(months).index(this_month)
        fig.add_vrect(
            **where,
            x0=at - 0.5,
            x1=at + 0.5,
            fillcolor="rgba(120,120,120,0.15)",
            line={"width": 1, "dash": "dot", "color": "rgba(90,90,90,0.6)"},
            layer="below",
            annotation_text=_t("chart.running", lang),
            annotation_position="top",
            annotation_font_size=10,
        )
    return fig


def month_range(start: date, end: date) -> list[date]:
    """First days of every month from `start`'s to `end`'s."""
    months, month = [], start.replace(day=1)
    while month <= end:
        months.append(month)
        month = dates.add_months(month, 1)
    return months


# --- Tables (CSV) ---------------------------------------------------------------------


@dataclass(frozen=True)
class Table:
    """A chart's data: column titles and rows of plain values."""

    header: list[str]
    rows: list[list[Any]]


def to_csv(table: Table, lang: str) -> bytes:
    """The table as CSV (UTF-8 with BOM; French: ";" and decimal comma, as Excel expects)."""
    # Market, design, venue and metric names are typed by people: never a formula.
    return spreadsheets.csv_bytes([table.header, *table.rows], lang, decimals=3)


def kg_table(rows: Sequence[MonthRow], lang: str) -> Table:
    """Kilos per market and month, weighed and estimated apart, with the uncertainty."""
    return Table(
        [
            _t("chart.month", lang),
            _t("chart.market", lang),
            _t("chart.crates", lang),
            _t("chart.weighed_kg", lang),
            _t("chart.estimated_kg", lang),
            _t("chart.uncertainty_kg", lang),
        ],
        [
            [r.month, r.market, r.crates, r.weighed_kg, r.estimated_kg, r.uncertainty_kg]
            for r in rows
        ],
    )


def outcomes_table(rows: Sequence[OutcomeRow], lang: str) -> Table:
    """Crates and kilos per market, pickup month and outcome."""
    return Table(
        [
            _t("chart.month", lang),
            _t("chart.market", lang),
            _t("chart.outcome", lang),
            _t("chart.crates", lang),
            _t("chart.kg", lang),
            _t("chart.estimated_kg", lang),
            _t("chart.uncertainty_kg", lang),
        ],
        [
            [
                r.month,
                r.market,
                _t(f"outcome.{r.outcome.value}", lang),
                r.crates,
                r.kg,
                r.estimated_kg,
                r.uncertainty_kg,
            ]
            for r in rows
        ],
    )


def pieces_table(rows: Sequence[PiecesRow], lang: str) -> Table:
    """Pieces finished per month and design."""
    return Table(
        [_t("chart.month", lang), _t("chart.design", lang), _t("chart.pieces", lang)],
        [[r.month, r.design, r.pieces] for r in rows],
    )


def hours_table(rows: Sequence[HoursRow], lang: str) -> Table:
    """Approved hours per month and programme."""
    return Table(
        [_t("chart.month", lang), _t("chart.programme", lang), _t("chart.hours", lang)],
        [[r.month, r.programme, r.hours] for r in rows],
    )


def co2e_table(rows: Sequence[OutcomeRow], factor: float, source: str, lang: str) -> Table:
    """Wood kept as furniture or reused, and the CO2e it avoids, per month (factor, source)."""
    wood: dict[date, float] = defaultdict(float)
    for r in rows:
        if r.outcome in (Outcome.in_build, Outcome.reused):
            wood[r.month] += r.kg
    return Table(
        [
            _t("chart.month", lang),
            _t("chart.wood_kg", lang),
            _t("chart.co2e_kg", lang),
            _t("chart.factor", lang),
            _t("chart.source", lang),
        ],
        [[m, wood[m], wood[m] * factor, factor, source] for m in sorted(wood)],
    )


# --- Figures ----------------------------------------------------------------------


def kg_per_market_month(
    rows: Sequence[MonthRow], lang: str, *, band: bool = False, highlight: str | None = None
) -> go.Figure:
    """Stacked bars: kilos per month, one colour per market, estimated kilos hatched.

    `band` adds the monthly total with its uncertainty (error bars); `highlight` greys
    every market but that one.
    """
    if highlight is None:
        rows = _top_markets(rows, lang)
    months = sorted({r.month for r in rows})
    labels = [i18n.fmt_month(m, lang) for m in months]
    others = _t("chart.others", lang)
    markets = sorted({r.market for r in rows}, key=lambda m: (m != highlight, m == others, m))
    fig = go.Figure()
    hatched = False
    for i, market in enumerate(markets):
        by_month = {r.month: r for r in rows if r.market == market}
        colour = PALETTE[i % len(PALETTE)]
        if highlight is not None:
            colour = HIGHLIGHT if market == highlight else MUTED
        listed = False  # one legend entry per market; the hatching is explained once
        for part in ("weighed", "estimated"):
            values = [
                round(getattr(by_month[m], f"{part}_kg"), 1) if m in by_month else 0 for m in months
            ]
            if not any(values):
                continue
            hatched = hatched or part == "estimated"
            fig.add_bar(
                name=market,
                legendgroup=market,
                showlegend=not listed,
                x=labels,
                y=values,
                marker_color=colour,
                marker_pattern_shape="/" if part == "estimated" else "",
                hovertemplate="%{x}<br>"
                + market
                + " · "
                + _t(f"chart.{part}", lang)
                + " : %{y:.0f} kg<extra></extra>",
            )
            listed = True
    if hatched:  # what the hatching means, once, in the legend
        fig.add_bar(
            name=_t("chart.hatched", lang),
            x=[None],
            y=[None],
            marker_color="white",
            marker_line_color="#777777",
            marker_line_width=1,
            marker_pattern_shape="/",
            hoverinfo="skip",
        )
    if band and months:
        total: dict[date, float] = defaultdict(float)
        spread: dict[date, float] = defaultdict(float)
        for r in rows:
            total[r.month] += r.kg
            spread[r.month] += r.uncertainty_kg
        fig.add_scatter(
            name=_t("chart.band", lang),
            x=labels,
            y=[round(total[m], 1) for m in months],
            mode="markers",
            marker={"color": "black", "size": 4},
            error_y={"type": "data", "array": [round(spread[m], 1) for m in months]},
            hovertemplate="%{x} : %{y:.0f} ± %{error_y.array:.0f} kg<extra></extra>",
        )
    return _running_month(_layout(fig, lang, _t("chart.kg", lang), barmode="stack"), months, lang)


def _top_markets(rows: Sequence[MonthRow], lang: str) -> list[MonthRow]:
    """The biggest markets as they are, the rest added up as "other markets" (a readable legend)."""
    per_market: dict[str, float] = defaultdict(float)
    for r in rows:
        per_market[r.market] += r.kg
    if len(per_market) <= STACKED_MARKETS + 1:
        return list(rows)
    top = set(sorted(per_market, key=lambda m: -per_market[m])[:STACKED_MARKETS])
    merged: dict[date, list[float]] = defaultdict(lambda: [0, 0.0, 0.0, 0.0, 0.0])
    kept = []
    for r in rows:
        if r.market in top:
            kept.append(r)
            continue
        acc = merged[r.month]
        for i, value in enumerate(
            (r.crates, r.weighed_kg, r.estimated_kg, r.uncertainty_kg, r.calibrated_kg)
        ):
            acc[i] += value
    others = _t("chart.others", lang)
    kept += [
        MonthRow(others, m, int(a[0]), a[1], a[2], a[3], a[4]) for m, a in sorted(merged.items())
    ]
    return kept


def cumulative_vs_goal(
    rows: Sequence[MonthRow], start: date, end: date, goal_kg: float, lang: str
) -> go.Figure:
    """Cumulative kilos over the period with its uncertainty band, against the goal pro rata."""
    months = month_range(start, end)
    labels = [i18n.fmt_month(m, lang) for m in months]
    per_month: dict[date, float] = defaultdict(float)
    spread: dict[date, float] = defaultdict(float)
    for r in rows:
        per_month[r.month] += r.kg
        spread[r.month] += r.uncertainty_kg
    cumulative, band, running, running_band = [], [], 0.0, 0.0
    for m in months:
        running += per_month[m]
        running_band += spread[m]
        cumulative.append(round(running, 1))
        band.append(round(running_band, 1))
    fig = go.Figure()
    fig.add_scatter(
        x=labels,
        y=[c + b for c, b in zip(cumulative, band, strict=True)],
        mode="lines",
        line={"width": 0},
        showlegend=False,
        hoverinfo="skip",
    )
    fig.add_scatter(
        name=_t("chart.band", lang),
        x=labels,
        y=[max(c - b, 0) for c, b in zip(cumulative, band, strict=True)],
        mode="lines",
        line={"width": 0},
        fill="tonexty",
        fillcolor="rgba(0,114,178,0.2)",
        hoverinfo="skip",
    )
    fig.add_scatter(
        name=_t("chart.cumulative", lang),
        x=labels,
        y=cumulative,
        mode="lines+markers",
        line={"color": "#0072B2"},
        hovertemplate="%{x} : %{y:.0f} kg<extra></extra>",
    )
    if goal_kg > 0:
        days = (end - start).days + 1
        goal = []
        for m in months:
            upto = min(dates.month_end(m), end).toordinal() - start.toordinal() + 1
            goal.append(round(goal_kg * min(upto, days) / 365, 1))
        fig.add_scatter(
            name=_t("chart.goal", lang, goal=i18n.fmt_kg(goal_kg, lang)),
            x=labels,
            y=goal,
            mode="lines",
            line={"color": "#D55E00", "dash": "dash"},
            hovertemplate="%{x} : %{y:.0f} kg<extra></extra>",
        )
    return _layout(fig, lang, _t("chart.kg", lang))


def where_the_wood_went(rows: Sequence[OutcomeRow], lang: str) -> go.Figure:
    """Horizontal bars: kilos per outcome, best use first (the waste hierarchy)."""
    kg: dict[Outcome, float] = defaultdict(float)
    estimated: dict[Outcome, float] = defaultdict(float)
    spread: dict[Outcome, float] = defaultdict(float)
    for r in rows:
        kg[r.outcome] += r.kg
        estimated[r.outcome] += r.estimated_kg
        spread[r.outcome] += r.uncertainty_kg
    names = [_t(f"outcome.{o.value}", lang) for o in WASTE_HIERARCHY]
    fig = go.Figure()
    for part in ("weighed", "estimated"):
        values = [
            round(kg[o] - estimated[o] if part == "weighed" else estimated[o], 1)
            for o in WASTE_HIERARCHY
        ]
        fig.add_bar(
            name=_t(f"chart.{part}", lang),
            y=names,
            x=values,
            orientation="h",
            marker_color=[OUTCOME_COLOURS[o] for o in WASTE_HIERARCHY],
            marker_pattern_shape="/" if part == "estimated" else "",
            error_x=(
                {"type": "data", "array": [round(spread[o], 1) for o in WASTE_HIERARCHY]}
                if part == "estimated"
                else None
            ),
            hovertemplate="%{y} · " + _t(f"chart.{part}", lang) + " : %{x:.0f} kg<extra></extra>",
        )
    fig.update_yaxes(autorange="reversed")
    return _layout(fig, lang, "", barmode="stack", xaxis_title=_t("chart.kg", lang))


def sankey(rows: Sequence[OutcomeRow], lang: str) -> go.Figure:
    """Flow of kilos from markets (the biggest, then the others together) to outcomes."""
    per_market: dict[str, float] = defaultdict(float)
    for r in rows:
        per_market[r.market] += r.kg
    top = sorted(per_market, key=lambda m: -per_market[m])[:SANKEY_MARKETS]
    others = _t("chart.others", lang)
    sources = [*top, *([others] if len(per_market) > len(top) else [])]
    flows: dict[tuple[str, Outcome], float] = defaultdict(float)
    for r in rows:
        flows[(r.market if r.market in top else others, r.outcome)] += r.kg
    outcome_index = {o: len(sources) + i for i, o in enumerate(WASTE_HIERARCHY)}
    links = [(src, o, kg) for (src, o), kg in flows.items() if kg > 0]
    fig = go.Figure(
        go.Sankey(
            valueformat=".0f",
            valuesuffix=" kg",
            node={
                "label": [*sources, *(_t(f"outcome.{o.value}", lang) for o in WASTE_HIERARCHY)],
                "color": [MUTED] * len(sources) + [OUTCOME_COLOURS[o] for o in WASTE_HIERARCHY],
                "pad": 12,
            },
            link={
                "source": [sources.index(s) for s, _, _ in links],
                "target": [outcome_index[o] for _, o, _ in links],
                "value": [round(kg, 1) for _, _, kg in links],
            },
        )
    )
    return _layout(fig, lang)


def pieces_per_month(rows: Sequence[PiecesRow], start: date, end: date, lang: str) -> go.Figure:
    """Stacked bars: pieces finished per month, one colour per design."""
    months = month_range(start, end)
    labels = [i18n.fmt_month(m, lang) for m in months]
    fig = go.Figure()
    for i, design in enumerate(sorted({r.design for r in rows})):
        by_month = {r.month: r.pieces for r in rows if r.design == design}
        fig.add_bar(
            name=design,
            x=labels,
            y=[by_month.get(m, 0) for m in months],
            marker_color=PALETTE[i % len(PALETTE)],
        )
    return _running_month(
        _layout(fig, lang, _t("chart.pieces", lang), barmode="stack"), months, lang
    )


def hours_per_programme(rows: Sequence[HoursRow], start: date, end: date, lang: str) -> go.Figure:
    """Stacked bars: approved trainee hours per month, one colour per programme."""
    months = month_range(start, end)
    labels = [i18n.fmt_month(m, lang) for m in months]
    fig = go.Figure()
    for i, programme in enumerate(sorted({r.programme for r in rows})):
        by_month = {r.month: r.hours for r in rows if r.programme == programme}
        fig.add_bar(
            name=programme,
            x=labels,
            y=[round(by_month.get(m, 0.0), 2) for m in months],
            marker_color=PALETTE[(i + 2) % len(PALETTE)],
            hovertemplate="%{x} : %{y:.1f} h<extra></extra>",
        )
    return _running_month(
        _layout(fig, lang, _t("chart.hours", lang), barmode="stack"), months, lang
    )


def co2e_per_month(
    rows: Sequence[OutcomeRow], start: date, end: date, factor: float, source: str, lang: str
) -> go.Figure:
    """Bars: kg CO2e avoided per pickup month, with the factor and its source written below."""
    table = co2e_table(rows, factor, source, lang)
    by_month = {row[0]: row[2] for row in table.rows}
    months = month_range(start, end)
    fig = go.Figure()
    fig.add_bar(
        name=_t("chart.co2e_kg", lang),
        x=[i18n.fmt_month(m, lang) for m in months],
        y=[round(by_month.get(m, 0.0), 2) for m in months],
        marker_color="#009E73",
        hovertemplate="%{x} : %{y:.1f} kg CO2e<extra></extra>",
    )
    note = _t("chart.co2e_note", lang, factor=i18n.fmt_number(factor * 1000, lang, 1))
    fig.add_annotation(
        text=f"{note}<br>{source}",
        xref="paper",
        yref="paper",
        x=0,
        y=-0.25,
        showarrow=False,
        align="left",
        font={"size": 10},
    )
    return _running_month(
        _layout(fig, lang, _t("chart.co2e_kg", lang), margin={"l": 10, "r": 10, "t": 30, "b": 80}),
        months,
        lang,
    )


def market_ranking(totals: Mapping[str, float], highlight: str | None, lang: str) -> go.Figure:
    """Horizontal bars: kilos per market, the manager's own market in colour, the rest grey."""
    markets = sorted(totals, key=lambda m: totals[m])
    fig = go.Figure()
    fig.add_bar(
        y=markets,
        x=[round(totals[m], 1) for m in markets],
        orientation="h",
        marker_color=[HIGHLIGHT if m == highlight else MUTED for m in markets],
        hovertemplate="%{y} : %{x:.0f} kg<extra></extra>",
    )
    return _layout(
        fig, lang, "", xaxis_title=_t("chart.kg", lang), height=max(250, 28 * len(markets))
    )


@dataclass(frozen=True)
class Series:
    """One small multiple: a title and its monthly values."""

    title: str
    values: Mapping[date, float]
    own: bool = False  # the workshop's own figure (drawn in its colour)


def small_multiples(series: Sequence[Series], start: date, end: date, lang: str) -> go.Figure:
    """One small chart per series, two per row, all on the same months."""
    months = month_range(start, end)
    labels = [i18n.fmt_month(m, lang) for m in months]
    cols = 2
    n_rows = max(1, (len(series) + cols - 1) // cols)
    fig = make_subplots(
        rows=n_rows,
        cols=cols,
        shared_xaxes="all",
        subplot_titles=[_title_lines(s.title) for s in series],
        vertical_spacing=min(0.16, 0.8 / n_rows),
    )
    for i, s in enumerate(series):
        fig.add_scatter(
            x=labels,
            y=[s.values.get(m) for m in months],
            mode="lines+markers",
            line={"color": "#D55E00" if s.own else "#0072B2"},
            name=s.title,
            showlegend=False,
            connectgaps=False,
            row=i // cols + 1,
            col=i % cols + 1,
        )
    fig.update_annotations(font_size=12)
    _running_month(fig, months, lang, row="all", col="all")
    # Room above the first row for its titles' three lines.
    margin = {"l": 10, "r": 10, "t": 64, "b": 10}
    return _layout(fig, lang, height=max(320, 250 * n_rows), margin=margin)


# A small multiple is half a phone's width: its title, "metric · venue", wraps there.
TITLE_LINE = 24


def _title_lines(title: str) -> str:
    """A typed title as plotly text: its markup characters shown as typed, long ones wrapped."""
    plain = title.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return "<br>".join(textwrap.wrap(plain, TITLE_LINE, break_on_hyphens=False)) or plain


def series_table(series: Sequence[Series], start: date, end: date, lang: str) -> Table:
    """The small multiples' values: one row per month, one column per series."""
    months = month_range(start, end)
    return Table(
        [_t("chart.month", lang), *(s.title for s in series)],
        [[m, *(s.values.get(m, "") for s in series)] for m in months],
    )


def trend(points: Sequence[tuple[date, float]], selected: date, lang: str) -> go.Figure:
    """Bars: one market's kilos over the last months, the chosen month in colour."""
    fig = go.Figure()
    fig.add_bar(
        x=[i18n.fmt_month(m, lang) for m, _ in points],
        y=[round(v, 1) for _, v in points],
        marker_color=[HIGHLIGHT if m == selected else MUTED for m, _ in points],
        hovertemplate="%{x} : %{y:.0f} kg<extra></extra>",
    )
    return _running_month(_layout(fig, lang, _t("chart.kg", lang)), [m for m, _ in points], lang)


def trend_table(points: Sequence[tuple[date, float]], market: str, lang: str) -> Table:
    """One market's kilos per month."""
    return Table(
        [_t("chart.month", lang), _t("chart.market", lang), _t("chart.kg", lang)],
        [[m, market, v] for m, v in points],
    )

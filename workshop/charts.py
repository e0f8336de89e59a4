"""Plotly figures built from plain rows; they never draw on a page themselves."""

from __future__ import annotations

from collections.abc import Sequence

import plotly.graph_objects as go

from workshop import i18n
from workshop.impact import MonthRow

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


def kg_per_market_month(rows: Sequence[MonthRow], lang: str) -> go.Figure:
    """Stacked bars: kilos per month, one colour per market, estimated kilos hatched."""
    months = sorted({r.month for r in rows})
    labels = [i18n.fmt_month(m, lang) for m in months]
    markets = sorted({r.market for r in rows})
    fig = go.Figure()
    for i, market in enumerate(markets):
        by_month = {r.month: r for r in rows if r.market == market}
        colour = PALETTE[i % len(PALETTE)]
        for part in ("weighed", "estimated"):
            values = [
                round(getattr(by_month[m], f"{part}_kg"), 1) if m in by_month else 0 for m in months
            ]
            if not any(values):
                continue
            fig.add_bar(
                name=f"{market} · {i18n.translate(f'chart.{part}', lang)}",
                legendgroup=market,
                x=labels,
                y=values,
                marker_color=colour,
                marker_pattern_shape="/" if part == "estimated" else "",
                hovertemplate="%{x}<br>"
                + market
                + " · "
                + i18n.translate(f"chart.{part}", lang)
                + " : %{y:.0f} kg<extra></extra>",
            )
    fig.update_layout(
        barmode="stack",
        yaxis_title=i18n.translate("chart.kg", lang),
        legend={"orientation": "h", "y": -0.2},
        margin={"l": 10, "r": 10, "t": 30, "b": 10},
        separators=", " if lang == "fr" else ".,",
    )
    return fig

"""Dashboard: kilos diverted, where the wood went, CO2e, pieces built and hours, per period."""

from datetime import date
from typing import Any

import streamlit as st

from workshop import charts, config, dates, i18n, impact, pickups
from workshop.accounts import Permission
from workshop.models import Outcome, User
from workshop.ui import common
from workshop.ui.common import t

# Figures are cached per filter and per state of the data: the key holds the newest
# audit event id, which every write adds, so a write shows at once; the TTL only
# bounds memory and catches changes made outside the app (settings need a restart).
# st.cache_resource, not st.cache_data: cache_data pickles the value on every hit,
# which costs more (≈ 0.5 s for a city-scale year) than the page itself. The cached
# objects are shared and never changed by the page. The database URL is part of the
# key so that two databases (tests) never share figures.
CACHE_TTL_S = 300


@st.cache_resource(ttl=CACHE_TTL_S, max_entries=32, show_spinner=False)
def figures(
    database: str, start: date, end: date, market_ids: tuple[int, ...], version: int, _actor: User
) -> impact.Dashboard:
    """The dashboard's figures (the permission is checked on every cache miss)."""
    with common.reading() as session:
        return impact.dashboard(
            session=session, actor=_actor, start=start, end=end, market_ids=list(market_ids)
        )


@st.cache_resource(ttl=CACHE_TTL_S, max_entries=32, show_spinner=False)
def drawn(
    database: str,
    start: date,
    end: date,
    market_ids: tuple[int, ...],
    version: int,
    lang: str,
    band: bool,
    _data: impact.Dashboard,
) -> dict[str, Any]:
    """Figures and CSV files, built once per filter, language and state of the data."""
    d = _data
    built: dict[str, Any] = {
        "kg": charts.kg_per_market_month(d.months, lang, band=band),
        "cumulative": charts.cumulative_vs_goal(d.months, start, end, d.goal_kg, lang),
        "outcomes": charts.where_the_wood_went(d.outcomes, lang),
        "sankey": charts.sankey(d.outcomes, lang),
        "co2e": charts.co2e_per_month(
            d.outcomes, start, end, d.co2e.factor, d.co2e.source_in(lang), lang
        ),
        "csv_kg": charts.to_csv(charts.kg_table(d.months, lang), lang),
        "csv_outcomes": charts.to_csv(charts.outcomes_table(d.outcomes, lang), lang),
        "csv_co2e": charts.to_csv(
            charts.co2e_table(d.outcomes, d.co2e.factor, d.co2e.source_in(lang), lang), lang
        ),
    }
    if d.pieces:
        built["pieces"] = charts.pieces_per_month(d.pieces, start, end, lang)
        built["csv_pieces"] = charts.to_csv(charts.pieces_table(d.pieces, lang), lang)
    if d.hours:
        built["hours"] = charts.hours_per_programme(d.hours, start, end, lang)
        built["csv_hours"] = charts.to_csv(charts.hours_table(d.hours, lang), lang)
    return built


def download(data: bytes, name: str, key: str) -> None:
    """A small button under a chart: its data as CSV."""
    st.download_button(
        t("dashboard.csv"),
        data=data,
        file_name=f"{name}-{start:%Y-%m}-{end:%Y-%m}.csv",
        mime="text/csv",
        icon=":material/download:",
        key=key,
        on_click="ignore",
    )


user = common.page_user(Permission.dashboards)
lang = common.lang()
st.title(t("dashboard.title"))

today = dates.today()
with common.reading() as session:
    markets = pickups.markets_for_pickup(session=session, on=today)
    version = impact.data_version(session=session)
names = {m.id or 0: m.name for m in sorted(markets, key=lambda m: m.name)}

left, right = st.columns([1, 2])
period = left.date_input(
    t("dashboard.period"),
    # From the 1st of the month a year ago: whole months, read from the tallies.
    value=(dates.add_months(today.replace(day=1), -12), today),
    format="DD/MM/YYYY",
)
chosen = right.multiselect(
    t("dashboard.markets"),
    list(names),
    format_func=names.__getitem__,
    placeholder=t("dashboard.all_markets"),
)
# While a range is being picked the widget holds one date only.
if not isinstance(period, tuple) or len(period) != 2:
    st.info(t("dashboard.pick_end"))
    st.stop()
start, end = period

data = figures(config.database_url(), start, end, tuple(sorted(chosen)), version, user)
totals = data.totals

c1, c2, c3, c4 = st.columns(4)
c1.metric(
    t("dashboard.kg"),
    i18n.fmt_kg(totals.kg, lang),
    help=t("dashboard.kg_help", band=i18n.fmt_kg(totals.uncertainty_kg, lang)),
)
c2.metric(t("dashboard.crates"), i18n.fmt_number(totals.crates, lang))
c3.metric(t("dashboard.weighed"), i18n.fmt_kg(totals.weighed_kg, lang))
c4.metric(t("dashboard.estimated"), i18n.fmt_kg(totals.estimated_kg, lang))
c5, c6, c7, c8 = st.columns(4)
c5.metric(
    t("dashboard.co2e"),
    i18n.fmt_kg(data.co2e.co2e_kg, lang),
    help=t("dashboard.co2e_help", source=data.co2e.source_in(lang)),
)
c6.metric(t("dashboard.furniture"), i18n.fmt_kg(data.outcome_kg()[Outcome.in_build], lang))
c7.metric(t("dashboard.pieces"), i18n.fmt_number(sum(p.pieces for p in data.pieces), lang))
c8.metric(t("dashboard.hours"), i18n.fmt_number(sum(h.hours for h in data.hours), lang))
st.caption(
    t(
        "dashboard.explain",
        pickups=i18n.fmt_number(totals.pickups, lang),
        share=i18n.fmt_number(100 * totals.estimated_kg / totals.kg if totals.kg else 0, lang),
        calibrated=i18n.fmt_kg(totals.calibrated_kg, lang),
        band=i18n.fmt_kg(totals.uncertainty_kg, lang),
    )
)

if not data.months:
    st.info(t("dashboard.empty"))
    st.stop()

band = st.toggle(t("dashboard.show_band"), value=True)
figs = drawn(config.database_url(), start, end, tuple(sorted(chosen)), version, lang, band, data)

st.subheader(t("dashboard.per_market_month"))
st.plotly_chart(figs["kg"], width="stretch")
download(figs["csv_kg"], "kilos", "csv_kg")

st.subheader(t("dashboard.cumulative", goal=i18n.fmt_kg(data.goal_kg, lang)))
st.plotly_chart(figs["cumulative"], width="stretch")
download(figs["csv_kg"], "cumul", "csv_cumulative")

st.subheader(t("dashboard.outcomes"))
st.caption(t("dashboard.outcomes_help"))
left, right = st.columns(2)
left.plotly_chart(figs["outcomes"], width="stretch")
right.plotly_chart(figs["sankey"], width="stretch")
download(figs["csv_outcomes"], "destinations", "csv_outcomes")

st.subheader(t("dashboard.co2e_title"))
st.caption(common.co2e_line(data.co2e, lang))
st.plotly_chart(figs["co2e"], width="stretch")
download(figs["csv_co2e"], "co2e", "csv_co2e")

st.subheader(t("dashboard.pieces_title"))
if data.pieces:
    st.plotly_chart(figs["pieces"], width="stretch")
    download(figs["csv_pieces"], "meubles", "csv_pieces")
else:
    st.caption(t("dashboard.no_pieces"))

st.subheader(t("dashboard.hours_title"))
if data.hours:
    st.plotly_chart(figs["hours"], width="stretch")
    download(figs["csv_hours"], "heures", "csv_hours")
else:
    st.caption(t("dashboard.no_hours"))

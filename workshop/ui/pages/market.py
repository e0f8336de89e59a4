"""Market view: one market's month at a glance, every market beside it, and a printable receipt."""

from datetime import date

import streamlit as st
from sqlmodel import select

from workshop import charts, config, i18n, impact, receipts
from workshop.accounts import Permission
from workshop.models import Market, Outcome, Role, User
from workshop.ui import common
from workshop.ui.common import t

MONTHS_BACK = 24


@st.cache_resource(ttl=300, max_entries=64, show_spinner=False)
def month_figures(
    database: str, market_id: int, month: date, version: int, _actor: User
) -> impact.MarketMonth:
    """The market's month (cached per state of the data, like the dashboard)."""
    with common.reading() as session:
        return impact.market_month(session=session, actor=_actor, market_id=market_id, month=month)


@st.cache_resource(ttl=300, max_entries=32, show_spinner=False)
def receipt(
    database: str, market_id: int, month: date, version: int, lang: str, _data: impact.MarketMonth
) -> bytes:
    """The receipt PDF, drawn once per market, month, language and state of the data."""
    return receipts.render(_data, lang)


user = common.page_user(Permission.dashboards)
lang = common.lang()
st.title(t("market_view.title"))

with common.reading() as session:
    markets = list(session.exec(select(Market).order_by(Market.name)))
    version = impact.data_version(session=session)
names = {m.id or 0: m.name for m in markets}

if user.role == Role.market_manager:
    if user.market_id not in names:
        st.info(t("market_view.no_market"))
        st.stop()
    market_id = user.market_id or 0
    st.caption(t("market_view.yours", market=common.plain(names[market_id])))
else:
    market_id = st.selectbox(t("market_view.market"), list(names), format_func=names.__getitem__)

this_month = date.today().replace(day=1)
months = [impact.add_months(this_month, -i) for i in range(MONTHS_BACK)]
month = st.selectbox(
    t("market_view.month"), months, format_func=lambda m: i18n.fmt_month(m, lang), index=0
)
data = month_figures(config.database_url(), market_id, month, version, user)
row = data.row

c1, c2, c3, c4 = st.columns(4)
c1.metric(t("market_view.crates"), i18n.fmt_number(row.crates, lang))
c2.metric(
    t("market_view.kg"),
    i18n.fmt_kg(row.kg, lang),
    help=t(
        "market_view.kg_help",
        weighed=i18n.fmt_kg(row.weighed_kg, lang),
        estimated=i18n.fmt_kg(row.estimated_kg, lang),
        band=i18n.fmt_kg(row.uncertainty_kg, lang),
    ),
)
kept = data.outcomes[Outcome.in_build] + data.outcomes[Outcome.reused]
total = sum(data.outcomes.values())
c3.metric(t("market_view.kept"), f"{i18n.fmt_number(100 * kept / total if total else 0, lang)} %")
c4.metric(
    t("market_view.co2e"),
    i18n.fmt_kg(data.co2e.co2e_kg, lang),
    help=t("dashboard.co2e_help", source=data.co2e.source),
)

if row.crates:
    st.success(
        t(
            "market_view.sentence",
            month=i18n.fmt_month(month, lang),
            market=common.plain(data.market),
            kg=i18n.fmt_kg(row.kg, lang),
            crates=i18n.fmt_number(row.crates, lang),
            kept=i18n.fmt_kg(kept, lang),
            rank=data.rank,
            markets=data.markets,
        ),
        icon=":material/recycling:",
    )
else:
    st.info(
        t(
            "market_view.nothing",
            month=i18n.fmt_month(month, lang),
            market=common.plain(data.market),
        )
    )
st.caption(
    t(
        "market_view.estimated",
        estimated=i18n.fmt_kg(row.estimated_kg, lang),
        band=i18n.fmt_kg(row.uncertainty_kg, lang),
    )
)

st.download_button(
    t("market_view.receipt"),
    data=receipt(config.database_url(), market_id, month, version, lang, data),
    file_name=receipts.filename(data),
    mime="application/pdf",
    icon=":material/picture_as_pdf:",
    type="primary",
    on_click="ignore",
)

left, right = st.columns(2)
with left:
    st.subheader(t("market_view.all_markets"))
    if data.all_markets:
        st.plotly_chart(charts.market_ranking(data.all_markets, data.market, lang), width="stretch")
    else:
        st.caption(t("market_view.no_pickups"))
with right:
    st.subheader(t("market_view.trend"))
    st.plotly_chart(charts.trend(data.trend, month, lang), width="stretch")
    st.download_button(
        t("dashboard.csv"),
        data=charts.to_csv(charts.trend_table(data.trend, data.market, lang), lang),
        file_name=f"tendance-{month:%Y-%m}.csv",
        mime="text/csv",
        icon=":material/download:",
        on_click="ignore",
    )

st.subheader(t("market_view.outcomes"))
st.plotly_chart(charts.where_the_wood_went(data.outcome_rows, lang), width="stretch")
st.caption(
    t(
        "dashboard.co2e_line",
        co2e=i18n.fmt_kg(data.co2e.co2e_kg, lang),
        wood=i18n.fmt_kg(data.co2e.wood_kg, lang),
        factor=i18n.fmt_number(data.co2e.factor * 1000, lang, 1),
        source=data.co2e.source,
    )
)

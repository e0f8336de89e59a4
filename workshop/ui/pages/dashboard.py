"""Dashboard: kilos diverted per market and month, and the period's totals."""

from datetime import date, timedelta

import streamlit as st

from workshop import charts, i18n, impact, intake
from workshop.accounts import Permission
from workshop.ui import common
from workshop.ui.common import t

user = common.page_user(Permission.dashboards)
lang = common.lang()
st.title(t("dashboard.title"))

today = date.today()
with common.reading() as session:
    markets = intake.markets_for_pickup(session=session, on=today)
names = {m.id or 0: m.name for m in sorted(markets, key=lambda m: m.name)}

left, right = st.columns([1, 2])
period = left.date_input(
    t("dashboard.period"),
    value=(today.replace(day=1) - timedelta(days=365), today),
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

with common.reading() as session:
    rows = impact.kg_per_market_month(
        session=session, actor=user, start=start, end=end, market_ids=chosen or None
    )
    totals = impact.totals(
        session=session, actor=user, start=start, end=end, market_ids=chosen or None
    )

c1, c2, c3, c4 = st.columns(4)
c1.metric(t("dashboard.kg"), i18n.fmt_kg(totals.kg, lang))
c2.metric(t("dashboard.crates"), i18n.fmt_number(totals.crates, lang))
c3.metric(t("dashboard.weighed"), i18n.fmt_kg(totals.weighed_kg, lang))
c4.metric(t("dashboard.estimated"), i18n.fmt_kg(totals.estimated_kg, lang))
st.caption(
    t(
        "dashboard.explain",
        pickups=i18n.fmt_number(totals.pickups, lang),
        share=i18n.fmt_number(100 * totals.estimated_kg / totals.kg if totals.kg else 0, lang),
    )
)

if not rows:
    st.info(t("dashboard.empty"))
else:
    st.subheader(t("dashboard.per_market_month"))
    st.plotly_chart(charts.kg_per_market_month(rows, lang), width="stretch")

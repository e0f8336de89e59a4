"""Market view: one market's month at a glance, every market beside it, and a printable receipt.

A market manager (placier) lands here after signing in. What they come for fits in the
first screen of a laptop or a phone, in this order: their market's name, the month and
its receipt, a few plain sentences (crates, kilos, the trend against the months before,
where the wood went) and the two big figures. The details and the other markets follow
below (tests/e2e/test_market_manager.py checks the first screen in a real browser).
"""

from datetime import date

import streamlit as st

from workshop import charts, config, dates, documents, i18n, impact, pickups
from workshop.accounts import Permission
from workshop.impact import WASTE_HIERARCHY
from workshop.models import Role, User
from workshop.ui import common
from workshop.ui.common import t

MONTHS_BACK = 24
# The two detail charts side by side, kept short so a phone scrolls less to the markets.
DETAIL_CHART_HEIGHT = 300


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
    return documents.receipt.render(_data, lang)


def where_it_went(data: impact.MarketMonth, lang: str) -> str:
    """`35 % dans des meubles, …, et 20 % encore à l'atelier`, best use first."""
    pct = data.shares()
    parts = [
        # A share too small to round to 1 % is still there: "less than 1 %", never "0 %".
        t(
            f"market_manager.share.{o.value}",
            pct=i18n.fmt_number(pct[o], lang) if pct[o] else t("market_manager.under_one"),
        )
        for o in WASTE_HIERARCHY
        if o in pct
    ]
    if len(parts) < 2:
        return "".join(parts)
    return t("market_manager.list", first=", ".join(parts[:-1]), last=parts[-1])


user = common.page_user(Permission.dashboards)
lang = common.lang()
this_month = dates.today().replace(day=1)

with common.reading() as session:
    markets = pickups.all_markets(session=session)
    version = impact.data_version(session=session)
names = {m.id or 0: m.name for m in markets}

if user.role == Role.market_manager:
    if user.market_id not in names:
        st.title(t("market_view.title"))
        st.info(t("market_view.no_market"))
        st.stop()
    market_id = user.market_id or 0
    # Their market's name is the heading: the first thing a new placier looks for. No
    # caption under it: on a phone every line counts, and the sentence below says it all.
    st.title(common.plain(names[market_id]))
else:
    st.title(t("market_view.title"))
    market_id = st.selectbox(t("market_view.market"), list(names), format_func=names.__getitem__)

database = config.database_url()
months = [dates.add_months(this_month, -i) for i in range(MONTHS_BACK)]
# The page opens on the last whole month, the one a receipt is filed for; the month
# still running is in the list, marked as such.
MONTH_KEY = "market_month"
if st.session_state.get(MONTH_KEY) not in months:
    st.session_state[MONTH_KEY] = months[1]


def month_label(month: date) -> str:
    """`nov. 2026`, or `déc. 2026 (mois en cours)` for this month."""
    name = i18n.fmt_month(month, lang)
    return t("market_view.month_running", month=name) if month == this_month else name


def older() -> None:
    """The month before the one shown (one tap)."""
    shown = months.index(st.session_state[MONTH_KEY])
    st.session_state[MONTH_KEY] = months[min(shown + 1, len(months) - 1)]


# The month and its receipt side by side (stacked on a phone): choose, then download.
# The receipt comes before the sentence so that a long market name or sentence on a
# small phone can never push it below the first screen.
month_col, receipt_col = st.columns(2, vertical_alignment="bottom")
month = month_col.selectbox(t("market_view.month"), months, format_func=month_label, key=MONTH_KEY)
data = month_figures(database, market_id, month, version, user)
row = data.row
in_progress = month == this_month
market = common.plain(data.market)
month_name = i18n.fmt_month(month, lang)
change = data.change_vs_before()
common.download(
    t("market_manager.receipt", month=month_name),
    receipt(database, market_id, month, version, lang, data),
    documents.receipt.filename(data, lang),
    where=receipt_col,
    primary=True,
)
month_col.button(
    t("market_view.older"), icon=":material/chevron_left:", on_click=older, key="market_older"
)

# --- The first screen: what happened in plain words, then the two big figures -------

if row.crates:
    sentence = [
        t(
            "market_manager.summary_so_far" if in_progress else "market_manager.summary",
            # The month the page opens on says what it is: the last whole one.
            month=t("market_view.last_whole", month=month_name)
            if month == months[1]
            else month_name,
            crates=i18n.fmt_number(row.crates, lang),
            market=market,
            kg=i18n.fmt_kg(row.kg, lang),
        ),
    ]
    if change is None:
        sentence.append(t("market_manager.trend_none"))
    else:
        pct, mean = change
        direction = "up" if pct > 0 else "down" if pct < 0 else "same"
        sentence.append(
            t(
                f"market_manager.trend_{direction}{'_so_far' if in_progress else ''}",
                pct=i18n.fmt_number(abs(pct), lang),
                mean=i18n.fmt_kg(mean, lang),
            )
        )
    # The trend right after the kilos it is about, then where that wood went.
    if went := where_it_went(data, lang):
        sentence.append(t("market_manager.went", shares=went))
    st.success(" ".join(sentence), icon=":material/recycling:")
else:
    st.info(t("market_view.nothing", month=month_name, market=market))

kg_col, crates_col = st.columns(2, wrap=False)
kg_col.metric(
    t("market_manager.kg"),
    i18n.fmt_kg(row.kg, lang),
    delta=(
        None
        if change is None
        else t(
            "market_manager.delta_value",
            # A leading "-" is what turns Streamlit's arrow down.
            sign="+" if change[0] > 0 else "-" if change[0] < 0 else "",
            pct=i18n.fmt_number(abs(change[0]), lang),
        )
    ),
    # A month still running is not yet worse than a finished one: no red or green for it.
    delta_color="off" if in_progress else "normal",
    help=t(
        "market_view.kg_help",
        weighed=i18n.fmt_kg(row.weighed_kg, lang),
        estimated=i18n.fmt_kg(row.estimated_kg, lang),
        band=i18n.fmt_kg(row.uncertainty_kg, lang),
    ),
)
crates_col.metric(t("market_view.crates"), i18n.fmt_number(row.crates, lang))

# --- Below: how the kilos are counted, the details, and every market ----------------

st.caption(
    t(
        "market_view.estimated",
        estimated=i18n.fmt_kg(row.estimated_kg, lang),
        band=i18n.fmt_kg(row.uncertainty_kg, lang),
    )
)

left, right = st.columns(2)
with left:
    st.subheader(t("market_view.outcomes"))
    st.plotly_chart(
        charts.where_the_wood_went(data.outcome_rows, lang).update_layout(
            height=DETAIL_CHART_HEIGHT
        ),
        width="stretch",
    )
    st.caption(t("dashboard.outcomes_help"))
    st.caption(common.co2e_line(data.co2e, lang))
with right:
    st.subheader(t("market_view.trend"))
    st.plotly_chart(
        charts.trend(data.trend, month, lang).update_layout(height=DETAIL_CHART_HEIGHT),
        width="stretch",
    )
    st.download_button(
        t("dashboard.csv"),
        data=charts.to_csv(charts.trend_table(data.trend, data.market, lang), lang),
        file_name=f"tendance-{month:%Y-%m}.csv",
        mime="text/csv",
        icon=":material/download:",
        on_click="ignore",
    )

st.subheader(t("market_manager.others", month=month_name))
if data.all_markets:
    if data.rank:
        st.caption(t("market_manager.rank", market=market, rank=data.rank, markets=data.markets))
    st.plotly_chart(charts.market_ranking(data.all_markets, data.market, lang), width="stretch")
else:
    st.caption(t("market_view.no_pickups"))

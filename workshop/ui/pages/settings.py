"""Settings (admin): crate kinds' default weights, markets' days and whether they are listed."""

import streamlit as st

from workshop import config, hours, i18n, pickups
from workshop.accounts import Permission
from workshop.ui import common
from workshop.ui.common import t
from workshop.ui.numbers import number_field

user = common.page_user(Permission.settings)
lang = common.lang()
st.title(t("settings.title"))
common.show_flash()

st.header(t("settings.kinds"))
st.caption(t("settings.kinds_help"))
with common.reading() as session:
    kinds = pickups.crate_kinds(session=session, active_only=False)
    markets = pickups.all_markets(session=session)

with st.form("kinds"):
    weights = {
        kind.id or 0: number_field(
            common.kind_name(kind),
            key=f"kind_weight_{kind.id}",
            value=kind.default_weight_kg,
            decimals=2,
            empty=0.0,
        )
        for kind in kinds
    }
    if st.form_submit_button(t("common.save")):
        if common.act(pickups.update_crate_kind_weights, actor=user, weights=weights) is not None:
            common.flash("settings.saved")
            st.rerun()

st.header(t("settings.markets"))
st.caption(t("settings.markets_help"))
day_labels = {d: t(f"day.{d}") for d in pickups.WEEKDAYS}
for market in markets:
    with st.expander(
        common.plain(market.name) + ("" if market.active else f" · {t('settings.inactive')}")
    ):
        with st.form(f"market_{market.id}"):
            days = st.multiselect(
                t("settings.days"),
                list(pickups.WEEKDAYS),
                default=[d for d in market.days.split(";") if d in pickups.WEEKDAYS],
                format_func=day_labels.__getitem__,
                placeholder=t("common.choose"),
            )
            active = st.checkbox(t("settings.listed"), value=market.active)
            operator = st.text_input(
                t("settings.operator"),
                value=market.operator,
                help=t("settings.operator_help"),
                max_chars=pickups.MAX_OPERATOR,
            )
            if st.form_submit_button(t("common.save")):
                saved = common.act(
                    pickups.update_market,
                    actor=user,
                    market_id=market.id,
                    days=days,
                    active=active,
                    operator=operator,
                )
                if saved is not None:
                    common.flash("settings.saved")
                    st.rerun()
st.caption(t("settings.count_markets", n=i18n.fmt_number(len(markets), lang)))

st.header(t("settings.retention"))
st.caption(t("settings.retention_help", months=config.retention_months()))
with common.reading() as session:
    due = hours.due_for_anonymisation(session=session)
st.write(t("settings.retention_due", n=len(due)))
if due and st.button(t("settings.retention_run"), icon=":material/person_off:"):
    done = common.act(hours.anonymise_expired, actor=user)
    if done is not None:
        common.flash("settings.retention_done", n=len(done))
        st.rerun()

"""Users (admin): list, add, reset a password, disable or re-enable."""

import streamlit as st

from workshop import accounts, dates, i18n, pickups, signin_tokens
from workshop.accounts import Permission
from workshop.errors import InvalidInput
from workshop.models import Role
from workshop.ui import common
from workshop.ui.common import t

user = common.page_user(Permission.manage_users)
lang = common.lang()
st.title(t("users.title"))
common.show_flash()

with common.reading() as session:
    users = accounts.list_users(session=session, actor=user)
    markets = {m.id or 0: m.name for m in pickups.all_markets(session=session)}

st.dataframe(
    [
        {
            t("users.username"): u.username,
            t("users.display_name"): u.display_name,
            t("users.role"): t(f"role.{u.role.value}"),
            t("users.market"): markets.get(u.market_id or 0, ""),
            t("users.active"): t("common.yes") if u.active else t("common.no"),
            t("users.created"): i18n.fmt_date(dates.local(u.created_at).date(), lang),
        }
        for u in users
    ],
    hide_index=True,
    width="stretch",
)

add_tab, reset_tab, active_tab, email_tab, everywhere_tab = st.tabs(
    [
        t("users.add"),
        t("users.reset"),
        t("users.enable"),
        t("users.email_tab"),
        t("users.everywhere"),
    ]
)

with add_tab, st.form("user_add"):
    username = st.text_input(t("users.username"))
    display_name = st.text_input(t("users.display_name"))
    role_names = {r: t(f"role.{r.value}") for r in Role}
    role = st.selectbox(t("users.role"), list(Role), format_func=role_names.__getitem__)
    market_id = st.selectbox(
        t("users.market_for_manager"),
        list(markets),
        index=None,
        format_func=markets.__getitem__,
    )
    password = st.text_input(t("users.password"), type="password", autocomplete="new-password")
    if st.form_submit_button(t("users.add"), type="primary"):
        created = common.act(
            accounts.create_user,
            actor=user,
            username=username,
            display_name=display_name,
            password=password,
            role=role,
            market_id=market_id,
        )
        if created is not None:
            common.flash("users.added", username=created.username)
            st.rerun()

by_id = {u.id or 0: u for u in users}


def _label(user_id: int) -> str:
    return f"{by_id[user_id].display_name} ({by_id[user_id].username})"


with reset_tab, st.form("user_reset"):
    target = st.selectbox(t("users.who"), list(by_id), format_func=_label, key="reset_who")
    password = st.text_input(t("users.new_password"), type="password", autocomplete="new-password")
    if st.form_submit_button(t("users.reset")):
        if common.act(accounts.reset_password, actor=user, user_id=target, password=password):
            common.flash("users.password_reset", username=by_id[target].username)
            st.rerun()

with active_tab, st.form("user_active"):
    target = st.selectbox(t("users.who"), list(by_id), format_func=_label, key="active_who")
    enable = st.radio(
        t("users.access"),
        [True, False],
        format_func={True: t("users.enabled"), False: t("users.disabled")}.__getitem__,
        horizontal=True,
    )
    if st.form_submit_button(t("common.save")):
        if target == user.id and not enable:
            common.show_error(InvalidInput("error.user.cannot_disable_self"))
        elif common.act(accounts.set_active, actor=user, user_id=target, active=enable):
            common.flash("users.access_saved", username=by_id[target].username)
            st.rerun()

with everywhere_tab, st.form("user_everywhere"):
    st.caption(t("users.everywhere_help"))
    target = st.selectbox(t("users.who"), list(by_id), format_func=_label, key="everywhere_who")
    if st.form_submit_button(t("users.everywhere")):
        done = common.act(signin_tokens.sign_out_everywhere, actor=user, user_id=target)
        if done is not None:
            common.flash("users.everywhere_done", username=by_id[target].username)
            st.rerun()

with email_tab, st.form("user_email"):
    target = st.selectbox(t("users.who"), list(by_id), format_func=_label, key="email_who")
    email = st.text_input(t("users.email"), value=by_id[target].email or "", key="email_value")
    if st.form_submit_button(t("common.save")):
        done = common.act(accounts.set_email, actor=user, user_id=target, email=email)
        if done is not None:
            common.flash("users.email_saved", username=by_id[target].username)
            st.rerun()

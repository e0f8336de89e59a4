"""Users (admin): list, add, reset a password, disable or re-enable, change a role,
sign out everywhere, unlock a sign-in kept waiting by failures."""

from collections.abc import Callable
from typing import Any

import streamlit as st

from workshop import accounts, dates, i18n, pickups, signin_tokens
from workshop.accounts import Permission
from workshop.errors import InvalidInput
from workshop.models import Role, User
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

add_tab, reset_tab, active_tab, role_tab, email_tab, everywhere_tab, unlock_tab = st.tabs(
    [
        t("users.add"),
        t("users.reset"),
        t("users.enable"),
        t("users.role_tab"),
        t("users.email_tab"),
        t("users.everywhere"),
        t("users.unlock"),
    ]
)
role_names = {r: t(f"role.{r.value}") for r in Role}

with add_tab, st.form("user_add"):
    username = st.text_input(t("users.username"))
    display_name = st.text_input(t("users.display_name"))
    role = st.selectbox(t("users.role"), list(Role), format_func=role_names.__getitem__)
    market_id = st.selectbox(
        t("users.market_for_manager"),
        list(markets),
        index=None,
        format_func=markets.__getitem__,
        placeholder=t("common.choose"),
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


def _change(done_key: str, action: Callable[..., User | None], target: int, **values: Any) -> None:
    """One change to the `target` user; said done (after the rerun) when it worked."""
    if common.act(action, actor=user, user_id=target, **values) is not None:
        common.flash(done_key, username=by_id[target].username)
        st.rerun()


with reset_tab, st.form("user_reset"):
    target = st.selectbox(t("users.who"), list(by_id), format_func=_label, key="reset_who")
    password = st.text_input(t("users.new_password"), type="password", autocomplete="new-password")
    if st.form_submit_button(t("users.reset")):
        _change("users.password_reset", accounts.reset_password, target, password=password)

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
        else:
            _change("users.access_saved", accounts.set_active, target, active=enable)

with everywhere_tab, st.form("user_everywhere"):
    st.caption(t("users.everywhere_help"))
    target = st.selectbox(t("users.who"), list(by_id), format_func=_label, key="everywhere_who")
    if st.form_submit_button(t("users.everywhere")):
        _change("users.everywhere_done", signin_tokens.sign_out_everywhere, target)

with role_tab, st.form("user_role"):
    st.caption(t("users.role_help"))
    target = st.selectbox(t("users.who"), list(by_id), format_func=_label, key="role_who")
    new_role = st.selectbox(
        t("users.role"), list(Role), format_func=role_names.__getitem__, key="role_value"
    )
    new_market = st.selectbox(
        t("users.market_for_manager"),
        list(markets),
        index=None,
        format_func=markets.__getitem__,
        key="role_market",
        placeholder=t("common.choose"),
    )
    if st.form_submit_button(t("common.save")):
        _change("users.role_saved", accounts.set_role, target, role=new_role, market_id=new_market)

with unlock_tab, st.form("user_unlock"):
    st.caption(t("users.unlock_help"))
    target = st.selectbox(t("users.who"), list(by_id), format_func=_label, key="unlock_who")
    reason = st.text_input(t("users.unlock_reason"), key="unlock_reason", max_chars=500)
    if st.form_submit_button(t("users.unlock")):
        _change("users.unlocked", accounts.unlock_sign_in, target, reason=reason)

with email_tab, st.form("user_email"):
    target = st.selectbox(t("users.who"), list(by_id), format_func=_label, key="email_who")
    email = st.text_input(t("users.email"), value=by_id[target].email or "", key="email_value")
    if st.form_submit_button(t("common.save")):
        _change("users.email_saved", accounts.set_email, target, email=email)

"""First visit on an empty database: create the first admin account."""

import streamlit as st

from workshop import accounts
from workshop.errors import InvalidInput
from workshop.ui import common
from workshop.ui.common import t

st.title(t("first_admin.title"))
st.info(t("first_admin.intro"), icon=":material/waving_hand:")

with st.form("first_admin"):
    username = st.text_input(t("users.username"), autocomplete="username")
    display_name = st.text_input(t("users.display_name"))
    password = st.text_input(t("users.password"), type="password", autocomplete="new-password")
    confirm = st.text_input(
        t("users.password_confirm"), type="password", autocomplete="new-password"
    )
    submitted = st.form_submit_button(t("first_admin.submit"), type="primary")

if submitted:
    if password != confirm:
        common.show_error(InvalidInput("error.user.password_mismatch"))
    else:
        user = common.act(
            accounts.create_first_admin,
            username=username,
            display_name=display_name,
            password=password,
        )
        if user is not None:
            common.sign_in_as(user)
            st.rerun()

"""Sign-in page: username and password."""

import streamlit as st

from workshop import accounts
from workshop.errors import DomainError
from workshop.ui import common
from workshop.ui.common import t

st.title(t("sign_in.title"))
st.caption(t("app.tagline"))

with st.form("sign_in"):
    username = st.text_input(t("sign_in.username"), autocomplete="username")
    password = st.text_input(
        t("sign_in.password"), type="password", autocomplete="current-password"
    )
    submitted = st.form_submit_button(t("sign_in.submit"), type="primary")

if submitted:
    try:
        with common.reading() as session:
            user = accounts.authenticate(session=session, username=username, password=password)
    except DomainError as err:
        common.show_error(err)
    else:
        common.sign_in_as(user)
        st.rerun()

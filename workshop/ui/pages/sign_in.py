"""Sign-in page: username and password."""

import streamlit as st

from workshop.ui import common, throttle
from workshop.ui.common import t

st.title(t("sign_in.title"))
st.caption(t("app.tagline"))

if common.sso_configured():
    if error := st.session_state.pop("sso_error", None):
        st.error(t(error, email=common.plain(str(st.user.get("email") or ""))))
    if st.button(t("sign_in.sso"), type="primary", icon=":material/key:"):
        st.login()
    st.caption(t("sign_in.or_password"))

with st.form("sign_in"):
    username = st.text_input(t("sign_in.username"), autocomplete="username")
    password = st.text_input(
        t("sign_in.password"), type="password", autocomplete="current-password"
    )
    submitted = st.form_submit_button(t("sign_in.submit"), type="primary")

if submitted and (user := throttle.sign_in(username, password)) is not None:
    common.sign_in_as(user)
    st.rerun()

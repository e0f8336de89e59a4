"""Atelier Cagettes: Streamlit entry point (page config, language, sign-in, navigation)."""

import streamlit as st

from workshop import accounts, config, i18n
from workshop.ui import common, nav
from workshop.ui.common import t

st.set_page_config(
    page_title="Atelier Cagettes",
    page_icon=str(config.PROJECT_ROOT / "assets" / "logo.png"),
    layout="wide",
)

engine = common.engine()
with common.reading() as session:
    needs_first_admin = accounts.user_count(session=session) == 0
user = common.current_user()

common.lang()  # sets the session's language before the picker reads it
with st.sidebar:
    st.selectbox(
        "Langue · Language",
        options=list(i18n.LANGUAGES),
        format_func=lambda code: {"fr": "Français", "en": "English"}[code],
        key="lang",
    )
    if user is not None:
        st.caption(t("app.signed_in_as", name=user.display_name, role=t(f"role.{user.role.value}")))
        if st.button(t("app.sign_out"), icon=":material/logout:"):
            common.sign_out()
            st.rerun()

# A phone's camera app opens `/?code=…`: keep the code (across a sign-in if
# needed) and hand it to the scan page.
if code := st.query_params.get("code"):
    st.session_state["pending_code"] = code
    del st.query_params["code"]

page = st.navigation(nav.pages_for(user, needs_first_admin=needs_first_admin))
if (
    "pending_code" in st.session_state
    and accounts.can(user, accounts.Permission.scan)
    and not page.url_path == "scan"
):
    st.switch_page(nav.page_path("scan.py"))
page.run()

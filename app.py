"""Atelier Cagettes: Streamlit entry point (page config, language, sign-in, navigation)."""

import streamlit as st

from workshop import accounts, config, i18n
from workshop.ui import common, cookies, nav
from workshop.ui.common import t
from workshop.web import old_links

st.set_page_config(
    page_title="Atelier Cagettes",
    page_icon=str(config.PROJECT_ROOT / "assets" / "logo.png"),
    layout="wide",
)

engine = common.engine()
common.forget_refused_numbers()
common.freeze_startup_objects()
with common.reading() as session:
    needs_first_admin = accounts.user_count(session=session) == 0
# Shared tablet in shop-floor mode: nobody signed in, no sidebar, one page.
shop_floor = common.shop_floor_mode()  # from this session, or the tablet's address
if shop_floor:
    if "user_id" in st.session_state:
        # The cookie's token is ended: a reload of the shared tablet signs nobody in.
        common.sign_out(clear_cookie=False)
else:
    common.restore_sign_in()  # after a reload or a locked phone
user = common.current_user()
cookies.apply_pending()  # to /session/start or /session/end, after a sign-in or out

common.use_language_of(user)
common.lang()  # sets the session's language before the picker reads it
common.page_style()
if not shop_floor:
    with st.sidebar:
        st.selectbox(
            "Langue · Language",
            options=list(i18n.LANGUAGES),
            format_func=lambda code: {"fr": "Français", "en": "English"}[code],
            key="lang",
            on_change=common.language_chosen,
        )
        nav.close_menu_after_tap()
        if user is not None:
            st.caption(
                t(
                    "app.signed_in_as",
                    name=common.plain(user.display_name),
                    role=t(f"role.{user.role.value}"),
                )
            )
            if st.button(t("app.sign_out"), icon=":material/logout:"):
                via_sso = common.sso_signed_in()
                common.sign_out(clear_cookie=not via_sso)  # st.logout sends the browser away
                if via_sso:
                    st.logout()  # also ends the provider's session cookie
                st.rerun()

# A phone's camera app opens `/?code=…`. A piece of furniture (M…, or anything
# unreadable) has its public passport at `/p/M…` (the server redirects old links
# before Streamlit sees them; this catches a link followed inside the app); a crate
# or lot code is kept (across a sign-in if needed) and handed to the scan page.
code = st.query_params.get("code") or ""
if passport := old_links.passport_path(code):
    cookies.go_to(passport)
    cookies.apply_pending()
    st.stop()
if code:
    st.session_state["pending_code"] = code
    del st.query_params["code"]

page = st.navigation(
    nav.shop_floor_pages()
    if shop_floor
    else nav.pages_for(user, needs_first_admin=needs_first_admin),
    position="hidden" if shop_floor else "sidebar",
    # Every page shown: collapsed, the menu hides some behind Streamlit's own English
    # "View N more" button.
    expanded=True,
)
if (
    "pending_code" in st.session_state
    and accounts.can(user, accounts.Permission.scan)
    and not page.url_path == "scan"
):
    st.switch_page(nav.page_path("scan.py"))
page.run()

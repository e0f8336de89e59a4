"""Home page: a greeting and what this role can do here."""

import streamlit as st

from workshop.accounts import can
from workshop.ui import common, nav
from workshop.ui.common import t

user = common.page_user()
st.title(t("home.title", name=common.plain(user.display_name)))
st.write(t(f"home.intro.{user.role.value}"))

# The same areas as the sidebar, each with the pages this role may open.
for section in nav.SECTIONS[1:]:
    specs = [
        spec
        for spec in nav.SIGNED_IN_PAGES
        if spec.section == section and spec.permission is not None and can(user, spec.permission)
    ]
    if specs:
        st.subheader(t(f"nav.section.{section}"))
    for spec in specs:
        st.page_link(nav.page_path(spec.file), label=t(spec.title_key), icon=spec.icon)

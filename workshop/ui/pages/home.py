"""Home page: a greeting and what this role can do here."""

import streamlit as st

from workshop import dates, documents, pickups
from workshop.accounts import Permission, can
from workshop.ui import common, nav
from workshop.ui.common import t

ATTESTATION_MONTH = 3  # the wood attestations are due by 31 March

user = common.page_user()
st.title(t("home.title", name=common.plain(user.display_name)))
st.write(t(f"home.intro.{user.role.value}"))

today = dates.today()
if can(user, Permission.documents) and today.month == ATTESTATION_MONTH:
    # The attestations of last year, one file per market, made only when clicked.
    last_year = today.year - 1
    with common.reading() as session:
        markets = pickups.all_markets(session=session)
    with st.container(border=True):
        st.warning(t("documents.march", year=str(last_year)), icon=":material/event:")
        columns = st.columns(3)
        for i, market in enumerate(markets):
            common.download(
                t("documents.march_button", market=common.plain(market.name)),
                common.later(
                    documents.attestation.pdf,
                    actor=user,
                    market_id=market.id or 0,
                    year=last_year,
                    lang=common.lang(),
                ),
                documents.attestation.filename(market.name, last_year, "pdf"),
                where=columns[i % len(columns)],
                key=f"march_attestation_{market.id}",
            )

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

"""Documents to file (admin): each market's yearly wood attestation data (PDF, CSV) and the
yearly activity report (PDF, XLSX)."""

from __future__ import annotations

import streamlit as st

from workshop import dates, documents, pickups
from workshop.accounts import Permission
from workshop.ui import common
from workshop.ui.common import t

YEARS_BACK = 5

user = common.page_user(Permission.documents)
lang = common.lang()
st.title(t("documents.title"))
today = dates.today()

with common.reading() as session:
    markets = pickups.all_markets(session=session)
names = {m.id or 0: m.name for m in markets}
years = [today.year - i for i in range(YEARS_BACK + 1)]

st.header(t("documents.attestation"))
st.caption(t("documents.attestation_help"))
left, right = st.columns(2)
market_id = left.selectbox(
    t("documents.market"), list(names), format_func=names.__getitem__, key="doc_market"
)
year = right.selectbox(t("documents.year"), years, index=1, key="doc_year")
if market_id is not None:
    with common.reading() as session:
        wood = documents.attestation.wood_year(
            session=session, actor=user, market_id=market_id, year=year
        )
    if not wood.operator:
        st.warning(t("documents.no_operator"), icon=":material/edit_note:")
    pdf_col, csv_col = st.columns(2)
    for column, kind, label, data in (
        (pdf_col, "pdf", "documents.attestation_pdf", documents.attestation.render),
        (csv_col, "csv", "documents.csv", documents.attestation.csv),
    ):
        common.download(
            t(label),
            data(wood, lang),
            documents.attestation.filename(wood.market, year, kind),
            where=column,
            primary=kind == "pdf",
        )

st.header(t("documents.yearly"))
st.caption(t("documents.yearly_help"))
report_year = st.selectbox(t("documents.year"), years, index=1, key="doc_report_year")
# Made when clicked: a whole year of every market takes a moment.
pdf_col, xlsx_col = st.columns(2)
for column, kind, label, make in (
    (pdf_col, "pdf", "documents.yearly_pdf", documents.yearly.pdf),
    (xlsx_col, "xlsx", "documents.yearly_xlsx", documents.yearly.workbook),
):
    common.download(
        t(label),
        common.later(make, actor=user, year=report_year, lang=lang),
        documents.yearly.filename(report_year, kind),
        where=column,
        primary=kind == "pdf",
    )

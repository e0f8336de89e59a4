"""Public summary: the workshop's totals for a screen or a website; no personal data, read-only."""

from datetime import date

import streamlit as st

from workshop import config, dates, i18n, impact
from workshop.errors import DomainError, PermissionDenied
from workshop.models import Outcome
from workshop.ui import common
from workshop.ui.common import t


@st.cache_resource(ttl=300, max_entries=4, show_spinner=False)
def summary(database: str, version: int, today: date) -> impact.PublicSummary:
    """The totals, recomputed when the data change (or after 5 minutes)."""
    with common.reading() as session:
        return impact.public_summary(session=session, today=today)


lang = common.lang()
st.title(t("summary.title"))
try:
    with common.reading() as session:
        version = impact.data_version(session=session)
    if not config.public_summary_enabled():
        raise PermissionDenied("error.summary.off")
    data = summary(config.database_url(), version, dates.today())
except DomainError as err:
    common.show_error(err)
    st.stop()
    raise AssertionError from err  # unreachable: st.stop() ends the run

st.caption(common.public_text(config.workshop_name()))  # public text: plain, never a link
if data.since is None:
    st.info(t("summary.empty"))
    st.stop()

c1, c2, c3 = st.columns(3)
c1.metric(t("summary.kg"), i18n.fmt_kg(data.kg, lang))
c2.metric(t("summary.crates"), i18n.fmt_number(data.crates, lang))
c3.metric(t("summary.pieces"), i18n.fmt_number(data.pieces, lang))
c4, c5, c6 = st.columns(3)
c4.metric(t("summary.this_year"), i18n.fmt_kg(data.this_year_kg, lang))
c5.metric(t("summary.co2e"), i18n.fmt_kg(data.co2e.co2e_kg, lang))
c6.metric(t("summary.markets"), i18n.fmt_number(data.markets, lang))

total = sum(data.outcomes.values()) or 1.0
st.subheader(t("summary.outcomes"))
for outcome in impact.WASTE_HIERARCHY:
    share = data.outcomes[outcome] / total
    st.progress(
        min(share, 1.0),
        text=t(
            "summary.outcome_line",
            outcome=t(f"outcome.{outcome.value}"),
            kg=i18n.fmt_kg(data.outcomes[outcome], lang),
            share=i18n.fmt_number(100 * share, lang),
        ),
    )
kept = data.outcomes[Outcome.in_build] + data.outcomes[Outcome.reused]
st.caption(
    t(
        "summary.notes",
        since=i18n.fmt_date(data.since, lang),
        estimated=i18n.fmt_kg(data.estimated_kg, lang),
        band=i18n.fmt_kg(data.uncertainty_kg, lang),
        kept=i18n.fmt_kg(kept, lang),
        factor=i18n.fmt_number(data.co2e.factor * 1000, lang, 1),
        source=common.public_text(data.co2e.source_in(lang)),
    )
)

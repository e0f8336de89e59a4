"""Hour reports (lead): per programme and month, approved hours per trainee and activity, ETP."""

from __future__ import annotations

import streamlit as st

from workshop import dates, documents, exports, hours, i18n
from workshop.accounts import Permission
from workshop.models import Activity, Programme
from workshop.ui import common, nav, tables
from workshop.ui.common import t

MONTHS_BACK = 24

user = common.page_user(Permission.hours)
lang = common.lang()
st.title(t("report.title"))


def programme_name(programme: Programme) -> str:
    """A programme's name in the session's language."""
    return programme.name_en if lang == "en" and programme.name_en else programme.name


def hours_text(minutes: int) -> str:
    """Decimal hours, as the funders count them (`7,25`)."""
    return i18n.fmt_number(minutes / 60, lang, 2)


with common.reading() as session:
    programmes = hours.programmes(session=session, active_only=False)
by_id = {p.id or 0: p for p in programmes}
this_month = dates.today().replace(day=1)
months = [dates.add_months(this_month, -i) for i in range(MONTHS_BACK)]

left, right = st.columns(2)
programme_id = left.selectbox(
    t("report.programme"),
    list(by_id),
    format_func=lambda pid: programme_name(by_id[pid]),
    key="hr_programme",
)
# Opens on the last whole month, the one reported to the funders; this month is in the list.
month = right.selectbox(
    t("report.month"),
    months,
    index=1,
    format_func=lambda m: i18n.fmt_month(m, lang),
    key="hr_month",
)

with common.reading() as session:
    report = hours.monthly_report(
        session=session, actor=user, programme_id=programme_id, month=month
    )

with common.reading() as session:
    pack = documents.funders.monthly_pack(session=session, actor=user, month=month)

# The pack the funders ask for every month: all programmes at once, before the one chosen.
with st.expander(t("funders.title", month=i18n.fmt_month(month, lang)), icon=":material/folder:"):
    st.caption(t("funders.help"))
    pack_pseudo = st.toggle(t("funders.pseudonymised"), key="hr_pack_pseudo")
    p1, p2 = st.columns(2)
    for column, kind, write in (
        (p1, "xlsx", documents.funders.xlsx),
        (p2, "csv", documents.funders.csv),
    ):
        common.download(
            t(f"funders.{kind}"),
            write(pack, lang, pseudonymised=pack_pseudo),
            documents.funders.filename(pack, kind, pseudonymised=pack_pseudo),
            where=column,
            disabled=not pack.programmes,
        )
    if not pack.programmes:
        st.caption(t("funders.empty"))

st.caption(t("report.base", base=i18n.fmt_number(report.base_hours, lang, 2)))
st.caption(t("report.worked_under"))
# Nobody with an hour, approved or waiting, that month: say what to do instead of a table of zeros.
if not any(r.total or r.pending_minutes for r in report.rows):
    st.info(t("report.empty", month=i18n.fmt_month(month, lang)), icon=":material/info:")
    st.page_link(
        nav.page_path("hours_approval.py"),
        label=t("report.empty_next"),
        icon=":material/schedule:",
    )
    st.stop()

a, b, c = st.columns(3)
a.metric(t("report.total_hours"), hours_text(report.total))
b.metric(t("report.etp"), i18n.fmt_number(report.etp(report.total), lang, 2))
c.metric(t("report.people"), i18n.fmt_number(sum(1 for r in report.rows if r.total), lang))

waiting = sum(r.pending_minutes for r in report.rows)
forgotten = sum(r.forgotten for r in report.rows)
if waiting or forgotten:
    st.warning(
        t("report.not_counted", hours=hours_text(waiting), forgotten=forgotten),
        icon=":material/pending_actions:",
    )

tables.table(
    [
        {
            t("report.col.trainee"): row.name,
            **{t(f"activity.{a.value}"): hours_text(row.minutes.get(a, 0)) for a in Activity},
            t("report.col.total"): hours_text(row.total),
            t("report.col.etp"): i18n.fmt_number(report.etp(row.total), lang, 2),
            t("report.col.pending"): hours_text(row.pending_minutes),
        }
        for row in report.rows
    ],
    key="hours_reports",
    phone=(t("report.col.trainee"), t("report.col.total"), t("report.col.etp")),
)

st.subheader(t("report.downloads"))
pseudonymised = st.toggle(t("report.pseudonymised"), key="hr_pseudo")
st.caption(t("report.pseudonymised_help" if pseudonymised else "report.named_help"))
d1, d2 = st.columns(2)
for column, kind, export in ((d1, "csv", exports.report_csv), (d2, "xlsx", exports.report_xlsx)):
    common.download(
        t(f"report.{kind}"),
        export(report, lang, pseudonymised=pseudonymised),
        exports.report_filename(report, kind, pseudonymised=pseudonymised),
        where=column,
    )

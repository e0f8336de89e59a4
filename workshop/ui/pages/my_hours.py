"""My hours (trainee): my hours history, and a download of everything the app keeps about me."""

from __future__ import annotations

import streamlit as st

from workshop import config, exports, hours, i18n
from workshop.accounts import Permission
from workshop.models import HourStatus
from workshop.ui import common
from workshop.ui.common import t

user = common.page_user(Permission.own_hours)
lang = common.lang()
st.title(t("my_hours.title"))

with common.reading() as session:
    trainee = hours.linked_trainee(session=session, actor=user)
    if trainee is None:
        st.info(t("my_hours.not_linked"))
        st.stop()
    entries = hours.history(session=session, actor=user, trainee_id=trainee.id or 0)
    data = hours.personal_data(session=session, actor=user, trainee_id=trainee.id or 0)


def duration(minutes: int) -> str:
    """`3 h 15`."""
    return t("shop.duration", h=minutes // 60, m=f"{minutes % 60:02d}")


month = hours.paris_now().date().replace(day=1)
this_month = [e for e in entries if e.work_date >= month]
a, b = st.columns(2)
a.metric(
    t("my_hours.month_approved"),
    duration(sum(e.minutes for e in this_month if e.status == HourStatus.approved)),
)
b.metric(
    t("my_hours.month_waiting"),
    duration(sum(e.minutes for e in this_month if e.status == HourStatus.submitted)),
)

if entries:
    st.dataframe(
        [
            {
                t("hours.col.day"): i18n.fmt_date(e.work_date, lang),
                t("hours.col.start"): f"{hours.local(e.start_at):%H:%M}" if e.start_at else "",
                t("hours.col.end"): f"{hours.local(e.end_at):%H:%M}" if e.end_at else "",
                t("hours.col.duration"): duration(e.minutes) if e.minutes else "",
                t("hours.col.activity"): t(f"activity.{e.activity.value}"),
                t("hours.col.status"): t(f"hour_status.{e.status.value}"),
                t("hours.col.reason"): e.reason,
            }
            for e in entries
        ],
        hide_index=True,
        width="stretch",
    )
else:
    st.write(t("my_hours.none"))

st.subheader(t("my_hours.my_data"))
st.caption(t("my_hours.my_data_help", months=i18n.fmt_number(config.retention_months())))
c1, c2 = st.columns(2)
c1.download_button(
    t("my_hours.json"),
    exports.personal_data_json(data),
    file_name="mes-donnees.json",
    mime="application/json",
    icon=":material/download:",
)
c2.download_button(
    t("my_hours.csv"),
    exports.personal_data_csv(data, lang),
    file_name="mes-heures.csv",
    mime="text/csv",
    icon=":material/download:",
)

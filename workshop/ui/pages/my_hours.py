"""My hours (trainee): enter my own hours, my hours history, and a download of my data.

Hours a trainee enters here go through the same domain call as a lead's
(`hours.record_hours`, source "self_service") and wait for a lead's approval.
"""

from __future__ import annotations

from datetime import date, time

import streamlit as st

from workshop import builds, codes, config, dates, exports, hours, i18n
from workshop.accounts import Permission
from workshop.models import Activity, BuildStatus, HourEntry, HourStatus
from workshop.ui import common, tables
from workshop.ui.common import t

STARTS = [time(h, m) for h in range(6, 22) for m in (0, 15, 30, 45)]
OPEN_BUILDS = [BuildStatus.planned, BuildStatus.in_progress]
# The form's widgets, emptied after a successful entry (kept as typed after a refusal).
FORM_KEYS = ("mh_day", "mh_start", "mh_minutes", "mh_activity", "mh_build", "mh_note")

user = common.page_user(Permission.own_hours)
lang = common.lang()
st.title(t("my_hours.title"))
common.show_flash()

with common.reading() as session:
    trainee = hours.linked_trainee(session=session, actor=user)
    if trainee is None:
        st.info(t("my_hours.not_linked"))
        st.stop()
    trainee_id = trainee.id or 0
    entries = hours.history(session=session, actor=user, trainee_id=trainee_id)
    data = hours.personal_data(session=session, actor=user, trainee_id=trainee_id)
    open_builds = builds.list_builds(session=session, actor=user, statuses=OPEN_BUILDS)
    build_of = hours.build_codes(
        session=session, build_ids={e.build_id for e in entries if e.build_id}
    )


today = dates.today()

# --- enter my hours -------------------------------------------------------------------

st.subheader(t("my_hours.add_title"))
st.caption(t("my_hours.add_help"))
build_labels = {
    b.code: f"{codes.format_code(b.code)} · {common.design_name(b.design)}" for b in open_builds
}
with st.form("mh_add"):
    left, right = st.columns(2)
    day = left.date_input(
        t("my_hours.day"),
        value=today,
        max_value=today,
        format=i18n.date_input_format(lang),
        key="mh_day",
    )
    minutes: int | None = right.selectbox(
        t("my_hours.how_long"),
        hours.DURATIONS,
        index=None,
        format_func=lambda m: common.duration(m, lang),
        placeholder=t("my_hours.choose"),
        key="mh_minutes",
    )
    activity: Activity | None = left.selectbox(
        t("my_hours.activity"),
        list(Activity),
        index=None,
        # The language is bound now: AppTest calls format functions outside the run.
        format_func=lambda a: i18n.translate(f"activity.{a.value}", lang),
        placeholder=t("my_hours.choose"),
        key="mh_activity",
    )
    start: time | None = right.selectbox(
        t("my_hours.start"),
        STARTS,
        index=None,
        format_func=lambda v: f"{v:%H:%M}",
        placeholder=t("my_hours.optional"),
        help=t("my_hours.start_help"),
        key="mh_start",
    )
    build_code: str | None = None
    if build_labels:
        build_code = st.selectbox(
            t("my_hours.build"),
            list(build_labels),
            index=None,
            format_func=build_labels.__getitem__,
            placeholder=t("my_hours.optional"),
            key="mh_build",
        )
    note = st.text_input(
        t("my_hours.note"),
        max_chars=hours.MAX_REASON,
        placeholder=t("my_hours.optional"),
        key="mh_note",
    )
    submitted = st.form_submit_button(
        t("my_hours.save"), type="primary", icon=":material/more_time:"
    )

if submitted:
    # Checked here because the domain takes a chosen value; every other rule is the domain's.
    if minutes is None:
        st.error(t("my_hours.pick_duration"), icon=":material/error:")
    elif activity is None:
        st.error(t("my_hours.pick_activity"), icon=":material/error:")
    else:
        saved: HourEntry | None = common.act(
            hours.record_hours,
            actor=user,
            trainee_id=trainee_id,
            fields=hours.EntryFields(
                work_date=day if isinstance(day, date) else today,
                minutes=minutes,
                activity=activity,
                build_code=build_code,
                start=start,
                reason=note,
            ),
        )
        if saved is not None:
            common.flash(
                "my_hours.saved", duration=common.duration(saved.minutes), day=saved.work_date
            )
            for key in FORM_KEYS:
                st.session_state.pop(key, None)
            st.rerun()

# --- what I have done ------------------------------------------------------------------

st.subheader(t("my_hours.history"))
month = today.replace(day=1)
this_month = [e for e in entries if e.work_date >= month]
a, b = st.columns(2)
a.metric(
    t("my_hours.month_approved"),
    common.duration(sum(e.minutes for e in this_month if e.status == HourStatus.approved)),
)
b.metric(
    t("my_hours.month_waiting"),
    common.duration(sum(e.minutes for e in this_month if e.status == HourStatus.submitted)),
)

if entries:
    tables.table(
        [
            {
                t("hours.col.day"): i18n.fmt_date(e.work_date, lang),
                t("hours.col.start"): f"{dates.local(e.start_at):%H:%M}" if e.start_at else "",
                t("hours.col.end"): f"{dates.local(e.end_at):%H:%M}" if e.end_at else "",
                t("hours.col.duration"): common.duration(e.minutes) if e.minutes else "",
                t("hours.col.activity"): t(f"activity.{e.activity.value}"),
                t("hours.col.build"): codes.format_code(build_of[e.build_id])
                if e.build_id in build_of
                else "",
                # An open clock-in of a past day is a forgotten clock-out, not "in progress".
                t("hours.col.status"): t("hours.forgotten_short")
                if hours.is_forgotten_clock_out(e)
                else t(f"hour_status.{e.status.value}"),
                t("my_hours.col_note"): e.reason,
            }
            for e in entries
        ],
        key="my_hours",
        phone=(t("hours.col.day"), t("hours.col.duration"), t("hours.col.status")),
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
    help=t("my_hours.json_help"),
)
c2.download_button(
    t("my_hours.csv"),
    exports.personal_data_csv(data, lang),
    file_name="mes-heures.csv",
    mime="text/csv",
    icon=":material/download:",
)

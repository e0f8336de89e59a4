"""Hours (lead): a trainee's week; approve, correct or reject with a reason; missed clock-outs."""

from __future__ import annotations

from datetime import date, time, timedelta

import streamlit as st

from workshop import codes, dates, hours, i18n
from workshop.accounts import Permission, can
from workshop.models import Activity, HourEntry, HourStatus
from workshop.ui import common
from workshop.ui.common import t

STARTS = [time(h, m) for h in range(6, 22) for m in (0, 15, 30, 45)]
# Typed once: written inline in st.selectbox, list(Activity) makes mypy pick the
# overload for empty options, whose value is None.
ACTIVITIES: list[Activity] = list(Activity)

user = common.page_user(Permission.hours)
lang = common.lang()
st.title(t("hours.title"))
common.show_flash()


def hhmm(entry: HourEntry) -> tuple[str, str]:
    """Local start and end times of an entry ("" when typed as a duration)."""
    start = f"{dates.local(entry.start_at):%H:%M}" if entry.start_at else ""
    end = f"{dates.local(entry.end_at):%H:%M}" if entry.end_at else ""
    return start, end


def forget_review(entry_id: int) -> None:
    """After a correction or refusal, the form shows the entry as saved, with no reason."""
    for key in ("hw_minutes", "hw_activity", "hw_build"):
        st.session_state.pop(f"{key}_{entry_id}", None)
    st.session_state.pop("hw_reason", None)


def open_week(trainee_id: int, monday: date) -> None:
    """Callback of the to-do list: show that trainee's week."""
    st.session_state["hw_trainee"] = trainee_id
    st.session_state["hw_week"] = monday


today = dates.today()
with common.reading() as session:
    trainees = hours.list_trainees(session=session, actor=user)
    todo = hours.pending(session=session, actor=user)

if not trainees:
    st.info(t("hours.no_trainees"))
    st.stop()

if not todo:
    st.info(t("hours.nothing_to_approve"), icon=":material/task_alt:")
if todo:
    st.subheader(t("hours.todo"))
    for i, item in enumerate(todo):
        line = t(
            "hours.todo_line",
            name=common.plain(item.name),
            week=i18n.fmt_date(item.week_start, lang),
            duration=common.duration(item.submitted_minutes),
        )
        cols = st.columns([5, 1])
        if item.forgotten:
            days = ", ".join(i18n.fmt_date(d, lang) for d in item.forgotten)
            cols[0].warning(
                line + " · " + t("hours.forgotten", days=days), icon=":material/warning:"
            )
        else:
            cols[0].write(line)
        cols[1].button(
            t("hours.open"),
            key=f"hw_open_{i}",
            on_click=open_week,
            args=(item.trainee_id, item.week_start),
        )

names = {tr.id or 0: tr.display_name for tr in trainees}
trainee_id = st.selectbox(
    t("hours.trainee"), list(names), format_func=names.__getitem__, key="hw_trainee"
)
st.session_state.setdefault("hw_week", today)
picked = st.date_input(t("hours.week"), format="DD/MM/YYYY", key="hw_week")
monday = dates.week_start(picked if isinstance(picked, date) else today)

with common.reading() as session:
    view = hours.week_view(session=session, actor=user, trainee_id=trainee_id, week=monday)
    builds = hours.build_codes(
        session=session, build_ids={e.build_id for e in view.entries if e.build_id}
    )

st.subheader(
    t(
        "hours.week_of",
        start=i18n.fmt_date(monday, lang),
        end=i18n.fmt_date(monday + timedelta(days=6), lang),
    )
)
locked = view.approval is not None
if view.approval is not None:
    st.success(
        t(
            "hours.approved_by",
            name=common.plain(view.approver or "?"),
            date=i18n.fmt_date(dates.local(view.approval.approved_at).date(), lang),
        ),
        icon=":material/lock:",
    )
elif view.entries:
    st.info(t("hours.to_approve"), icon=":material/pending_actions:")

if view.entries:
    rows = []
    for entry in view.entries:
        start, end = hhmm(entry)
        forgotten = hours.is_forgotten_clock_out(entry)
        rows.append(
            {
                t("hours.col.day"): i18n.fmt_date(entry.work_date, lang),
                t("hours.col.start"): start,
                t("hours.col.end"): end,
                t("hours.col.duration"): common.duration(entry.minutes) if entry.minutes else "",
                t("hours.col.activity"): t(f"activity.{entry.activity.value}"),
                t("hours.col.build"): codes.format_code(builds[entry.build_id])
                if entry.build_id in builds
                else "",
                t("hours.col.status"): t("hours.forgotten_short")
                if forgotten
                else t(f"hour_status.{entry.status.value}"),
                t("hours.col.source"): t(f"hour_source.{entry.source.value}"),
                t("hours.col.reason"): entry.reason,
            }
        )
    st.dataframe(rows, hide_index=True, width="stretch")
    st.caption(
        t(
            "hours.week_totals",
            approved=common.duration(view.minutes(HourStatus.approved)),
            submitted=common.duration(view.minutes(HourStatus.submitted)),
        )
    )
else:
    st.write(t("hours.week_empty"))

may_change = not locked or can(user, Permission.locked_hours)
if locked and not may_change:
    st.caption(t("hours.locked_help"))

if view.entries and may_change:
    with st.expander(t("hours.review"), icon=":material/edit:"):
        by_id = {e.id or 0: e for e in view.entries}

        def entry_label(entry_id: int) -> str:
            entry = by_id[entry_id]
            start, end = hhmm(entry)
            span = f"{start}–{end}" if start else ""
            status = t(f"hour_status.{entry.status.value}")
            return " · ".join(
                part
                for part in (
                    i18n.fmt_date(entry.work_date, lang),
                    span,
                    common.duration(entry.minutes) if entry.minutes else "",
                    t(f"activity.{entry.activity.value}"),
                    status,
                )
                if part
            )

        entry_id = st.selectbox(
            t("hours.entry"), list(by_id), format_func=entry_label, key="hw_entry"
        )
        chosen = by_id[entry_id]
        # One form per entry, filled with that entry's values: a lead who fixes only the
        # build does not overwrite the duration or activity with a default by mistake.
        with st.form(f"hw_review_{entry_id}"):
            minutes = st.selectbox(
                t("hours.duration"),
                hours.DURATIONS,
                format_func=common.duration,
                index=hours.DURATIONS.index(
                    chosen.minutes if chosen.minutes in hours.DURATIONS else 2 * 60
                ),
                key=f"hw_minutes_{entry_id}",
            )
            activity = st.selectbox(
                t("hours.activity"),
                ACTIVITIES,
                index=ACTIVITIES.index(chosen.activity),
                format_func=lambda a: t(f"activity.{a.value}"),
                key=f"hw_activity_{entry_id}",
            )
            build_code = st.text_input(
                t("hours.build"),
                value=codes.format_code(builds[chosen.build_id])
                if chosen.build_id in builds
                else "",
                help=t("hours.build_help"),
                key=f"hw_build_{entry_id}",
            )
            reason = st.text_input(t("hours.reason"), max_chars=hours.MAX_REASON, key="hw_reason")
            left, right = st.columns(2)
            correct = left.form_submit_button(t("hours.correct"), icon=":material/edit:")
            reject = right.form_submit_button(t("hours.reject"), icon=":material/block:")
        if correct:
            fixed = common.act(
                hours.correct_entry,
                actor=user,
                entry_id=entry_id,
                minutes=minutes,
                activity=activity,
                reason=reason,
                build_code=build_code,
            )
            if fixed is not None:
                forget_review(entry_id)
                common.flash("hours.corrected")
                st.rerun()
        if reject:
            refused = common.act(hours.reject_entry, actor=user, entry_id=entry_id, reason=reason)
            if refused is not None:
                forget_review(entry_id)
                common.flash("hours.rejected")
                st.rerun()

if not locked:
    # The main button only when the week shown has hours waiting.
    waiting = any(e.status == HourStatus.submitted for e in view.entries)
    if waiting and st.button(
        t("hours.approve"), type="primary", icon=":material/task_alt:", key="hw_approve"
    ):
        lock = common.act(hours.approve_week, actor=user, trainee_id=trainee_id, week=monday)
        if lock is not None:
            common.flash("hours.approved", name=names[trainee_id])
            st.rerun()
elif can(user, Permission.locked_hours):
    with st.expander(t("hours.reopen"), icon=":material/lock_open:"), st.form("hw_reopen"):
        reason = st.text_input(t("hours.reason"), max_chars=hours.MAX_REASON, key="hw_reopen_why")
        if st.form_submit_button(t("hours.reopen")):
            opened = common.act(
                hours.reopen_week, actor=user, trainee_id=trainee_id, week=monday, reason=reason
            )
            if opened is not None:
                common.flash("hours.reopened")
                st.rerun()

if may_change:
    with st.expander(t("hours.add"), icon=":material/more_time:"), st.form("hw_add"):
        day = st.date_input(
            t("hours.col.day"),
            value=max(monday, min(today, monday + timedelta(days=6))),
            min_value=monday,
            max_value=monday + timedelta(days=6),
            format="DD/MM/YYYY",
        )
        start_at = st.selectbox(
            t("hours.start_optional"),
            STARTS,
            index=None,
            format_func=lambda v: f"{v:%H:%M}",
            placeholder=t("common.choose"),
        )
        minutes = st.selectbox(
            t("hours.duration"),
            hours.DURATIONS,
            format_func=common.duration,
            index=hours.DURATIONS.index(2 * 60),
        )
        activity = st.selectbox(
            t("hours.activity"), ACTIVITIES, format_func=lambda a: t(f"activity.{a.value}")
        )
        build = st.text_input(t("hours.build"))
        reason = st.text_input(t("hours.reason_add"), max_chars=hours.MAX_REASON)
        if st.form_submit_button(t("hours.add"), type="primary"):
            added = common.act(
                hours.record_hours,
                actor=user,
                trainee_id=trainee_id,
                fields=hours.EntryFields(
                    work_date=day,
                    minutes=minutes,
                    activity=activity,
                    build_code=build,
                    start=start_at,
                    reason=reason,
                ),
            )
            if added is not None:
                common.flash("hours.added")
                st.rerun()

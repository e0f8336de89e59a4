"""Shop-floor mode: the shared tablet where trainees clock in and out, in easy-to-read French.

A lead turns the mode on here; the session is then signed out and shows only
this page. A trainee scans their badge (or taps their name + PIN), then says
"J'arrive" / "Je pars" or enters hours. After each step the screen goes back to
the start by itself (RETURN_AFTER_S), so the next person cannot act as them:
the deadline is kept in session_state and checked at every run, and a fragment
reruns the page every few seconds to notice it.
"""

from __future__ import annotations

import time
from datetime import date, datetime, timedelta
from typing import Any

import streamlit as st

from workshop import config, dates, hours, i18n, signin_tokens
from workshop.accounts import Permission, can
from workshop.errors import DomainError, PermissionDenied
from workshop.models import Activity, HourEntry, Trainee
from workshop.ui import common, nav, scanner, throttle
from workshop.ui.common import t

RETURN_AFTER_S = 20
STATE = "sf_state"
DEADLINE = "sf_deadline"
LANG = "sf_lang"
BADGE = "sf_badge"
# Big targets for every button of the tablet (at least 48 px; a static style, no text).
_CSS = """<style>
.stApp .stButton button, .stApp .stFormSubmitButton button {
  min-height: 3.5rem; font-size: 1.15rem; }
.stApp [data-testid="stButtonGroup"] button { min-height: 3.5rem; }
</style>"""
ICONS = {
    Activity.collecte: ":material/local_shipping:",
    Activity.tri: ":material/category:",
    Activity.demontage: ":material/handyman:",
    Activity.poncage: ":material/texture:",
    Activity.assemblage: ":material/construction:",
    Activity.finition: ":material/format_paint:",
    Activity.vente: ":material/storefront:",
    Activity.formation: ":material/school:",
}


# --- the lead's side: turn the mode on ------------------------------------------------

if not st.session_state.get(nav.SHOP_FLOOR_KEY):
    turning_on = common.page_user(Permission.hours)
    st.title(t("shop.title"))
    st.write(t("shop.explain"))
    if st.button(t("shop.turn_on"), type="primary", icon=":material/tablet:"):
        token = common.act(signin_tokens.tablet_token, actor=turning_on)
        if token is not None:
            common.start_shop_floor(token)
            # Its token is ended server-side; a trip to /session/end to clear the cookie
            # would reload the page without the tablet's address.
            common.sign_out(clear_cookie=False)
            st.rerun()
    st.stop()


# --- the tablet ---------------------------------------------------------------------


def reset() -> None:
    """Back to the start screen in the kiosk's language: forget who was at the tablet."""
    for key in (STATE, DEADLINE, "sf_pin", "sf_build", "sf_minutes", "sf_day", "sf_activity"):
        st.session_state.pop(key, None)
    st.session_state[LANG] = config.default_language()


def go(step: str, **data: Any) -> None:
    """Show `step` next, and go back to the start if nobody touches the screen."""
    st.session_state[STATE] = {"step": step, **data}
    st.session_state[DEADLINE] = time.time() + RETURN_AFTER_S


def clock(moment: datetime) -> str:
    """A stored time as people say it: `9 h 05` in French, `09:05` in English."""
    return i18n.fmt_time(dates.local(moment), common.lang())


def activity_label(activity: Activity) -> str:
    """An activity with its pictogram."""
    return f"{ICONS[activity]} {t(f'activity.{activity.value}')}"


if (deadline := st.session_state.get(DEADLINE)) is not None and time.time() >= deadline:
    reset()
# The tablet's own language key: held through the whole flow whatever else runs, back to
# the kiosk's default at the start (reset).
st.session_state["lang"] = st.session_state.setdefault(LANG, config.default_language())
state: dict[str, Any] = st.session_state.get(STATE) or {"step": "start"}
step = state["step"]
st.html(_CSS)


@st.fragment(run_every=2)
def _watch_deadline() -> None:
    # Reruns the whole page once the deadline has passed (the check above resets it).
    limit = st.session_state.get(DEADLINE)
    if limit is not None and time.time() >= limit:
        st.rerun(scope="app")


_watch_deadline()


def choose_language(lang: str) -> None:
    """The trainee's language, for this person's visit (back to the default at the start)."""
    st.session_state[LANG] = lang
    st.session_state[DEADLINE] = time.time() + RETURN_AFTER_S


top = st.columns([4, 1, 1])
top[1].button("Français", key="sf_fr", width="stretch", on_click=choose_language, args=("fr",))
top[2].button("English", key="sf_en", width="stretch", on_click=choose_language, args=("en",))


def identified(trainee_id: int, name: str) -> None:
    """A trainee was recognised: show their choices."""
    go("menu", trainee_id=trainee_id, name=name)
    st.rerun()


with top[0]:
    st.title(
        t("shop.hello")
        if step == "start"
        else t("shop.hello_name", name=common.plain(state["name"]))
    )
if step == "start":
    st.subheader(t("shop.scan_badge"))
# At the top of every screen, with the focus whenever no other field has it: the next
# badge needs no tap, even on someone else's screen, and none is lost while the page
# runs (the scanner field keeps every read until it is handled).
for number, typed in scanner.scanner_field(BADGE, t("shop.badge_field")):
    scanner.handled(BADGE, number)
    # Unknown badges are counted per tablet (the throttle): a try opens its own writes.
    if (badged := throttle.attempt(hours.identify_badge, text=typed[:200])) is not None:
        identified(badged.id or 0, badged.display_name)

if step == "start":
    with common.reading() as session:
        people = hours.pin_trainees(session=session)
    if people:
        st.write(t("shop.no_badge"))
        columns = st.columns(4)
        for i, person in enumerate(people):
            if columns[i % 4].button(
                common.plain(person.display_name),
                key=f"sf_who_{person.id}",
                icon=":material/person:",
            ):
                go("pin", trainee_id=person.id, name=person.display_name)
                st.rerun()
    st.divider()
    with st.expander(t("shop.exit"), icon=":material/lock:"), st.form("sf_exit"):
        st.caption(t("shop.exit_help"))
        st.caption(t("shop.address_help"))
        st.code(
            f"{config.base_url()}/{nav.SHOP_FLOOR.file.removesuffix('.py')}"
            f"?{common.TABLET_PARAM}={st.session_state[nav.SHOP_FLOOR_KEY]}",
            language=None,
        )
        username = st.text_input(t("sign_in.username"), autocomplete="off")
        password = st.text_input(t("sign_in.password"), type="password", autocomplete="off")
        if st.form_submit_button(t("shop.exit_button")):
            lead = throttle.sign_in(username, password)
            if lead is not None and not can(lead, Permission.hours):
                common.show_error(PermissionDenied("error.hours.exit_not_allowed"))
            elif lead is not None:
                reset()
                common.end_shop_floor()
                common.sign_in_as(lead)
                st.rerun()
    st.stop()

trainee_id = int(state["trainee_id"])


def back_button() -> None:
    """ "Ce n'est pas moi" / "Retour au début"."""
    if st.button(t("shop.not_me"), key="sf_back", icon=":material/close:"):
        reset()
        st.rerun()


if step == "pin":
    st.subheader(t("shop.type_pin"))
    with st.form("sf_pin_form"):
        pin = st.text_input(t("shop.pin"), type="password", max_chars=4, key="sf_pin")
        ok = st.form_submit_button(
            t("shop.ok"), type="primary", icon=":material/check:", width="stretch"
        )
    if ok:
        # Every PIN try is audit-logged, per trainee and per tablet (the throttle counts them).
        known: Trainee | None = throttle.attempt(hours.identify_pin, trainee_id=trainee_id, pin=pin)
        if known is None:
            st.session_state[DEADLINE] = time.time() + RETURN_AFTER_S
        else:
            identified(known.id or 0, known.display_name)
    back_button()

elif step == "menu":
    with common.reading() as session:
        now_state = hours.clock_state(session=session, trainee_id=trainee_id)
    open_entry = now_state.open_entry
    if open_entry is not None and open_entry.start_at is not None:
        st.info(t("shop.arrived_at", time=clock(open_entry.start_at)), icon=":material/schedule:")
    else:
        st.info(t("shop.not_arrived"), icon=":material/schedule:")
    if now_state.today_minutes:
        st.write(t("shop.today_total", duration=common.duration(now_state.today_minutes)))
    for day in now_state.forgotten:
        st.warning(t("shop.forgotten", day=day.strftime("%d/%m")), icon=":material/warning:")
    left, middle = st.columns(2)
    if open_entry is None:
        if left.button(
            t("shop.arrive"),
            type="primary",
            icon=":material/login:",
            width="stretch",
            key="sf_arrive",
        ):
            go("arrive", trainee_id=trainee_id, name=state["name"])
            st.rerun()
    elif left.button(
        t("shop.leave"), type="primary", icon=":material/logout:", width="stretch", key="sf_leave"
    ):
        done: HourEntry | None = common.act(hours.clock_out, trainee_id=trainee_id)
        if done is not None:
            go(
                "done",
                trainee_id=trainee_id,
                name=state["name"],
                message="shop.done_out",
                params={"duration": common.duration(done.minutes)},
            )
            st.rerun()
    if middle.button(
        t("shop.direct"), icon=":material/edit_calendar:", width="stretch", key="sf_direct"
    ):
        go("direct", trainee_id=trainee_id, name=state["name"])
        st.rerun()
    back_button()

elif step == "arrive":
    st.subheader(t("shop.what"))
    build = st.text_input(t("shop.build"), key="sf_build", help=t("shop.build_help"))
    columns = st.columns(4)
    for i, activity in enumerate(Activity):
        if columns[i % 4].button(
            t(f"activity.{activity.value}"),
            icon=ICONS[activity],
            key=f"sf_act_{activity.value}",
            width="stretch",
        ):
            entry: HourEntry | None = common.act(
                hours.clock_in, trainee_id=trainee_id, activity=activity, build_code=build
            )
            if entry is not None and entry.start_at is not None:
                go(
                    "done",
                    trainee_id=trainee_id,
                    name=state["name"],
                    message="shop.done_in",
                    params={
                        "time": clock(entry.start_at),
                        "activity": t(f"activity.{activity.value}"),
                    },
                )
                st.rerun()
    back_button()

elif step == "direct":
    st.subheader(t("shop.direct_title"))
    today = dates.today()
    days = [today - timedelta(days=n) for n in range(7)]
    day_names = {
        d: t("shop.today")
        if d == today
        else t("shop.yesterday")
        if d == today - timedelta(days=1)
        else d.strftime("%d/%m")
        for d in days
    }
    chosen_day: date = st.radio(
        t("shop.which_day"), days, format_func=day_names.__getitem__, horizontal=True, key="sf_day"
    )
    durations = {m: common.duration(m) for m in hours.DURATIONS}  # in this run's language
    minutes: int = st.selectbox(
        t("shop.how_long"), list(durations), format_func=durations.__getitem__, key="sf_minutes"
    )
    picked = st.pills(
        t("shop.what"),
        list(Activity),
        format_func=activity_label,
        key="sf_activity",
    )
    build = st.text_input(t("shop.build"), key="sf_build", help=t("shop.build_help"))
    if st.button(
        t("shop.ok"), type="primary", icon=":material/check:", width="stretch", key="sf_save"
    ):
        if picked is None:
            common.show_error(DomainError("error.hours.pick_activity"))
        else:
            saved: HourEntry | None = common.act(
                hours.shop_floor_hours,
                trainee_id=trainee_id,
                fields=hours.EntryFields(
                    work_date=chosen_day, minutes=minutes, activity=picked, build_code=build
                ),
            )
            if saved is not None:
                go(
                    "done",
                    trainee_id=trainee_id,
                    name=state["name"],
                    message="shop.done_direct",
                    params={
                        "duration": common.duration(saved.minutes),
                        "day": day_names[chosen_day],
                    },
                )
                st.rerun()
    back_button()

elif step == "done":
    st.success(t(state["message"], **state["params"]), icon=":material/check_circle:")
    st.subheader(t("shop.bye"))
    st.caption(t("shop.auto_return", seconds=RETURN_AFTER_S))
    if st.button(t("shop.finish"), type="primary", icon=":material/done_all:", key="sf_finish"):
        reset()
        st.rerun()

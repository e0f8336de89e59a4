"""Scan: a scanner field, a camera photo or an uploaded picture, or a `?code=` link; one handler."""

from __future__ import annotations

import time

import streamlit as st

from workshop import builds, codes, crates, dates, i18n, qr_photos, scanning
from workshop.accounts import Permission, can
from workshop.errors import DomainError, InvalidInput
from workshop.ui import common, nav, scanner
from workshop.ui.common import t

HISTORY = 10
EXTRA = "scan_extra"  # the confirmation of a crate beyond the design's need

user = common.page_user(Permission.scan)
lang = common.lang()
st.title(t("scan.title"))
common.show_flash()
double_reads: scanning.DoubleReadFilter = st.session_state.setdefault(
    "scan_filter", scanning.DoubleReadFilter()
)
# Builds whose lead confirmed crates beyond the design's need: not asked again.
extra_ok: set[int] = st.session_state.setdefault("scan_extra_ok", set())
# What this run's scans resolved to, shown below without looking them up again.
resolved: dict[str, crates.CrateView | crates.LotView] = {}


def handle(text: str) -> None:
    """Read one scanned text and do what `scanning.route` says: open, attach or show."""
    try:
        code = codes.parse(text)
    except DomainError as err:
        common.show_error(err)
        return
    if double_reads.is_repeat(code, time.monotonic()):
        st.toast(t("scan.double_read", code=codes.format_code(code)))
        return
    try:
        with common.reading() as session:
            action = scanning.route(
                session=session,
                actor=user,
                code=code,
                open_build_id=open_build.id if open_build is not None else None,
            )
    except DomainError as err:
        common.show_error(err)
        return
    if isinstance(action, scanning.OpenBuild):
        st.session_state["builds_selected"] = action.build_id
        st.switch_page(nav.page_path("builds.py"))
    if isinstance(action, scanning.Attach):
        if common.awaiting(EXTRA):  # one question at a time: this scan waits for a rescan
            st.warning(t("scan.confirm_first", code=codes.format_code(code)))
            return
        done = common.act(
            builds.attach_crate,
            confirm_as=EXTRA,
            actor=user,
            build_id=action.build_id,
            text=code,
            confirmed=action.build_id in extra_ok,
        )
        if done is None:
            return
        key = "scan.session_added" if done.added else "scan.session_already"
        st.session_state["scan_session_last"] = (key, codes.format_code(code))
    try:
        with common.reading() as session:
            resolved[code] = crates.resolve(session=session, actor=user, text=code)
    except DomainError as err:
        common.show_error(err)
        return
    st.session_state["scan_current"] = code
    history = st.session_state.setdefault("scan_history", [])
    history.insert(0, (code, dates.now()))
    del history[HISTORY:]


open_build = None
if (open_id := st.session_state.get("open_build")) is not None:
    try:
        with common.reading() as session:
            open_build = builds.get_build(session=session, build_id=open_id)
    except DomainError:
        st.session_state.pop("open_build", None)
    if open_build is not None and open_build.status not in builds.OPEN:
        st.session_state.pop("open_build", None)
        open_build = None

with st.container(border=True):
    st.caption(t("scan.field_help"))
    # Submits on Enter, empties itself and keeps the focus (the next scan needs
    # no click), and loses no scan when they come faster than the page runs.
    typed = scanner.scanner_field("scan_field", t("scan.field"))
    use_camera = st.toggle(t("scan.use_camera"), key="scan_use_camera")
    photo = (
        st.camera_input(t("scan.camera"), resolution="1080p", key="scan_camera")
        if use_camera
        else None
    )
    upload = st.file_uploader(
        t("scan.upload"), type=["jpg", "jpeg", "png", "webp"], key="scan_upload"
    )

if pending := st.session_state.pop("pending_code", None):
    handle(str(pending))
for number, text in typed:
    scanner.handled("scan_field", number)
    handle(text[:2048])
for picture in (photo, upload):
    # A picture stays in its widget across reruns: read each one once.
    if picture is None or st.session_state.get("scan_last_picture") == picture.file_id:
        continue
    st.session_state["scan_last_picture"] = picture.file_id
    try:
        found = qr_photos.decode_image(picture.getvalue())
    except DomainError as err:
        common.show_error(err)
        continue
    if not found:
        common.show_error(InvalidInput("error.scan.no_code"))
    elif len(set(found)) > 1:
        common.show_error(InvalidInput("error.scan.several_codes", n=len(set(found))))
    else:
        handle(found[0])

if open_build is not None:
    with common.reading() as session:
        progress = builds.progress(session=session, build_id=open_build.id or 0)
    count, needed = progress.count, progress.needed
    with st.container(border=True):
        st.subheader(t("scan.session", code=codes.format_code(open_build.code)))
        st.progress(
            min(count / needed, 1.0) if needed else 0.0,
            text=t("builds.crates_count", n=count, needed=needed),
        )
        if count > needed > 0:
            st.warning(t("builds.crates_count", n=count, needed=needed), icon=":material/warning:")
        if last := st.session_state.pop("scan_session_last", None):
            st.success(t(last[0], code=last[1]))
        if (extra := common.awaiting(EXTRA)) is not None:
            args = {"build_id": open_build.id, "text": codes.parse(str(extra["code"]))}
            if common.confirmed(EXTRA, **args):
                extra_ok.add(open_build.id or 0)
                added = common.act(
                    builds.attach_crate, confirm_as=EXTRA, actor=user, confirmed=True, **args
                )
                if added is not None:
                    common.flash("scan.session_added", code=extra["code"])
                    st.rerun()
        undo, close = st.columns(2)
        if undo.button(t("scan.undo"), icon=":material/undo:", disabled=count == 0):
            removed = common.act(builds.undo_last, actor=user, build_id=open_build.id)
            if removed is not None:
                common.flash("scan.undone", code=codes.format_code(removed))
                st.rerun()
        if close.button(t("scan.close_session"), icon=":material/check:"):
            st.session_state.pop("open_build", None)
            st.session_state["builds_selected"] = open_build.id
            st.switch_page(nav.page_path("builds.py"))

current = st.session_state.get("scan_current")
if current is None:
    st.info(t("scan.waiting"))
    st.stop()

item = resolved.get(current)
if item is None:  # scanned in an earlier run: read it again, it may have changed
    try:
        with common.reading() as session:
            item = crates.resolve(session=session, actor=user, text=current)
    except DomainError as err:  # e.g. the lot was deleted since it was scanned
        common.show_error(err)
        st.session_state.pop("scan_current", None)
        st.stop()

if isinstance(item, crates.CrateView):
    st.subheader(t("scan.crate", code=codes.format_code(item.code)))
    st.write(
        t(
            "scan.crate_details",
            kind=common.kind_name(item.kind),
            market=common.plain(item.market),
            date=i18n.fmt_date(item.pickup_date, lang),
            lot=codes.format_code(item.lot_code),
        )
    )
    st.write(
        t(
            "scan.crate_outcome",
            outcome=t(f"outcome.{item.outcome.value}"),
            date=i18n.fmt_date(dates.local(item.outcome_at).date(), lang),
        )
    )
    if can(user, Permission.pickups):
        choices = [o for o in crates.MANUAL_OUTCOMES if o != item.outcome]
        columns = st.columns(len(choices))
        for outcome, column in zip(choices, columns, strict=True):
            if column.button(t(f"scan.set.{outcome.value}"), key=f"set_{outcome.value}"):
                done = common.act(crates.set_outcome, actor=user, code=item.code, outcome=outcome)
                if done is not None:
                    common.flash(
                        "scan.outcome_saved",
                        code=codes.format_code(item.code),
                        outcome=t(f"outcome.{outcome.value}"),
                    )
                    st.rerun()
else:
    lot = item.lot
    st.subheader(t("scan.lot", code=codes.format_code(lot.code)))
    st.write(
        t(
            "scan.lot_details",
            market=common.plain(item.market),
            date=i18n.fmt_date(lot.pickup_date, lang),
            crates=sum(item.sorting.counts.values()),
            tagged=sum(item.sorting.tagged.values()),
            left=sum(max(item.sorting.unsorted(k), 0) for k in item.sorting.counts),
        )
    )
    if can(user, Permission.pickups) and st.button(
        t("scan.open_labels"), icon=":material/qr_code_2:"
    ):
        st.session_state["labels_lot"] = lot.id
        st.switch_page(nav.page_path("labels.py"))

if history := st.session_state.get("scan_history"):
    st.caption(t("scan.history"))
    st.dataframe(
        [
            {
                t("scan.col.code"): codes.format_code(code),
                t("scan.col.time"): f"{dates.local(at):%H:%M:%S}",
            }
            for code, at in history
        ],
        hide_index=True,
    )

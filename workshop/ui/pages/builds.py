"""Furniture builds: start one from a design, follow it to the end, crates, photos, labels."""

from __future__ import annotations

from datetime import date

import streamlit as st

from workshop import builds, codes, dates, i18n, labels
from workshop.accounts import Permission, can
from workshop.models import BuildStatus
from workshop.ui import common, nav, tables
from workshop.ui.common import t
from workshop.ui.numbers import number_field

user = common.page_user(Permission.builds_view)
lang = common.lang()
manage = can(user, Permission.builds)
st.title(t("builds.title"))
common.show_flash()

with common.reading() as session:
    all_designs = builds.list_designs(session=session, active_only=False)
design_names = {d.id or 0: common.design_name(d) for d in all_designs}
status_names = {s: t(f"status.{s.value}") for s in BuildStatus}

if manage:
    with st.expander(t("builds.new"), icon=":material/add:"):
        with st.form("new_build"):
            active_ids = [d.id or 0 for d in all_designs if d.active]
            design_id = st.selectbox(
                t("builds.design"), active_ids, format_func=design_names.__getitem__
            )
            note = st.text_input(t("builds.note"), max_chars=builds.MAX_NOTE)
            if st.form_submit_button(t("builds.create"), type="primary"):
                made = common.act(builds.create_build, actor=user, design_id=design_id, note=note)
                if made is not None:
                    st.session_state["builds_selected"] = made.id
                    common.flash("builds.created", code=codes.format_code(made.code))
                    st.rerun()

left, right = st.columns(2)
wanted_status = left.multiselect(
    t("builds.filter_status"),
    list(BuildStatus),
    format_func=status_names.__getitem__,
    placeholder=t("builds.all_statuses"),
)
wanted_design = right.selectbox(
    t("builds.filter_design"),
    list(design_names),
    index=None,
    format_func=design_names.__getitem__,
    placeholder=t("builds.all_designs"),
)
with common.reading() as session:
    rows = builds.list_builds(
        session=session, actor=user, statuses=wanted_status or None, design_id=wanted_design
    )
if not rows:
    st.info(t("builds.none"))
    st.stop()
tables.table(
    [
        {
            t("builds.col.code"): codes.format_code(r.code),
            t("builds.col.design"): common.design_name(r.design),
            t("builds.col.status"): status_names[r.status],
            t("builds.col.crates"): f"{r.crates} / {r.design.crates_needed}",
            t("builds.col.created"): i18n.fmt_date(r.created_on, lang),
            t("builds.col.destination"): r.destination,
        }
        for r in rows
    ],
    key="builds",
    phone=(t("builds.col.code"), t("builds.col.design"), t("builds.col.status")),
)

labels_by_id = {
    r.id: f"{codes.format_code(r.code)} · {common.design_name(r.design)} · {status_names[r.status]}"
    for r in rows
}
selected = st.session_state.get("builds_selected")
build_id = st.selectbox(
    t("builds.choose"),
    list(labels_by_id),
    index=list(labels_by_id).index(selected) if selected in labels_by_id else 0,
    format_func=labels_by_id.__getitem__,
)
st.session_state["builds_selected"] = build_id

with common.reading() as session:
    build = builds.get_build(session=session, build_id=build_id)
    origins = builds.crate_origins(session=session, build_id=build_id)
    build_photos = builds.list_photos(session=session, build_id=build_id)
design = next(d for d in all_designs if d.id == build.design_id)

st.header(f"{codes.format_code(build.code)} · {common.plain(common.design_name(design))}")
st.write(t("builds.status_line", status=status_names[build.status]))
st.progress(
    min(len(origins) / design.crates_needed, 1.0),
    text=t("builds.crates_count", n=len(origins), needed=design.crates_needed),
)
if build.status in builds.OPEN and st.button(
    t("builds.scan_crates"), type="primary", icon=":material/barcode_reader:"
):
    st.session_state["open_build"] = build.id
    st.switch_page(nav.page_path("scan.py"))
if build.status == BuildStatus.planned:
    st.caption(t("builds.passport_once_started"))  # a planned piece is not public yet
else:
    st.link_button(
        t("builds.open_passport"),
        codes.url_for(build.code),
        icon=":material/public:",
    )

crates_tab, status_tab, photos_tab, label_tab = st.tabs(
    [t("builds.tab.crates"), t("builds.tab.status"), t("builds.tab.photos"), t("builds.tab.label")]
)

with crates_tab:
    if not origins:
        st.info(t("builds.no_crates"))
    else:
        tables.table(
            [
                {
                    t("builds.col.code"): codes.format_code(o.code),
                    t("builds.col.kind"): common.kind_name(o.kind),
                    t("builds.col.market"): o.market,
                    t("builds.col.pickup"): i18n.fmt_date(o.pickup_date, lang),
                    t("builds.col.lot"): codes.format_code(o.lot_code),
                }
                for o in origins
            ],
            key="build_crates",
            phone=(t("builds.col.code"), t("builds.col.market")),
        )

with status_tab:
    if not manage:
        st.info(t("builds.view_only"))
    else:
        following = [s for s in BuildStatus if s in builds.NEXT_STATUS[build.status]]
        with st.form(f"status_{build.id}"):
            status = st.radio(
                t("builds.next_status"), following, format_func=status_names.__getitem__
            )
            on = st.date_input(t("builds.on"), value=dates.today(), format="DD/MM/YYYY")
            destination = st.text_input(t("builds.destination"), value=build.destination)
            price = number_field(t("builds.price"), key=f"price_{build.id}", value=None, decimals=2)
            if st.form_submit_button(t("common.save")):
                changed = common.act(
                    builds.set_status,
                    actor=user,
                    build_id=build.id,
                    status=status,
                    on=on if isinstance(on, date) else None,
                    destination=destination,
                    price_eur=price,
                )
                if changed is not None:
                    if status == BuildStatus.finished and len(origins) < design.crates_needed:
                        common.flash(
                            "builds.finished_short", n=len(origins), needed=design.crates_needed
                        )
                    else:
                        common.flash("builds.status_saved", status=status_names[status])
                    st.rerun()
        with st.expander(t("builds.delete"), icon=":material/delete:"):
            with st.form(f"delete_{build.id}"):
                reason = st.text_input(t("builds.delete_reason"))
                sure = st.checkbox(
                    t("builds.delete_confirm", code=codes.format_code(build.code), n=len(origins))
                )
                if st.form_submit_button(t("builds.delete")):
                    if not sure:
                        st.warning(t("pickups.delete_tick"))
                    elif common.act(
                        builds.delete_build, actor=user, build_id=build.id, reason=reason
                    ):
                        st.session_state.pop("builds_selected", None)
                        common.flash("builds.deleted", code=codes.format_code(build.code))
                        st.rerun()

with photos_tab:
    for photo in build_photos:
        data = builds.photo_bytes(photo)
        if data is not None:
            st.image(data, width=360)
    if manage:
        use_camera = st.toggle(t("builds.use_camera"), key=f"photo_camera_{build.id}")
        shot = (
            st.camera_input(t("builds.take_photo"), key=f"photo_shot_{build.id}")
            if use_camera
            else None
        )
        upload = st.file_uploader(
            t("builds.upload_photo"),
            type=["jpg", "jpeg", "png", "webp"],
            key=f"photo_up_{build.id}",
        )
        for picture in (shot, upload):
            seen = st.session_state.setdefault("builds_photos_seen", set())
            if picture is None or picture.file_id in seen:
                continue
            seen.add(picture.file_id)
            if common.act(builds.add_photo, actor=user, build_id=build.id, data=picture.getvalue()):
                common.flash("builds.photo_saved")
                st.rerun()

if can(user, Permission.hours):
    with common.reading() as session:
        entries = builds.hours_of_build(session=session, actor=user, build_id=build_id)
    if entries:
        with st.expander(
            t("builds.hours", hours=i18n.fmt_number(sum(e.minutes for e in entries) / 60, lang, 2))
        ):
            tables.table(
                [
                    {
                        t("builds.col.date"): i18n.fmt_date(e.work_date, lang),
                        t("builds.col.trainee"): e.trainee,
                        t("builds.col.activity"): t(f"activity.{e.activity}"),
                        t("builds.col.hours"): i18n.fmt_number(e.minutes / 60, lang, 2),
                        t("builds.col.hour_status"): t(f"hour_status.{e.status.value}"),
                    }
                    for e in entries
                ],
                key="build_hours",
                phone=(t("builds.col.trainee"), t("builds.col.hours")),
            )

with label_tab:
    label = labels.Label(code=build.code, context=common.design_name(design))
    st.image(labels.render_thermal(label), width=360)
    st.download_button(
        t("labels.download_png"),
        data=labels.render_thermal(label),
        file_name=f"{codes.format_code(build.code)}.png",
        mime="image/png",
    )
    st.download_button(
        t("builds.download_sheet"),
        data=lambda: labels.render_sheet([label]),
        file_name=f"{codes.format_code(build.code)}.pdf",
        mime="application/pdf",
    )

"""Designs: the furniture the workshop makes, with crates needed and typical hours."""

import streamlit as st

from workshop import builds, i18n
from workshop.accounts import Permission
from workshop.ui import common, tables
from workshop.ui.common import t
from workshop.ui.numbers import number_field

user = common.page_user(Permission.builds)
lang = common.lang()
st.title(t("designs.title"))
common.show_flash()

with common.reading() as session:
    all_designs = builds.list_designs(session=session, active_only=False)

tables.table(
    [
        {
            t("designs.name"): common.design_name(d),
            t("designs.crates_needed"): d.crates_needed,
            t("designs.typical_hours"): i18n.fmt_number(d.typical_hours, lang, 1),
            t("designs.active"): t("common.yes") if d.active else t("common.no"),
        }
        for d in all_designs
    ],
    key="designs",
    phone=(t("designs.name"), t("designs.crates_needed")),
)

names = {0: t("designs.new")} | {d.id or 0: common.design_name(d) for d in all_designs}
chosen = st.selectbox(t("designs.edit"), list(names), format_func=names.__getitem__)
current = next((d for d in all_designs if d.id == chosen), None)
with st.form(f"design_{chosen}"):
    name = st.text_input(t("designs.name_fr"), value=current.name if current else "")
    name_en = st.text_input(t("designs.name_en"), value=current.name_en if current else "")
    description = st.text_area(
        t("designs.description"), value=current.description if current else "", max_chars=1000
    )
    left, right = st.columns(2)
    crates_needed = number_field(
        t("designs.crates_needed"),
        key=f"design_{chosen}_crates",
        value=current.crates_needed if current else 3,
        whole=True,
        empty=0,
        where=left,
    )
    typical_hours = number_field(
        t("designs.typical_hours"),
        key=f"design_{chosen}_hours",
        value=current.typical_hours if current else 4.0,
        decimals=2,
        empty=0.0,
        where=right,
    )
    active = st.checkbox(t("designs.active"), value=current.active if current else True)
    if st.form_submit_button(t("common.save"), type="primary"):
        fields = builds.DesignFields(
            name=name,
            name_en=name_en,
            crates_needed=int(crates_needed),
            typical_hours=float(typical_hours),
            description=description,
            active=active,
        )
        saved = common.act(
            builds.save_design,
            actor=user,
            fields=fields,
            design_id=current.id if current else None,
        )
        if saved is not None:
            common.flash("designs.saved", name=saved.name)
            st.rerun()

if current is not None:
    if data := builds.stored_photo(current.photo):
        st.image(data, width=320)
    picture = st.file_uploader(
        t("designs.photo"), type=["jpg", "jpeg", "png", "webp"], key=f"design_photo_{current.id}"
    )
    seen = st.session_state.setdefault("designs_photos_seen", set())
    if picture is not None and picture.file_id not in seen:
        seen.add(picture.file_id)
        done = common.act(
            builds.set_design_photo, actor=user, design_id=current.id, data=picture.getvalue()
        )
        if done is not None:
            common.flash("builds.photo_saved")
            st.rerun()

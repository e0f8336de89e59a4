"""Labels: sort a pickup (tag crates, send the rest to an outcome) and print QR label sheets."""

from __future__ import annotations

import streamlit as st

from workshop import codes, config, crates, i18n, labels, pickups
from workshop.accounts import Permission
from workshop.errors import DomainError
from workshop.ui import common
from workshop.ui.common import t
from workshop.ui.numbers import number_field

PROGRESS_FROM = 100  # labels; below this the PDF is ready in well under a second

user = common.page_user(Permission.pickups)
lang = common.lang()
st.title(t("labels.title"))
common.show_flash()
if codes.labels_point_elsewhere(common.reached_host()):  # before anything is printed
    st.warning(
        t("labels.base_url_local", base=config.base_url(), reached=common.reached_host()),
        icon=":material/warning:",
    )

with common.reading() as session:
    rows = pickups.recent_pickups(session=session, actor=user)
    kinds = {k.id or 0: k for k in pickups.crate_kinds(session=session, active_only=False)}
if not rows:
    st.info(t("pickups.none"))
    st.stop()

choices = {
    r.lot_id: f"{codes.format_code(r.code)} · {i18n.fmt_date(r.pickup_date, lang)} · {r.market}"
    f" · {i18n.fmt_number(r.crates, lang)}"
    for r in rows
}
wanted = st.session_state.pop("labels_lot", None)
lot_id = st.selectbox(
    t("labels.lot"),
    list(choices),
    index=list(choices).index(wanted) if wanted in choices else 0,
    format_func=choices.__getitem__,
)

with common.reading() as session:
    state = pickups.lot_sorting(session=session, lot_id=lot_id)

st.subheader(t("labels.sort"))
st.dataframe(
    [
        {
            t("labels.col.kind"): common.kind_name(kinds[kind_id]),
            t("labels.col.count"): count,
            t("labels.col.tagged"): state.tagged.get(kind_id, 0),
            t("labels.col.rest"): (
                f"{state.remainder[kind_id][1]} · {t('outcome.' + state.remainder[kind_id][0])}"
                if kind_id in state.remainder
                else ""
            ),
            t("labels.col.left"): state.unsorted(kind_id),
        }
        for kind_id, count in state.counts.items()
    ],
    hide_index=True,
)
if state.done:
    st.success(t("labels.sorted"), icon=":material/done_all:")
else:
    # A new number after each sorting: the fields start again at 0 (they kept the count).
    sort_no = st.session_state.setdefault("labels_sort_no", 0)
    with st.form(f"sort_{lot_id}_{sort_no}"):
        left = {k: state.unsorted(k) for k in state.counts if state.unsorted(k) > 0}
        tag = {
            kind_id: number_field(
                t("labels.to_tag", kind=common.kind_name(kinds[kind_id]), left=n),
                key=f"tag_{lot_id}_{kind_id}_{sort_no}",
                value=0,
                whole=True,
                empty=0,
            )
            for kind_id, n in left.items()
        }
        rest_names = {None: t("labels.rest_later")} | {
            o: t(f"outcome.{o.value}") for o in crates.REMAINDER_OUTCOMES
        }
        remainder = st.radio(
            t("labels.rest"), list(rest_names), format_func=rest_names.__getitem__, horizontal=True
        )
        if st.form_submit_button(t("labels.sort_submit"), type="primary"):
            made = common.act(
                crates.sort_lot,
                actor=user,
                lot_id=lot_id,
                tag={k: int(v) for k, v in tag.items()},
                remainder=remainder,
            )
            if made is not None:
                common.flash("labels.sorted_now", n=len(made))
                st.session_state["labels_sort_no"] = sort_no + 1
                st.rerun()

st.subheader(t("labels.print"))
with_lot = st.checkbox(t("labels.with_lot"))
with common.reading() as session:
    label_rows = crates.label_rows(session=session, actor=user, lot_id=lot_id, with_lot=with_lot)
if not label_rows:
    st.info(t("labels.no_crates"))
    st.stop()


def _context(row: crates.LabelRow) -> str:
    what = common.kind_name(row.kind) if row.kind else t("labels.lot_label")
    return f"{what} · {row.market} · {i18n.fmt_date(row.pickup_date, lang)}"


items = [labels.Label(code=r.code, context=_context(r)) for r in label_rows]
templates = labels.templates()
sheet_ids = [tid for tid in templates if tid != labels.THERMAL_TEMPLATE]
left_col, right_col = st.columns(2)
template = left_col.selectbox(
    t("labels.template"),
    sheet_ids,
    format_func={tid: templates[tid].description for tid in sheet_ids}.__getitem__,
)
per_page = templates[template].per_page
skip = number_field(
    t("labels.skip", per_page=per_page),
    key=f"labels_skip_{template}",
    value=0,
    whole=True,
    empty=0,
    where=right_col,
    help=t("labels.skip_help", max=per_page - 1),
)
st.caption(t("labels.print_hint", n=len(items)))

try:
    preview = labels.render_preview(items, template, int(skip))
except DomainError as err:
    common.show_error(err)
    st.stop()
# Half the page on a laptop, the whole width on a phone (columns stack there).
preview_col, _ = st.columns(2)
preview_col.image(preview, caption=t("labels.preview"), width="stretch")

file_name = f"etiquettes-{codes.format_code(label_rows[-1].code)}.pdf"
if len(items) <= PROGRESS_FROM:
    # Ready in well under a second: one tap makes and downloads it.
    st.download_button(
        t("labels.download_pdf"),
        data=lambda: labels.render_sheet(items, template, int(skip)),
        file_name=file_name,
        mime="application/pdf",
        type="primary",
        icon=":material/download:",
        on_click="ignore",
    )
else:
    key = (lot_id, with_lot, template, int(skip), len(items))
    if st.button(t("labels.make_pdf"), icon=":material/picture_as_pdf:"):
        bar = st.progress(0.0, text=t("labels.making"))

        def _progress(done: int, total: int) -> None:
            bar.progress(done / total, text=t("labels.making"))

        try:
            st.session_state["labels_pdf"] = (
                key,
                labels.render_sheet(items, template, int(skip), progress=_progress),
            )
        except DomainError as err:
            common.show_error(err)
    kept = st.session_state.get("labels_pdf")
    if kept and kept[0] == key:
        st.download_button(
            t("labels.download_pdf"),
            data=kept[1],
            file_name=file_name,
            mime="application/pdf",
            type="primary",
            icon=":material/download:",
        )

with st.expander(t("labels.thermal")):
    one = st.selectbox(
        t("labels.thermal_code"),
        list(range(len(items))),
        format_func=[codes.format_code(item.code) for item in items].__getitem__,
    )
    st.download_button(
        t("labels.download_png"),
        data=labels.render_thermal(items[one]),
        file_name=f"{codes.format_code(items[one].code)}.png",
        mime="image/png",
    )

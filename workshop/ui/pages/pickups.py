"""Pickups: log the crates collected at a market, list recent ones, correct or delete one."""

from __future__ import annotations

from datetime import date

import streamlit as st

from workshop import codes, dates, i18n, pickups
from workshop.accounts import Permission
from workshop.models import CrateKind, Lot, Market
from workshop.ui import common, tables
from workshop.ui.common import t
from workshop.ui.numbers import number_field


def _market(prefix: str, markets: list[Market], today: date, lot: Lot | None) -> int:
    """The market picker, markets held today first and marked so."""
    held_today = {m.id for m in markets if today.weekday() in pickups.market_days(m)}
    ids = [m.id or 0 for m in markets]
    # Labels are made now: format_func may be called outside the page's run.
    labels = {
        m.id or 0: m.name + (f" · {t('pickups.today')}" if m.id in held_today else "")
        for m in markets
    }
    return int(
        st.selectbox(
            t("pickups.market"),
            ids,
            index=ids.index(lot.market_id) if lot and lot.market_id in ids else 0,
            format_func=labels.__getitem__,
            key=f"{prefix}_market",
        )
    )


def _counts(
    prefix: str, kinds: list[CrateKind], counts: dict[int, int], steppers: bool
) -> dict[int, int]:
    """One whole-number field per crate kind, side by side (with − / + outside a form)."""
    st.write(t("pickups.counts"))
    columns = st.columns(len(kinds))
    return {
        kind.id or 0: number_field(
            common.kind_name(kind),
            key=f"{prefix}_count_{kind.id}",
            value=counts.get(kind.id or 0, 0),
            whole=True,
            empty=0,
            steppers=steppers,
            where=column,
        )
        for kind, column in zip(kinds, columns, strict=True)
    }


def _sample(
    prefix: str, kinds: list[CrateKind], lot: Lot | None, steppers: bool
) -> pickups.Sample | None:
    """The optional weighed sample: which kind, how many crates, their kilos."""
    kind_ids = [k.id or 0 for k in kinds]
    kind_names = {k.id or 0: common.kind_name(k) for k in kinds}
    weighed_before = bool(lot and lot.sample_count)
    with st.expander(t("pickups.sample"), expanded=weighed_before):
        weighed = st.checkbox(
            t("pickups.sample_weighed"), value=weighed_before, key=f"{prefix}_weighed"
        )
        kind_id = st.selectbox(
            t("pickups.sample_kind"),
            kind_ids,
            index=kind_ids.index(lot.sample_kind_id)
            if lot and lot.sample_kind_id in kind_ids
            else 0,
            format_func=kind_names.__getitem__,
            key=f"{prefix}_sample_kind",
        )
        left, right = st.columns(2)
        count = number_field(
            t("pickups.sample_count"),
            key=f"{prefix}_sample_count",
            value=(lot.sample_count or 5) if lot else 5,
            whole=True,
            empty=0,
            steppers=steppers,
            where=left,
        )
        kg = number_field(
            t("pickups.sample_kg"),
            key=f"{prefix}_sample_kg",
            value=lot.sample_kg if lot and lot.sample_kg else None,
            decimals=3,
            empty=0.0,
            where=right,
        )
    return pickups.Sample(kind_id=kind_id, count=int(count), kg=float(kg)) if weighed else None


def pickup_fields(
    prefix: str,
    markets: list[Market],
    kinds: list[CrateKind],
    today: date,
    lot: Lot | None = None,
    counts: dict[int, int] | None = None,
    steppers: bool = False,
) -> pickups.PickupFields:
    """The pickup form's widgets (a new pickup, or `lot` to correct); values as typed;
    `steppers` (outside a form only) puts − / + beside the counts."""
    market_id = _market(prefix, markets, today, lot)
    pickup_date = st.date_input(
        t("pickups.date"),
        value=lot.pickup_date if lot else today,
        format="DD/MM/YYYY",
        key=f"{prefix}_date",
    )
    typed = _counts(prefix, kinds, counts or {}, steppers)
    sample = _sample(prefix, kinds, lot, steppers)
    note = st.text_input(
        t("pickups.note"),
        value=lot.note if lot else "",
        max_chars=pickups.MAX_NOTE_LENGTH,
        key=f"{prefix}_note",
    )
    return pickups.PickupFields(
        market_id=market_id,
        pickup_date=pickup_date if isinstance(pickup_date, date) else today,
        counts=typed,
        sample=sample,
        note=note,
    )


user = common.page_user(Permission.pickups)
lang = common.lang()
today = dates.today()
st.title(t("pickups.title"))

with common.reading() as session:
    markets = pickups.markets_for_pickup(session=session, on=today)
    kinds = pickups.crate_kinds(session=session)

common.show_flash()

# A new key prefix after each saved pickup empties the form; on an error the
# same keys keep everything that was typed. Not an st.form: the counts' − / + steppers
# are buttons, which a form cannot hold.
form_no = st.session_state.setdefault("pickups_form_no", 0)
with st.container(border=True):
    fields = pickup_fields(f"new{form_no}", markets, kinds, today, steppers=True)
    submitted = st.button(
        t("pickups.submit"), type="primary", icon=":material/add:", key=f"new{form_no}_submit"
    )
    sure = common.confirmed("pickup_new", actor=user, fields=fields)
if submitted or sure:
    lot = common.act(
        pickups.log_pickup, confirm_as="pickup_new", actor=user, fields=fields, confirmed=sure
    )
    if lot is not None:
        common.flash(
            "pickups.saved",
            code=codes.format_code(lot.code),
            crates=sum(fields.counts.values()),
        )
        st.session_state["pickups_form_no"] = form_no + 1
        st.rerun()

st.header(t("pickups.recent"))
with common.reading() as session:
    rows = pickups.recent_pickups(session=session, actor=user)
if not rows:
    st.info(t("pickups.none"))
    st.stop()

tables.table(
    [
        {
            t("pickups.col.code"): codes.format_code(r.code),
            t("pickups.col.date"): i18n.fmt_date(r.pickup_date, lang),
            t("pickups.col.market"): r.market,
            t("pickups.col.crates"): i18n.fmt_number(r.crates, lang),
            t("pickups.col.weighed"): t("common.yes") if r.weighed else t("common.no"),
            t("pickups.col.note"): r.note,
        }
        for r in rows
    ],
    key="pickups",
    phone=(t("pickups.col.date"), t("pickups.col.market"), t("pickups.col.crates")),
)

st.subheader(t("pickups.correct"))
choices = {
    r.lot_id: f"{codes.format_code(r.code)} · {i18n.fmt_date(r.pickup_date, lang)}"
    f" · {r.market} · {r.crates}"
    for r in rows
}
chosen = st.selectbox(
    t("pickups.choose"),
    list(choices),
    index=None,
    format_func=choices.__getitem__,
    placeholder=t("pickups.choose_placeholder"),
)
if chosen is None:
    st.stop()

with common.reading() as session:
    lot = pickups.get_lot(session=session, lot_id=chosen)
    counts = pickups.lot_counts(session=session, lot_id=chosen)
    edit_markets = pickups.markets_for_pickup(session=session, on=today, lot=lot)

edit_tab, delete_tab = st.tabs([t("pickups.edit"), t("pickups.delete")])
with edit_tab:
    with st.form(f"pickup_edit_{chosen}"):
        fields = pickup_fields(f"edit{chosen}", edit_markets, kinds, today, lot=lot, counts=counts)
        reason = st.text_input(t("pickups.reason"), key=f"edit_reason_{chosen}")
        saving = st.form_submit_button(t("pickups.save_changes"), icon=":material/save:")
    edit = {"actor": user, "lot_id": chosen, "reason": reason, "fields": fields}
    sure = common.confirmed(f"pickup_edit_{chosen}", **edit)  # outside: a form holds no button
    if saving or sure:
        done = common.act(
            pickups.update_pickup, confirm_as=f"pickup_edit_{chosen}", confirmed=sure, **edit
        )
        if done is not None:
            common.flash("pickups.updated", code=codes.format_code(lot.code))
            st.rerun()
with delete_tab, st.form(f"pickup_delete_{chosen}"):
    reason = st.text_input(t("pickups.reason"), key=f"delete_reason_{chosen}")
    sure = st.checkbox(t("pickups.delete_confirm", code=codes.format_code(lot.code)))
    if st.form_submit_button(t("pickups.delete"), icon=":material/delete:"):
        if not sure:
            st.warning(t("pickups.delete_tick"))
        elif common.act(pickups.delete_pickup, actor=user, lot_id=chosen, reason=reason):
            common.flash("pickups.deleted", code=codes.format_code(lot.code))
            st.rerun()

"""Audit log (admin): who changed what and when, filtered; the values before and after as text."""

from datetime import timedelta

import streamlit as st

from workshop import audit_log, codes, dates, i18n
from workshop.accounts import Permission
from workshop.errors import DomainError
from workshop.ui import common
from workshop.ui.common import t

user = common.page_user(Permission.audit_log)
lang = common.lang()
st.title(t("audit_log.title"))
st.caption(t("audit_log.intro"))

with common.reading() as session:
    options = audit_log.choices(session=session, actor=user)


def did(action: str) -> str:
    """`a corrigé`: an action in words (as recorded when the app does not know it)."""
    return t(f"audit_log.did.{action}") if action in audit_log.ACTIONS else action


def what(entity: str) -> str:
    """`la collecte`: an entity in words."""
    return t(f"audit_log.what.{entity}") if entity in audit_log.ENTITIES else entity


def sentence(row: audit_log.EventRow) -> str:
    """`Léa (lea) a corrigé la collecte L-…-… : count 27 → 29`."""
    code = row.entity_id
    shown = codes.format_code(code) if codes.kind_or_none(code) else code
    text = t(
        "audit_log.sentence",
        who=row.user or t("audit_log.system_short"),
        did=did(row.action),
        what=what(row.entity),
        id=shown,
    )
    found = audit_log.changes(row)
    if found:
        listed = "; ".join(
            t("audit_log.change", field=name, before=old, after=new)
            for name, old, new in found[: audit_log.MAX_CHANGES]
        )
        more = len(found) - audit_log.MAX_CHANGES
        text += t("audit_log.changes", changes=listed) + (
            t("audit_log.more", n=more) if more > 0 else ""
        )
    return text


users = {None: t("audit_log.anyone"), audit_log.SYSTEM: t("audit_log.system")}
users.update(dict(options.users))
left, middle, right = st.columns(3)
who = left.selectbox(
    t("audit_log.user"), list(users), format_func=users.__getitem__, key="audit_user"
)
entity = middle.selectbox(
    t("audit_log.entity"),
    [None, *options.entities],
    format_func=lambda e: t("audit_log.all") if e is None else what(e),
    key="audit_entity",
)
action = right.selectbox(
    t("audit_log.action"),
    [None, *options.actions],
    format_func=lambda a: t("audit_log.all") if a is None else did(a),
    key="audit_action",
)
left, right = st.columns(2)
today = dates.today()
period = left.date_input(
    t("audit_log.period"),
    value=(today - timedelta(days=30), today),
    format="DD/MM/YYYY",
    key="audit_period",
)
entity_id = right.text_input(t("audit_log.entity_id"), max_chars=60, key="audit_entity_id")

# A range being picked has one date only until the second click.
picked = list(period) if isinstance(period, tuple | list) else [period]
since = picked[0] if picked else None
until = picked[1] if len(picked) > 1 else since
try:
    with common.reading() as session:
        rows, total = audit_log.search(
            session=session,
            actor=user,
            where=audit_log.EventFilter(
                user_id=who,
                entity=entity,
                action=action,
                since=since,
                until=until,
                entity_id=entity_id,
            ),
        )
except DomainError as err:
    common.show_error(err)
    st.stop()

if not rows:
    st.info(t("audit_log.none"))
    st.stop()
shown = i18n.fmt_number(len(rows), lang)
st.caption(
    t("audit_log.count", n=i18n.fmt_number(total, lang))
    if total == len(rows)
    else t("audit_log.count_limited", n=shown, total=i18n.fmt_number(total, lang))
)
st.dataframe(
    [
        {
            t("audit_log.col.id"): r.id,
            t("audit_log.col.at"): i18n.fmt_datetime(dates.local(r.at), lang),
            t("audit_log.col.what"): sentence(r),
            t("audit_log.col.reason"): r.reason,
        }
        for r in rows
    ],
    hide_index=True,
    width="stretch",
)

by_id = {r.id: r for r in rows}
chosen = st.selectbox(
    t("audit_log.details"),
    list(by_id),
    format_func=lambda i: f"#{i} · {sentence(by_id[i])}",
    key="audit_chosen",
)
if chosen in by_id:
    event = by_id[chosen]
    before, after = st.columns(2)
    with before:
        st.caption(t("audit_log.before"))
        # st.code shows the JSON as typed: never markdown, never HTML.
        st.code(event.before or "—", language="json", wrap_lines=True)
    with after:
        st.caption(t("audit_log.after"))
        st.code(event.after or "—", language="json", wrap_lines=True)
    if event.reason:
        st.caption(t("audit_log.reason"))
        st.code(event.reason, language=None, wrap_lines=True)

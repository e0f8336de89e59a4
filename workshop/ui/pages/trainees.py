"""Trainees (lead): list, add, change contract/consents/PIN, print badge cards."""

from __future__ import annotations

import streamlit as st

from workshop import codes, dates, hours, i18n, labels
from workshop.accounts import Permission
from workshop.models import Programme, Trainee
from workshop.ui import common, tables
from workshop.ui.common import t

user = common.page_user(Permission.hours)
lang = common.lang()
st.title(t("trainees.title"))
common.show_flash()
today = dates.today()

with common.reading() as session:
    trainees = hours.list_trainees(session=session, actor=user)
    programmes = hours.programmes(session=session, active_only=False)
    accounts = {u.id or 0: u for u in hours.trainee_accounts(session=session, actor=user)}
by_programme = {p.id or 0: p for p in programmes}
active_programmes = [p.id or 0 for p in programmes if p.active]


def programme_name(programme_id: int) -> str:
    """A programme's name in the session's language."""
    programme: Programme | None = by_programme.get(programme_id)
    if programme is None:
        return "?"
    return programme.name_en if lang == "en" and programme.name_en else programme.name


def status(trainee: Trainee) -> str:
    """Current, not started, ended or anonymised."""
    if trainee.anonymised_at is not None:
        return t("trainees.anonymised")
    if hours.is_current(trainee, today):
        return t("trainees.current")
    return t("trainees.not_started") if today < trainee.start_date else t("trainees.ended")


def yes_no(value: bool) -> str:
    """Oui / non."""
    return t("common.yes") if value else t("common.no")


def contract_fields(current: Trainee | None = None) -> hours.TraineeFields:
    """Programme, contract dates, consents and sign-in account: a new trainee's, or `current`'s."""
    ids = list(by_programme) if current else active_programmes
    programme_id = st.selectbox(
        t("trainees.programme"),
        ids,
        index=ids.index(current.programme_id) if current and current.programme_id in ids else 0,
        format_func=programme_name,
    )
    if current is not None:
        # Hours keep the programme they were worked under (HourEntry.programme_id).
        st.caption(t("trainees.programme_change_help"))
    c1, c2 = st.columns(2)
    start = c1.date_input(
        t("trainees.start"), value=current.start_date if current else today, format="DD/MM/YYYY"
    )
    end = c2.date_input(
        t("trainees.end_optional"), value=current.end_date if current else None, format="DD/MM/YYYY"
    )
    consent_name = st.checkbox(
        t("trainees.consent_name_long"), value=bool(current and current.consent_name)
    )
    consent_photo = st.checkbox(
        t("trainees.consent_photo_long"), value=bool(current and current.consent_photo)
    )
    account_ids = list(accounts)
    account = st.selectbox(
        t("trainees.account_optional"),
        account_ids,
        index=account_ids.index(current.user_id)
        if current and current.user_id in account_ids
        else None,
        format_func=lambda uid: f"{accounts[uid].display_name} ({accounts[uid].username})",
        placeholder=t("common.choose"),
    )
    return hours.TraineeFields(
        programme_id=programme_id,
        start_date=start,
        end_date=end,
        consent_name=consent_name,
        consent_photo=consent_photo,
        user_id=account,
    )


if trainees:
    tables.table(
        [
            {
                t("trainees.name"): tr.display_name,
                t("trainees.programme"): programme_name(tr.programme_id),
                t("trainees.start"): i18n.fmt_date(tr.start_date, lang),
                t("trainees.end"): i18n.fmt_date(tr.end_date, lang) if tr.end_date else "",
                t("trainees.badge"): codes.format_code(tr.badge_code),
                t("trainees.has_pin"): yes_no(bool(tr.pin_hash)),
                t("trainees.consent_name"): yes_no(tr.consent_name),
                t("trainees.consent_photo"): yes_no(tr.consent_photo),
                t("trainees.account"): accounts[tr.user_id].username
                if tr.user_id in accounts
                else "",
                t("trainees.status"): status(tr),
            }
            for tr in trainees
        ],
        key="trainees",
        phone=(t("trainees.name"), t("trainees.status")),
    )
else:
    st.info(t("trainees.none"))

add_tab, edit_tab, badge_tab = st.tabs(
    [t("trainees.add"), t("trainees.edit"), t("trainees.badges")]
)

with add_tab, st.form("trainee_add"):
    c1, c2 = st.columns([3, 1])
    first_name = c1.text_input(t("trainees.first_name"), max_chars=hours.MAX_FIRST_NAME)
    initial = c2.text_input(t("trainees.initial"), max_chars=2)
    pin = st.text_input(
        t("trainees.pin_optional"), type="password", max_chars=4, autocomplete="off"
    )
    fields = contract_fields()
    if st.form_submit_button(t("trainees.add"), type="primary"):
        created = common.act(
            hours.create_trainee,
            actor=user,
            first_name=first_name,
            last_initial=initial,
            fields=fields,
            pin=pin,
        )
        if created is not None:
            common.flash(
                "trainees.added",
                name=created.display_name,
                badge=codes.format_code(created.badge_code),
            )
            st.rerun()

editable = {tr.id or 0: tr for tr in trainees if tr.anonymised_at is None}

with edit_tab:
    if not editable:
        st.write(t("trainees.none"))
    else:
        who = st.selectbox(
            t("trainees.who"),
            list(editable),
            format_func=lambda tid: editable[tid].display_name,
            key="trainee_edit_who",
        )
        tr = editable[who]
        with st.form(f"trainee_edit_{who}"):
            fields = contract_fields(tr)
            new_pin = st.text_input(
                t("trainees.new_pin"), type="password", max_chars=4, autocomplete="off"
            )
            remove_pin = st.checkbox(t("trainees.remove_pin"))
            new_badge = st.checkbox(t("trainees.new_badge"))
            if st.form_submit_button(t("common.save"), type="primary"):
                saved = common.act(
                    hours.update_trainee,
                    actor=user,
                    trainee_id=who,
                    fields=fields,
                    pin="" if remove_pin else (new_pin or None),
                    new_badge=new_badge,
                )
                if saved is not None:
                    if saved.programme_id != tr.programme_id:
                        common.flash(
                            "trainees.moved",
                            name=saved.display_name,
                            old=programme_name(tr.programme_id),
                            new=programme_name(saved.programme_id),
                        )
                    else:
                        common.flash("trainees.saved", name=saved.display_name)
                    st.rerun()

with badge_tab:
    current = [tr for tr in trainees if hours.is_current(tr, today)]
    if not current:
        st.write(t("trainees.no_current"))
    else:
        st.caption(t("trainees.badges_help"))

        def badge_of(trainee: Trainee) -> labels.Badge:
            return labels.Badge(
                trainee.badge_code, trainee.display_name, programme_name(trainee.programme_id)
            )

        one = st.selectbox(
            t("trainees.who"),
            [tr.id or 0 for tr in current],
            format_func=lambda tid: editable[tid].display_name,
            key="trainee_badge_who",
        )
        chosen = badge_of(editable[one])
        png = labels.render_badge_png(chosen)
        st.image(png, width=340)
        c1, c2, c3 = st.columns(3)
        c1.download_button(
            t("trainees.badge_png"),
            png,
            file_name=f"badge-{chosen.code}.png",
            mime="image/png",
            icon=":material/download:",
        )
        c2.download_button(
            t("trainees.badge_pdf"),
            labels.render_badges_pdf([chosen], sheet=False),
            file_name=f"badge-{chosen.code}.pdf",
            mime="application/pdf",
            icon=":material/download:",
        )
        c3.download_button(
            t("trainees.badge_sheet", n=len(current)),
            labels.render_badges_pdf([badge_of(tr) for tr in current], sheet=True),
            file_name="badges-a4.pdf",
            mime="application/pdf",
            icon=":material/download:",
        )

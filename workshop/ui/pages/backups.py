"""Backups (admin): make one now, download a recent one; restoring is a command-line step."""

import streamlit as st

from workshop import backup, dates, i18n
from workshop.accounts import Permission
from workshop.ui import common
from workshop.ui.common import t

user = common.page_user(Permission.backup)
lang = common.lang()
st.title(t("backups.title"))
common.show_flash()

is_sqlite = backup.sqlite_path(common.engine()) is not None
st.caption(t("backups.intro_sqlite" if is_sqlite else "backups.intro_postgres"))
as_json = st.checkbox(t("backups.as_json"), help=t("backups.as_json_help")) if is_sqlite else True
if st.button(t("backups.make"), type="primary", icon=":material/backup:"):
    made = common.act(backup.create_backup, actor=user, as_json=as_json)
    if made is not None:
        common.flash(
            "backups.made",
            name=made.name,
            size=i18n.fmt_number(made.size / 1024, lang),
        )
        st.rerun()

st.header(t("backups.recent"))
st.caption(t("backups.recent_help"))
files = backup.recent_backups()
if not files:
    st.info(t("backups.none"))
else:
    st.dataframe(
        [
            {
                t("backups.col.name"): f.name,
                t("backups.col.made_at"): i18n.fmt_datetime(dates.local(f.made_at), lang),
                t("backups.col.size"): f"{i18n.fmt_number(f.size / 1024, lang)} kB",
            }
            for f in files
        ],
        hide_index=True,
        width="stretch",
    )
    names = [f.name for f in files]
    chosen = st.selectbox(t("backups.choose"), names, index=0)
    if chosen in names:
        st.download_button(
            t("backups.download"),
            # Read only when clicked: a backup can be big.
            data=lambda: backup.backup_bytes(actor=user, name=chosen),
            file_name=chosen,
            mime="application/json" if chosen.endswith(".json") else "application/x-sqlite3",
            icon=":material/download:",
        )

st.header(t("backups.restore"))
st.markdown(t("backups.restore_help"))

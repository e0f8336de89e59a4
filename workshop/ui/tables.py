"""Tables that fit a phone: the columns that matter there, the rest of a tapped row below."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import streamlit as st

from workshop.ui.common import plain, t


def table(rows: list[dict[str, Any]], *, key: str, phone: Sequence[str], **options: Any) -> None:
    """`rows` as a table: every column on a wide screen; on a phone the `phone` columns,
    and the other values of the row a person taps shown beneath it (which of the two
    shows is the page's CSS, common.page_style: the server does not know the width)."""
    with st.container(key=f"table-wide-{key}"):
        st.dataframe(rows, hide_index=True, width="stretch", **options)
    with st.container(key=f"table-phone-{key}"):
        picked = st.dataframe(
            rows,
            hide_index=True,
            width="stretch",
            column_order=list(phone),
            on_select="rerun",
            selection_mode="single-row",
            key=f"table-phone-{key}-rows",
            **options,
        )
        chosen = picked.selection.rows if picked else []
        if not chosen or chosen[0] >= len(rows):
            st.caption(t("common.table_tap_row"))
            return
        with st.container(border=True):
            for label, value in rows[chosen[0]].items():
                if value not in ("", None):
                    st.markdown(
                        t("common.table_detail", label=plain(label), value=plain(str(value)))
                    )

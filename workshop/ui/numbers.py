"""The one field for every number a person types: a text box in the chosen language.

`st.number_input` read `6,5` typed in a French-locale Chromium as 65 (the comma was
dropped) and the 65 kg reached a market's receipt. This field shows the value the
French way (`1,20`), reads what was typed with the domain's rule
(`typed_input.number`: `6,5`, `6.5`, `1 234,5`), and refuses the rest (`6,5,5`,
`abc`) with a message under the field. A refused field is remembered for the run,
and `common.act` then writes nothing (so no page can save a number it could not read).
Counts outside a form get big − / + buttons (the steppers `st.number_input` had).
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from workshop import i18n, typed_input
from workshop.errors import InvalidInput
from workshop.ui import common

# Steppers big enough for a thumb at a market stall (WCAG's 44 px, with room).
_CSS = """<style>
[class*="__steppers"] button { min-height: 3rem; min-width: 3rem; font-size: 1.4rem; }
</style>"""


def shown(value: float | int | None, decimals: int | None = None) -> str:
    """`value` as the field shows it in the session's language (empty for None)."""
    if value is None:
        return ""
    return i18n.fmt_field(value, common.lang(), decimals)


def _step(key: str, delta: int, default: int) -> None:
    try:
        now = typed_input.number(str(st.session_state.get(key, "")), whole=True)
    except InvalidInput:
        now = default
    st.session_state[key] = shown(max(0, int(now or 0) + delta), 0)


def number_field(
    label: str,
    *,
    key: str,
    value: float | int | None,
    whole: bool = False,
    decimals: int | None = None,
    empty: float | int | None = None,
    steppers: bool = False,
    where: Any = None,
    help: str | None = None,
) -> Any:
    """What was typed as a number (`empty` when blank); when it cannot be read, a message
    under the field, `act` refused for this run, and `value` (or `empty`) returned.
    `steppers` (only outside a form) adds − and +."""
    area = where if where is not None else st
    if key not in st.session_state:
        st.session_state[key] = shown(value, 0 if whole else decimals)
    if steppers:
        row = area.container(horizontal=True, vertical_alignment="bottom", key=f"{key}__steppers")
        row.html(_CSS)
        row.button("−", key=f"{key}__minus", on_click=_step, args=(key, -1, value or 0))
        typed = row.text_input(label, key=key, help=help, autocomplete="off")
        row.button("+", key=f"{key}__plus", on_click=_step, args=(key, 1, value or 0))
    else:
        typed = area.text_input(label, key=key, help=help, autocomplete="off")
    try:
        number = typed_input.number(typed or "", whole=whole, decimals=decimals)
    except InvalidInput as err:
        common.refuse_number(key, err)
        area.error(
            t_field(label, err),
            icon=":material/error:",
        )
        return empty if value is None else value
    return empty if number is None else number


def t_field(label: str, err: InvalidInput) -> str:
    """The refusal under a field: its label, then why."""
    message = common.t(err.key, **{k: common.plain(str(v)) for k, v in err.params.items()})
    return common.t("error.number.field", label=common.plain(label), message=message)

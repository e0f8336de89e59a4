"""The scanner field: a text box a USB scanner types into, that loses no scan.

`st.chat_input` kept the focus, but when scans came faster than the page ran,
Streamlit merged the queued values and kept only the newest: scans were lost
without a word (seen in a real browser, 10 scans in 5 s). This field keeps, in
the browser, every scan the server has not confirmed yet and sends them all
each time, numbered; the page handles each number once and sends back the last
one it handled, so the browser forgets those. A merged update still carries
every pending scan, and a scan handled twice (a run stopped midway) meets the
same checks again (already in this build, double read), never counted twice.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

_HTML = (
    "<input type='text' autocomplete='off' autocapitalize='off' spellcheck='false' class='scanner'>"
)
_CSS = """
.scanner {
    width: 100%; box-sizing: border-box; font-size: 1.15rem; padding: 0.6rem 0.75rem;
    border: 1px solid var(--st-border-color, #ccc); border-radius: 0.5rem;
    background: var(--st-secondary-background-color, #f0f2f6); color: var(--st-text-color);
}
.scanner:focus { outline: 2px solid var(--st-primary-color, #9a5b1e); }
"""
# Numbers start at the clock's milliseconds so that they only grow, even
# across a reload of the page (a new session starts from 0 anyway).
_JS = """
export default function(component) {
  const { parentElement, data, setStateValue } = component;
  const input = parentElement.querySelector("input");
  if (!parentElement.__scanner) {
    parentElement.__scanner = { queue: [], seq: Date.now() };
    if (data && data.autofocus) { input.focus(); }
  }
  const state = parentElement.__scanner;
  // Each run of the page (a new `run` number) takes the focus back, unless the person
  // is typing in another field: after a tap on a button, the next scan needs no click.
  if (data && data.autofocus && data.run !== state.run) {
    state.run = data.run;
    const active = document.activeElement;
    const typing = active && active !== input && active.matches("input, textarea, select");
    if (!typing) { input.focus(); }
  }
  const handled = (data && data.handled) || 0;
  state.queue = state.queue.filter((scan) => scan[0] > handled);
  input.placeholder = (data && data.placeholder) || "";
  input.setAttribute("aria-label", (data && data.placeholder) || "");
  input.onkeydown = (event) => {
    if (event.key !== "Enter") { return; }
    event.preventDefault();
    const text = input.value;
    input.value = "";
    if (!text.trim()) { return; }
    state.seq = Math.max(state.seq + 1, Date.now());
    state.queue.push([state.seq, text]);
    setStateValue("scans", state.queue.slice());
  };
}
"""
_component = st.components.v2.component("atelier_scanner", html=_HTML, css=_CSS, js=_JS)


def _done_key(key: str) -> str:
    return f"{key}__handled"


def _run_key(key: str) -> str:
    return f"{key}__run"


def scanner_field(key: str, placeholder: str, *, autofocus: bool = True) -> list[tuple[int, str]]:
    """Scans not handled yet, oldest first, as (number, text); call `handled()` after each."""
    done = int(st.session_state.get(_done_key(key), 0))
    run = st.session_state[_run_key(key)] = int(st.session_state.get(_run_key(key), 0)) + 1
    result: Any = _component(
        key=key,
        data={"handled": done, "placeholder": placeholder, "autofocus": autofocus, "run": run},
        default={"scans": []},
        on_scans_change=lambda: None,
    )
    scans = getattr(result, "scans", None) or []
    return [(int(seq), str(text)) for seq, text in scans if int(seq) > done]


def handled(key: str, number: int) -> None:
    """Remember that scan `number` was handled, so it is never handled again."""
    st.session_state[_done_key(key)] = max(number, int(st.session_state.get(_done_key(key), 0)))

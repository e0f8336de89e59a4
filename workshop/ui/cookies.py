"""The sign-in cookie, from the page's side: the server sets and clears it (HttpOnly).

Streamlit reads cookies (`st.context.cookies`, sent with the websocket) but cannot set
one, and a cookie written by JavaScript cannot be HttpOnly. So after a sign-in the
page hands the token over as a one-time ticket and sends the browser to
`/session/start?ticket=…` (workshop/web/session.py), which answers with the cookie and
a redirect back; signing out sends it to `/session/end`. The browser is sent there by
Streamlit's own redirect message, the one `st.login` and `st.logout` use: no script of
ours runs in the page.
"""

from __future__ import annotations

from urllib.parse import urlencode

import streamlit as st
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.runtime.scriptrunner import get_script_run_ctx

from workshop import signin_tokens

_PENDING = "go_to_pending"


def go_to(path: str) -> None:
    """Send the browser to a path of this site (a full page load) at the next `apply_pending`."""
    st.session_state[_PENDING] = path


def apply_pending() -> None:
    """Send the browser where `go_to` said (call once per page run, early in app.py).

    Not at once: a message queued just before `st.rerun()` is dropped with the
    interrupted run's output, so it goes out with the run that follows.
    """
    path = st.session_state.pop(_PENDING, None)
    ctx = get_script_run_ctx()
    if path is None or ctx is None:  # nothing to do, or no page run
        return
    message = ForwardMsg()
    message.auth_redirect.url = path
    ctx.enqueue(message)
    st.session_state["went_to"] = path  # what the browser was sent to (read by the tests)


def remember(issued: signin_tokens.Issued, back_to: str = "/") -> None:
    """Have the server set the sign-in cookie for `issued`, then come back to `back_to`."""
    ticket = signin_tokens.hand_over(issued)
    go_to("/session/start?" + urlencode({"ticket": ticket, "next": back_to}))


def forget() -> None:
    """Have the server clear the sign-in cookie, then come back to the home page."""
    go_to("/session/end?" + urlencode({"next": "/"}))


def token() -> str | None:
    """The sign-in token the browser sent when this session started, if any."""
    try:
        return st.context.cookies.get(signin_tokens.COOKIE)
    except (AttributeError, RuntimeError):  # no browser (e.g. a test runner)
        return None

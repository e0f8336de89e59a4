"""The sign-in cookie: written and cleared in the browser by a tiny component.

Streamlit reads cookies (`st.context.cookies`) but has no call to set one, so a
few lines of JavaScript do it. Set from JavaScript, the cookie cannot be
HttpOnly; it is SameSite=Strict, Secure on HTTPS, holds only a signed token
(workshop/signin_tokens.py), and no page renders user text as HTML. The cookie is
only read when a browser session starts; the token is then kept in the session
and checked on every run (common.current_user), and signing out ends it on the
server too, so a copy of the cookie is worth nothing after that.
"""

from __future__ import annotations

import streamlit as st

from workshop import signin_tokens

_JS = """
export default function(component) {
  const { data } = component;
  if (!data || !data.name) { return; }
  const secure = window.location.protocol === "https:" ? "; Secure" : "";
  const base = "; Path=/; SameSite=Strict" + secure;
  if (data.clear) {
    document.cookie = data.name + "=; Max-Age=0" + base;
  } else if (data.token) {
    document.cookie = data.name + "=" + data.token + "; Max-Age=" + data.max_age + base;
  }
}
"""
_component = st.components.v2.component("atelier_cookie", js=_JS)
_PENDING = "cookie_pending"


def remember(token: str, max_age: int) -> None:
    """Write the sign-in cookie on the next page run."""
    st.session_state[_PENDING] = {"name": signin_tokens.COOKIE, "token": token, "max_age": max_age}


def forget() -> None:
    """Clear the sign-in cookie on the next page run."""
    st.session_state[_PENDING] = {"name": signin_tokens.COOKIE, "clear": True}


def token() -> str | None:
    """The sign-in token the browser sent when this session started, if any."""
    try:
        return st.context.cookies.get(signin_tokens.COOKIE)
    except (AttributeError, RuntimeError):  # no browser (e.g. a test runner)
        return None


def apply_pending() -> None:
    """Send a pending cookie change to the browser (call once per page run)."""
    if pending := st.session_state.get(_PENDING):
        _component(key="atelier_cookie", data=pending, height=0)

"""A reload (or a phone that locked its screen) does not sign a lead out; signing out does."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import select

from tests.e2e.helpers import an_admin, app_ready, expect, nav_link, no_traceback
from workshop import accounts, db
from workshop.models import Role, User

pytestmark = pytest.mark.e2e

USERNAME, PASSWORD = "lea-session", "recharge-la-page"


def _lead(engine: Any) -> None:
    with db.write_session(engine) as session:
        if session.exec(select(User).where(User.username == USERNAME)).first():
            return
        admin = an_admin(session, "admin-session", "A", "z" * 12)
        accounts.create_user(
            session=session,
            actor=admin,
            username=USERNAME,
            display_name="Léa Session",
            password=PASSWORD,
            role=Role.lead,
        )


def _session_cookie(page: Any, *, present: bool) -> dict[str, Any] | None:
    """The sign-in cookie, once the browser's trip to the server that sets (clears) it is over."""
    for _ in range(50):
        cookie = {c["name"]: c for c in page.context.cookies()}.get("atelier_session")
        if (cookie is not None) == present:
            page.wait_for_load_state()
            return cookie
        page.wait_for_timeout(200)
    raise AssertionError(f"the sign-in cookie is {'missing' if present else 'still there'}")


def test_reload_keeps_the_sign_in_and_sign_out_ends_it(
    page: Any, app_engine: Any, shot: Any
) -> None:
    _lead(app_engine)
    page.goto("/")
    app_ready(page)
    page.get_by_label("Identifiant").fill(USERNAME)
    page.get_by_label("Mot de passe", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("heading", name="Bonjour Léa Session")).to_be_visible()
    # Set by the server's answer (HttpOnly): the page's scripts cannot read it.
    cookie = _session_cookie(page, present=True)
    assert cookie is not None
    app_ready(page)
    expect(page.get_by_role("heading", name="Bonjour Léa Session")).to_be_visible()
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["path"] == "/"
    assert "atelier_session" not in page.evaluate("document.cookie")
    nav_link(page, "Collectes").click()
    expect(page.get_by_role("heading", name="Collectes", exact=True)).to_be_visible()

    page.reload()  # the websocket session is new: the cookie signs the lead back in
    app_ready(page)
    expect(page.get_by_role("heading", name="Collectes", exact=True)).to_be_visible()
    no_traceback(page)
    shot("session-after-reload")
    # A new tab shares no Streamlit session with this one: only the cookie signs it in.
    tab = page.context.new_page()
    tab.goto("/")
    app_ready(tab)
    expect(tab.get_by_role("heading", name="Bonjour Léa Session")).to_be_visible()
    tab.close()

    page.get_by_role("button", name="Se déconnecter").click()
    expect(page.get_by_role("heading", name="Connexion")).to_be_visible()
    _session_cookie(page, present=False)  # cleared by the server's answer
    app_ready(page)
    page.reload()
    app_ready(page)
    expect(page.get_by_role("heading", name="Connexion")).to_be_visible()
    no_traceback(page)

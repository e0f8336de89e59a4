"""A reload (or a phone that locked its screen) does not sign a lead out; signing out does."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import select

from tests.e2e.helpers import app_ready, expect, nav_link, no_traceback
from workshop import accounts, db
from workshop.models import Role, User

pytestmark = pytest.mark.e2e

USERNAME, PASSWORD = "lea-session", "recharge-la-page"


def _lead(engine: Any) -> None:
    with db.write_session(engine) as session:
        if session.exec(select(User).where(User.username == USERNAME)).first():
            return
        admin = session.exec(select(User).where(User.role == Role.admin)).first()
        if admin is None:
            admin = accounts.create_first_admin(
                session=session, username="admin-session", display_name="A", password="z" * 12
            )
        accounts.create_user(
            session=session,
            actor=admin,
            username=USERNAME,
            display_name="Léa Session",
            password=PASSWORD,
            role=Role.lead,
        )


def _wait_for_cookie(page: Any) -> dict[str, Any]:
    # The cookie is written by the page's JavaScript a moment after the run.
    for _ in range(50):
        cookies = {c["name"]: c for c in page.context.cookies()}
        if "atelier_session" in cookies:
            return cookies["atelier_session"]
        page.wait_for_timeout(200)
    raise AssertionError("no sign-in cookie after 10 s")


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
    app_ready(page)
    cookie = _wait_for_cookie(page)
    assert cookie["sameSite"] == "Strict" and cookie["path"] == "/"
    nav_link(page, "Collectes").click()
    expect(page.get_by_role("heading", name="Collectes", exact=True)).to_be_visible()

    page.reload()  # the websocket session is new: the cookie signs the lead back in
    app_ready(page)
    expect(page.get_by_role("heading", name="Collectes", exact=True)).to_be_visible()
    no_traceback(page)
    shot("session-after-reload")

    page.get_by_role("button", name="Se déconnecter").click()
    expect(page.get_by_role("heading", name="Connexion")).to_be_visible()
    app_ready(page)
    for _ in range(50):  # the cookie is cleared by the page's JavaScript, a moment later
        if "atelier_session" not in {c["name"] for c in page.context.cookies()}:
            break
        page.wait_for_timeout(200)
    assert "atelier_session" not in {c["name"] for c in page.context.cookies()}
    page.reload()
    app_ready(page)
    expect(page.get_by_role("heading", name="Connexion")).to_be_visible()
    no_traceback(page)

"""The app in a real headless Chromium: first admin, pickup, sign out/in, language, bad password.

Streamlit reruns asynchronously, so every step waits with Playwright's
auto-retrying `expect(...)` instead of sleeping. A screenshot of each step goes
to test-artifacts/e2e/NN-step.png.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.helpers import app_ready, expect, nav_link, no_traceback
from workshop import accounts, db, pickups, schema

pytestmark = pytest.mark.e2e

USERNAME = "camille"
DISPLAY_NAME = "Camille Martin"
PASSWORD = "cagettes-du-20e"
FIRST_KIND = pickups.CRATE_KINDS[0][0]  # label of the first crate-kind count in the pickup form

Shot = Callable[[str], Path]


def sign_in(page: Any, username: str, password: str) -> None:
    """Fill and submit the sign-in form (French labels)."""
    expect(page.get_by_role("heading", name="Connexion")).to_be_visible()
    page.get_by_label("Identifiant").fill(username)
    page.get_by_label("Mot de passe", exact=True).fill(password)
    page.get_by_role("button", name="Se connecter").click()


def ensure_admin(database_url: str) -> None:
    """Create the admin directly when this test runs without the first-run flow before it."""
    engine = db.make_engine(database_url)
    try:
        schema.migrate(engine)  # the app only migrates on its first page view
        with db.write_session(engine) as session:
            if accounts.user_count(session=session) == 0:
                accounts.create_first_admin(
                    session=session, username=USERNAME, display_name=DISPLAY_NAME, password=PASSWORD
                )
    finally:
        engine.dispose()


def test_first_run_pickup_sign_out_in_and_english(page: Any, shot: Shot) -> None:
    """From an empty database to a logged pickup, then sign out, sign in and switch to English."""
    page.goto("/")
    app_ready(page)

    # 1. Empty database: the first-admin screen, in French.
    expect(page.get_by_role("heading", name="Bienvenue dans Atelier Cagettes")).to_be_visible()
    no_traceback(page)
    shot("first-admin")

    # 2. Create the admin: signed in straight away.
    form = page.get_by_test_id("stForm")
    form.get_by_label("Identifiant").fill(USERNAME)
    form.get_by_label("Nom affiché").fill(DISPLAY_NAME)
    form.get_by_label("Mot de passe (8 caractères au moins)").fill(PASSWORD)
    form.get_by_label("Mot de passe (encore)").fill(PASSWORD)
    form.get_by_role("button", name="Créer le compte et se connecter").click()
    expect(page.get_by_role("heading", name=f"Bonjour {DISPLAY_NAME}")).to_be_visible()
    expect(page.get_by_test_id("stSidebar")).to_contain_text("Connecté·e : Camille Martin")
    no_traceback(page)
    shot("signed-in")

    # 3. Pickups page from the sidebar navigation.
    nav_link(page, "Collectes").click()
    expect(page.get_by_role("heading", name="Collectes", exact=True)).to_be_visible()
    expect(page.get_by_text("Aucune collecte ces 60 derniers jours.")).to_be_visible()
    # The new-pickup form is the page's main block (not an st.form: its steppers are
    # buttons). Widgets load lazily (grey placeholders first): wait for the real input.
    form = page.get_by_test_id("stMain")
    count = form.get_by_label(FIRST_KIND, exact=True).first
    expect(count).to_be_visible()
    expect(count).to_have_value("0")
    shot("pickups")

    # 4. Log a pickup: 12 crates of the first kind.
    count.fill("12")
    count.press("Tab")  # commit the value to the form before submitting
    expect(count).to_have_value("12")
    form.get_by_role("button", name="Enregistrer la collecte").click()
    saved = page.get_by_test_id("stAlert").filter(has_text=re.compile(r"Collecte L-"))
    expect(saved).to_be_visible()
    expect(saved).to_contain_text(
        re.compile(r"Collecte L-[0-9A-Z]{5}-[0-9A-Z] enregistrée : 12 cagettes")
    )
    # A phone and a wide version of each table are drawn; CSS shows one.
    expect(page.locator("[data-testid=stDataFrame]:visible").first).to_be_visible()
    no_traceback(page)
    shot("pickup-saved")

    # 5. Sign out: back to the sign-in page.
    page.get_by_test_id("stSidebar").get_by_role("button", name="Se déconnecter").click()
    expect(page.get_by_role("heading", name="Connexion")).to_be_visible()
    expect(page.get_by_role("button", name="Se déconnecter")).to_have_count(0)
    no_traceback(page)
    shot("signed-out")

    # 6. Sign in again with the same credentials.
    sign_in(page, USERNAME, PASSWORD)
    expect(page.get_by_role("heading", name=f"Bonjour {DISPLAY_NAME}")).to_be_visible()
    no_traceback(page)
    shot("signed-in-again")

    # 7. Switch to English with the sidebar picker.
    picker = page.get_by_test_id("stSelectbox").filter(has_text="Langue · Language")
    # Below the menu of an admin's pages: scrolled to first, as a person would.
    picker.scroll_into_view_if_needed()
    picker.click()
    page.get_by_role("option", name="English").click()
    expect(page.get_by_role("heading", name=f"Hello {DISPLAY_NAME}")).to_be_visible()
    expect(nav_link(page, "Pickups")).to_be_visible()
    expect(page.get_by_test_id("stSidebar").get_by_role("button", name="Sign out")).to_be_visible()
    no_traceback(page)
    shot("english")

    # 8. The language sticks across pages.
    nav_link(page, "Pickups").click()
    expect(page.get_by_role("heading", name="Pickups", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Save the pickup")).to_be_visible()
    no_traceback(page)
    shot("english-pickups")


def test_wrong_password_shows_french_error(page: Any, shot: Shot, app_database: str) -> None:
    """A wrong password gives the plain French message, no traceback, and stays signed out."""
    ensure_admin(app_database)
    page.goto("/")
    app_ready(page)

    sign_in(page, USERNAME, PASSWORD + "-wrong")
    expect(page.get_by_text("Identifiant ou mot de passe incorrect.")).to_be_visible()
    expect(page.get_by_role("heading", name="Connexion")).to_be_visible()
    expect(page.get_by_role("button", name="Se déconnecter")).to_have_count(0)
    no_traceback(page)
    shot("wrong-password")

    # An unknown user gets the same message (no hint that the username exists).
    sign_in(page, "personne", PASSWORD)
    expect(page.get_by_text("Identifiant ou mot de passe incorrect.")).to_be_visible()
    no_traceback(page)
    shot("unknown-user")

"""The sidebar groups pages by the app's areas (as docs/ARCHITECTURE.md does), laptop and phone."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import select

from tests.e2e.helpers import app_ready, expect, no_traceback, screenshot
from workshop import accounts, db
from workshop.models import Role, User

pytestmark = pytest.mark.e2e

USERNAME, PASSWORD = "admin-nav", "les-rubriques-du-menu"
# What an admin's sidebar holds, area by area, in order ("" is the area without a title).
ADMIN_SIDEBAR = [
    ("", ["Accueil"]),
    (
        "De la collecte au meuble",
        [
            "Collectes",
            "Étiquettes",
            "Importer des collectes",
            "Scanner",
            "Meubles",
            "Modèles",
        ],
    ),
    (
        "Heures",
        ["Salarié·es", "Heures à valider", "Rapports d'heures", "Mode atelier"],
    ),
    ("Impact", ["Tableau de bord", "Mon marché", "Autres lieux", "Documents à classer"]),
    (
        "Comptes et exploitation",
        ["Utilisateurs", "Réglages", "Sauvegardes", "Journal des modifications"],
    ),
]


def _admin(engine: Any) -> None:
    with db.write_session(engine) as session:
        if session.exec(select(User).where(User.username == USERNAME)).first():
            return
        first = session.exec(select(User).where(User.role == Role.admin)).first()
        if first is None:
            accounts.create_first_admin(
                session=session, username=USERNAME, display_name="Admin Menu", password=PASSWORD
            )
            return
        accounts.create_user(
            session=session,
            actor=first,
            username=USERNAME,
            display_name="Admin Menu",
            password=PASSWORD,
            role=Role.admin,
        )


def _sidebar(page: Any) -> list[tuple[str, list[str]]]:
    """The sidebar's areas and their links, as a reader sees them from the top."""
    items = page.get_by_test_id("stSidebarNav").evaluate(
        """nav => [...nav.querySelectorAll(
              '[data-testid="stNavSectionHeader"], [data-testid="stSidebarNavLink"]')]
            .map(el => [el.dataset.testid === 'stNavSectionHeader', el.innerText.trim()])"""
    )
    grouped: list[tuple[str, list[str]]] = [("", [])]
    for is_header, text in items:
        if is_header:
            grouped.append((text, []))
        else:
            grouped[-1][1].append(text.splitlines()[-1].strip())
    return [g for g in grouped if g[1] or g[0]]


@pytest.mark.parametrize(("width", "height"), [(1366, 768), (390, 844)])
def test_the_sidebar_groups_the_pages_by_area(
    browser: Any, app_url: str, app_engine: Any, artifacts: Any, width: int, height: int
) -> None:
    _admin(app_engine)
    context = browser.new_context(
        base_url=app_url, locale="fr-FR", viewport={"width": width, "height": height}
    )
    page = context.new_page()
    try:
        page.goto("/")
        app_ready(page)
        page.get_by_label("Identifiant").fill(USERNAME)
        page.get_by_label("Mot de passe", exact=True).fill(PASSWORD)
        page.get_by_role("button", name="Se connecter").click()
        expect(page.get_by_role("heading", name="Bonjour Admin Menu")).to_be_visible()
        app_ready(page)
        if width < 640:  # a phone: the sidebar opens from its button
            page.get_by_test_id("stExpandSidebarButton").click()
        expect(page.get_by_test_id("stSidebarNav")).to_be_visible()
        for header in [h for h, _ in ADMIN_SIDEBAR if h]:
            expect(
                page.get_by_test_id("stSidebarNav").get_by_text(header, exact=True)
            ).to_be_visible()
        no_traceback(page)
        screenshot(page, artifacts, f"navigation-{width}x{height}")
        assert _sidebar(page) == ADMIN_SIDEBAR
        # Touch targets: every menu link on a phone, every button, at least 44 px high.
        links = page.get_by_test_id("stSidebarNavLink")
        heights = links.evaluate_all("els => els.map(e => e.getBoundingClientRect().height)")
        if width < 640:
            assert min(heights) >= 44, heights
        sign_out = page.get_by_role("button", name="Se déconnecter")
        assert sign_out.bounding_box()["height"] >= 44
        # A tap on a menu link opens the page and, on a phone, closes the menu.
        links.filter(has_text="Collectes").first.click()
        expect(page.get_by_role("heading", name="Collectes", exact=True).first).to_be_visible()
        app_ready(page)
        if width < 640:
            expect(page.get_by_test_id("stSidebarNav")).not_to_be_in_viewport()
            screenshot(page, artifacts, f"navigation-{width}x{height}-after-tap")
    finally:
        context.close()

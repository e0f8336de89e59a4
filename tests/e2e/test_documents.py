"""The documents people file, downloaded in a real browser (French, laptop and phone).

An admin opens *Documents à classer* and downloads a market's wood attestation (made
when the page runs) and the yearly report (made only when its button is clicked:
download_button's deferred data); a lead downloads the funders' monthly pack from the
hour reports page. Each file is opened and read back. Screenshots:
test-artifacts/e2e/NN-documents-*.png.
"""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlmodel import select

from tests import factories
from tests.e2e.conftest import VIEWPORTS
from tests.e2e.helpers import an_admin, app_ready, expect, no_traceback, screenshot
from workshop import accounts, dates, db, hours, pickups, signin_tokens
from workshop.models import Market, Role, User

pytestmark = pytest.mark.e2e

ADMIN = ("admin-documents", "Admin Documents", "documents-a-classer")
LEAD = ("lea-documents", "Léa Heures", "heures-des-financeurs")
MARKET = "Marché Télégraphe"


@pytest.fixture(scope="module")
def seeded(app_engine: Any) -> None:
    """An admin and a lead; last year's pickups at one market; approved hours last week."""
    today = dates.today()
    with db.write_session(app_engine) as session:
        first = an_admin(session, "admin-first", "A", "x" * 12)
        for username, name, password, role in ((*ADMIN, Role.admin), (*LEAD, Role.lead)):
            accounts.create_user(
                session=session,
                actor=first,
                username=username,
                display_name=name,
                password=password,
                role=role,
            )
        market = session.exec(select(Market).where(Market.name == MARKET)).one()
        kind = pickups.crate_kinds(session=session)[0]
        for month in (3, 7, 10):
            pickups.log_pickup(
                session=session,
                actor=first,
                fields=pickups.PickupFields(
                    market_id=market.id or 0,
                    pickup_date=today.replace(year=today.year - 1, month=month, day=12),
                    counts={kind.id or 0: 40 + month},
                    sample=None,
                ),
            )
        lead = session.exec(select(User).where(User.username == LEAD[0])).one()
    tr = factories.trainee(app_engine, name="Inès", start=today - timedelta(days=60))
    day = dates.week_start(today) - timedelta(days=7)
    factories.add_hours(app_engine, lead, tr, day, 6 * 60 + 30, now=dates.utcnow())
    factories.write(app_engine, hours.approve_week, actor=lead, trainee_id=tr.id, week=day)


def _sign_in(page: Any, username: str, password: str) -> None:
    page.goto("/")
    app_ready(page)
    page.get_by_label("Identifiant").fill(username)
    page.get_by_label("Mot de passe", exact=True).fill(password)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("button", name="Se connecter")).to_have_count(0)
    app_ready(page)
    for _ in range(50):  # the sign-in cookie is written by the page's JavaScript, a moment later
        if signin_tokens.COOKIE in {c["name"] for c in page.context.cookies()}:
            break
        page.wait_for_timeout(200)
    assert signin_tokens.COOKIE in {c["name"] for c in page.context.cookies()}


def _download(page: Any, button: Any) -> tuple[str, bytes]:
    with page.expect_download() as download:
        button.click()
    got = download.value
    return got.suggested_filename, Path(got.path()).read_bytes()


@pytest.mark.parametrize("device_page", list(VIEWPORTS), indirect=True)
def test_admin_downloads_the_attestation_and_the_yearly_report(
    device_page: Any, seeded: None, artifacts: Path, request: Any
) -> None:
    page = device_page
    device = request.node.callspec.params["device_page"]
    year = dates.today().year - 1
    _sign_in(page, ADMIN[0], ADMIN[2])
    page.goto("/documents")
    app_ready(page)
    main = page.get_by_test_id("stMain")
    expect(main.get_by_role("heading", name="Documents à classer")).to_be_visible()
    # Choose the market: the attestation of last year is made for it.
    main.get_by_test_id("stSelectbox").filter(has_text="Marché").first.click()
    page.get_by_role("option", name=MARKET, exact=True).click()
    app_ready(page)
    no_traceback(page)
    screenshot(page, artifacts, f"documents-{device}-page", full_page=True)

    name, pdf = _download(page, main.get_by_role("button", name="Données de l'attestation (PDF)"))
    assert name == f"attestation-bois-marche-telegraphe-{year}.pdf"
    text = factories.pdf_text(pdf)
    assert MARKET in text and f"année {year}" in text and "habilitée à signer" in text

    name, csv = _download(page, main.get_by_role("button", name="Les mêmes chiffres (CSV)"))
    assert name.endswith(".csv") and f"{year}-03" in csv.decode("utf-8-sig")

    name, pdf = _download(page, main.get_by_role("button", name="Rapport (PDF)"))
    assert name == f"rapport-activite-{year}.pdf"
    text = factories.pdf_text(pdf)
    assert f"Rapport d'activité {year}" in text and MARKET in text

    name, data = _download(page, main.get_by_role("button", name="Ses tableaux (XLSX)"))
    assert name == f"rapport-activite-{year}.xlsx"
    assert "Marchés" in load_workbook(io.BytesIO(data)).sheetnames
    no_traceback(page)


@pytest.mark.parametrize("device_page", list(VIEWPORTS), indirect=True)
def test_lead_downloads_the_funders_monthly_pack(
    device_page: Any, seeded: None, artifacts: Path, request: Any
) -> None:
    page = device_page
    device = request.node.callspec.params["device_page"]
    _sign_in(page, LEAD[0], LEAD[2])
    page.goto("/hours_reports")
    app_ready(page)
    main = page.get_by_test_id("stMain")
    expect(main.get_by_role("heading", name="Rapports d'heures")).to_be_visible()
    day = dates.week_start(dates.today()) - timedelta(days=7)
    if day.month != dates.today().month:  # last week was last month: choose it
        main.get_by_test_id("stSelectbox").filter(has_text="Mois").click()
        page.get_by_role("option").nth(1).click()
        app_ready(page)
    main.get_by_text("Dossier mensuel des financeurs").click()
    app_ready(page)
    no_traceback(page)
    screenshot(page, artifacts, f"documents-{device}-funders-pack")
    name, data = _download(page, main.get_by_role("button", name="Dossier (XLSX)"))
    assert name == f"financeurs-{day:%Y-%m}.xlsx"
    book = load_workbook(io.BytesIO(data))
    rows = [r for s in book.worksheets[:-1] for r in s.iter_rows(values_only=True)]
    assert ("Inès D.", 6.5) in [(r[0], r[1]) for r in rows]

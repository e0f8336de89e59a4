"""Scan and labels in a real headless Chromium: USB scanner field, `?code=` link, PDF sheet.

The data (a lead, one pickup of 30 tagged crates) is written straight into the
app's database with the domain functions; everything else goes through the
browser. Every step waits with Playwright's auto-retrying `expect(...)` (no
sleeps) and leaves a screenshot in test-artifacts/e2e/.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from tests.e2e.helpers import an_admin, app_ready, expect, nav_link, no_traceback
from workshop import accounts, codes, crates, dates, db, labels, pickups
from workshop.models import Market, Role, User

pytestmark = pytest.mark.e2e

LEAD = "lea-e2e"
LEAD_NAME = "Léa Scan"
LEAD_PASSWORD = "douchette-usb-20e"
# Only used when this file runs alone (otherwise test_browser.py made the first admin).
ADMIN = ("admin-e2e", "Admin E2E", "premier-admin-20e")
MARKET = "Marché Belgrand"
TAGGED = (20, 10)  # standard crates, flat trays: 30 labels, 2 pages of the 3 x 8 sheet
SHEET = "a4-3x8-70x37"  # the first (default) sheet template on the Labels page
RENDER_DPI = 200  # enough for zxing to read every 70 x 37 mm label of the page

Shot = Callable[[str], Path]


@dataclass(frozen=True)
class Seeded:
    """What the tests scan and print: one lot and its tagged crates (stored codes, sorted)."""

    lot_code: str
    crate_codes: list[str]


def sign_in(page: Any) -> None:
    """Sign in as the lead (French sign-in form)."""
    expect(page.get_by_role("heading", name="Connexion")).to_be_visible()
    page.get_by_label("Identifiant").fill(LEAD)
    page.get_by_label("Mot de passe", exact=True).fill(LEAD_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()


def crate_heading(page: Any, code: str) -> Any:
    """The Scan page's heading for a crate, e.g. "Cagette C-4K7XR-9"."""
    return page.get_by_role("heading", name=f"Cagette {codes.format_code(code)}")


@pytest.fixture(scope="module")
def seeded(app_engine: Any) -> Seeded:
    """A lead and one pickup of today with 30 tagged crates, in the app's database."""
    with db.write_session(app_engine) as session:
        admin = an_admin(session, *ADMIN)
        lead = session.exec(select(User).where(User.username == LEAD)).first()
        if lead is None:
            lead = accounts.create_user(
                session=session,
                actor=admin,
                username=LEAD,
                display_name=LEAD_NAME,
                password=LEAD_PASSWORD,
                role=Role.lead,
            )
        market = session.exec(select(Market).where(Market.name == MARKET)).one()
        kinds = pickups.crate_kinds(session=session)
        counts = {k.id or 0: n for k, n in zip(kinds, TAGGED, strict=False)}
        lot = pickups.log_pickup(
            session=session,
            actor=lead,
            fields=pickups.PickupFields(
                market_id=market.id or 0, pickup_date=dates.today(), counts=counts
            ),
        )
        made = crates.sort_lot(session=session, actor=lead, lot_id=lot.id or 0, tag=counts)
        return Seeded(lot_code=lot.code, crate_codes=sorted(c.code for c in made))


def scan_history(page: Any) -> Any:
    """The code column of the "Derniers scans" table, newest first.

    st.dataframe draws on a canvas; glide-data-grid keeps an accessible copy of
    the visible cells in a hidden table, which is what this reads.
    """
    return page.get_by_test_id("stDataFrame").locator('td[data-testid^="glide-cell-0-"]')


def scanner_field(page: Any) -> Any:
    """The scanner field (an input in the scanner component's shadow root)."""
    return page.get_by_role("textbox", name="Code ou adresse scannée")


def test_usb_scanner_scans_without_a_click(
    page: Any, shot: Shot, seeded: Seeded, app_url: str
) -> None:
    """Focus the scanner field once, then scans typed + Enter as a USB scanner does, no click."""
    first, second, third = seeded.crate_codes[:3]
    page.goto("/")
    app_ready(page)
    sign_in(page)
    expect(page.get_by_role("heading", name=f"Bonjour {LEAD_NAME}")).to_be_visible()
    nav_link(page, "Scanner").click()
    expect(page.get_by_role("heading", name="Scanner", exact=True)).to_be_visible()
    expect(page.get_by_text("En attente d'un scan.")).to_be_visible()
    field = scanner_field(page)
    expect(field).to_be_visible()
    no_traceback(page)
    shot("scan-waiting")

    # The one and only click: focus the scanner field.
    field.click()
    expect(field).to_be_focused()

    # 1. The label's QR read by the scanner: the URL, then Enter.
    page.keyboard.type(f"{app_url}/?code={first}\n")
    expect(crate_heading(page, first)).to_be_visible()
    expect(page.get_by_text(f"collectée au {MARKET}")).to_be_visible()
    app_ready(page)
    no_traceback(page)
    shot("scan-first")
    # Streamlit's rerun must leave the field empty and focused for the next scan.
    expect(field).to_have_value("")
    expect(field).to_be_focused()

    # 2. No click: the next scan goes straight to the field (printed form this time).
    page.keyboard.type(f"{codes.format_code(second)}\n")
    expect(crate_heading(page, second)).to_be_visible()
    app_ready(page)
    expect(page.get_by_text("Derniers scans")).to_be_visible()
    expect(scan_history(page)).to_have_text([codes.format_code(second), codes.format_code(first)])
    no_traceback(page)
    shot("scan-second")
    expect(field).to_be_focused()

    # 3. A US-layout scanner on this French AZERTY computer: the URL arrives garbled.
    page.keyboard.type(codes.us_on_azerty(f"{app_url}/?code={third}") + "\n")
    expect(crate_heading(page, third)).to_be_visible()
    app_ready(page)
    expect(scan_history(page)).to_have_text([codes.format_code(c) for c in (third, second, first)])
    expect(page.get_by_test_id("stAlert")).to_have_count(0)  # no error message
    no_traceback(page)
    shot("scan-third-azerty")


def test_code_link_from_a_phone_opens_the_crate_after_sign_in(
    page: Any, shot: Shot, seeded: Seeded
) -> None:
    """A phone camera app opens `/?code=…` in a new session: sign in, then the crate shows."""
    code = seeded.crate_codes[-1]
    page.goto(f"/?code={code}")
    app_ready(page)
    expect(page.get_by_role("heading", name="Connexion")).to_be_visible()
    no_traceback(page)
    shot("code-link-sign-in")

    sign_in(page)
    expect(crate_heading(page, code)).to_be_visible()
    expect(page.get_by_role("heading", name="Scanner", exact=True)).to_be_visible()
    expect(page.get_by_text(f"(collecte {codes.format_code(seeded.lot_code)})")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/scan$"))  # the code left the address bar
    expect(scan_history(page)).to_have_text([codes.format_code(code)])
    no_traceback(page)
    shot("code-link-crate")


def test_download_a_label_sheet(
    page: Any, shot: Shot, seeded: Seeded, app_url: str, artifacts: Path
) -> None:
    """Labels page: pick the lot, prepare the PDF, download it; check pages and QR contents."""
    import pypdfium2
    import zxingcpp

    page.goto("/")
    app_ready(page)
    sign_in(page)
    nav_link(page, "Étiquettes").click()
    expect(page.get_by_role("heading", name="Tri et étiquettes")).to_be_visible()
    lot_name = codes.format_code(seeded.lot_code)
    picker = page.get_by_test_id("stSelectbox").filter(has_text="Collecte")
    expect(picker).to_be_visible()
    picker.click()
    page.get_by_role("option", name=re.compile(re.escape(lot_name))).click()
    expect(picker.get_by_role("combobox")).to_have_value(re.compile(re.escape(lot_name)))
    expect(page.get_by_text("Toute la collecte est triée.")).to_be_visible()
    expect(page.get_by_text(f"{len(seeded.crate_codes)} étiquettes.")).to_be_visible()
    sheet = labels.templates()[SHEET]
    template_picker = page.get_by_role("combobox", name="Planche d'étiquettes")
    expect(template_picker).to_have_value(sheet.description)  # the default sheet
    app_ready(page)
    no_traceback(page)
    shot("labels-lot")

    # 30 labels: one tap makes and downloads the PDF (no "prepare" step first).
    expect(page.get_by_role("button", name="Préparer le PDF")).to_have_count(0)
    download_button = page.get_by_role("button", name="Télécharger le PDF")
    expect(download_button).to_be_visible()

    with page.expect_download() as info:
        download_button.click()
    download = info.value
    assert download.failure() is None
    assert (
        download.suggested_filename == f"etiquettes-{codes.format_code(seeded.crate_codes[-1])}.pdf"
    )
    download.save_as(artifacts / "labels.pdf")
    pdf = (artifacts / "labels.pdf").read_bytes()
    assert pdf.startswith(b"%PDF")
    per_page = sheet.per_page
    document = pypdfium2.PdfDocument(pdf)
    try:
        assert len(document) == math.ceil(len(seeded.crate_codes) / per_page)
        pages = [
            document[i].render(scale=RENDER_DPI / 72, grayscale=True).to_pil()
            for i in range(len(document))
        ]
    finally:
        document.close()
    shot("labels-downloaded")
    pages[0].save(artifacts / f"{len(list(artifacts.glob('*.png'))) + 1:02d}-labels-pdf-page-1.png")
    urls = [{r.text for r in zxingcpp.read_barcodes(p)} for p in pages]
    expected = [f"{app_url}/?code={c}" for c in seeded.crate_codes]
    assert urls[0] == set(expected[:per_page])
    assert urls[1] == set(expected[per_page:])


def test_fast_scans_are_all_handled(page: Any, shot: Shot, seeded: Seeded, app_url: str) -> None:
    """Ten scans 0.2 s apart, faster than the page runs: none is lost (Streamlit merges
    queued widget values; the scanner field resends every scan not yet handled)."""
    burst = seeded.crate_codes[3:13]
    page.goto("/")
    app_ready(page)
    sign_in(page)
    nav_link(page, "Scanner").click()
    field = scanner_field(page)
    expect(field).to_be_visible()
    field.click()
    for code in burst:
        page.keyboard.type(f"{code}\n")
        page.wait_for_timeout(200)
    expect(crate_heading(page, burst[-1])).to_be_visible()
    app_ready(page)
    # A scan the page could not read would say so here (and be missing below).
    expect(page.get_by_test_id("stAlert")).to_have_count(0)
    expect(scan_history(page)).to_have_text([codes.format_code(c) for c in reversed(burst)])
    expect(field).to_be_focused()
    no_traceback(page)
    shot("scan-burst")

"""A signed-out visitor scans a finished piece's QR with a phone: the public passport."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlmodel import select

from tests.e2e.helpers import an_admin, expect
from workshop import accounts, builds, codes, crates, db, hours, pickups
from workshop.models import Activity, BuildStatus, Design, Market, Role, User

pytestmark = pytest.mark.e2e


def _tagged_crates(session: Any, lead: User, market: Market, n: int) -> list[Any]:
    """`n` crates picked up at `market` on 3 June 2026, tagged."""
    standard = pickups.crate_kinds(session=session)[0]
    lot = pickups.log_pickup(
        session=session,
        actor=lead,
        fields=pickups.PickupFields(
            market_id=market.id or 0, pickup_date=date(2026, 6, 3), counts={standard.id or 0: n}
        ),
    )
    return crates.sort_lot(
        session=session, actor=lead, lot_id=lot.id or 0, tag={standard.id or 0: n}
    )


def _finished_piece(engine: Any) -> str:
    """A 3-crate shelf from Marché Télégraphe, finished, with approved hours of three trainees."""
    with db.write_session(engine) as session:
        lead = session.exec(select(User).where(User.role == Role.lead)).first()
        if lead is None:
            admin = an_admin(session, "admin-pass", "A", "x" * 12)
            lead = accounts.create_user(
                session=session,
                actor=admin,
                username="lead-pass",
                display_name="Léa Passeport",
                password="y" * 12,
                role=Role.lead,
            )
        market = session.exec(select(Market).where(Market.name == "Marché Télégraphe")).one()
        made = _tagged_crates(session, lead, market, 3)
        design = session.exec(select(Design).where(Design.name == "Étagère 3 cagettes")).one()
        piece = builds.create_build(session=session, actor=lead, design_id=design.id or 0)
        for crate in made:
            builds.attach_crate(
                session=session, actor=lead, build_id=piece.id or 0, text=crate.code
            )
        builds.set_status(
            session=session, actor=lead, build_id=piece.id or 0, status=BuildStatus.finished
        )
        programme = hours.programmes(session=session)[0]
        for first, consent in (("Nadia", True), ("Bertrand", False), ("Chloé", False)):
            trainee = hours.create_trainee(
                session=session,
                actor=lead,
                first_name=first,
                last_initial="Z",
                fields=hours.TraineeFields(
                    programme_id=programme.id or 0,
                    start_date=date(2026, 1, 5),
                    consent_name=consent,
                ),
            )
            hours.record_hours(
                session=session,
                actor=lead,
                trainee_id=trainee.id or 0,
                fields=hours.EntryFields(
                    work_date=date(2026, 6, 10),
                    minutes=120,
                    activity=Activity.assemblage,
                    build_code=piece.code,
                ),
            )
            hours.approve_week(
                session=session, actor=lead, trainee_id=trainee.id or 0, week=date(2026, 6, 10)
            )
        return piece.code


def test_passport_on_a_phone_without_sign_in(
    browser: Any, app_url: str, app_engine: Any, artifacts: Any
) -> None:
    code = _finished_piece(app_engine)
    for width, height in ((390, 844), (1366, 768)):
        context = browser.new_context(
            base_url=app_url,
            locale="fr-FR",
            viewport={"width": width, "height": height},
            java_script_enabled=width != 390,  # the page needs none
        )
        try:
            page = context.new_page()
            requests: list[str] = []
            page.on("request", lambda request, seen=requests: seen.append(request.url))
            page.goto(f"/?code={code}")  # what a phone's camera app opens (a label printed before)
            assert page.url == f"{app_url}/p/{code}"
            expect(page.get_by_role("heading", name="Étagère 3 cagettes")).to_be_visible()
            expect(
                page.get_by_text("Fabriqué avec 3 cagettes collectées sur les marchés")
            ).to_be_visible()
            expect(page.get_by_text("3 au Marché Télégraphe, 3 juin 2026")).to_be_visible()
            expect(page.get_by_text("6,0\u00a0h")).to_be_visible()  # 3 trainees × 2 h
            expect(page.get_by_text("Avec : Nadia.")).to_be_visible()
            expect(page.get_by_text("Bertrand")).to_have_count(0)  # did not consent
            expect(page.get_by_text("Chloé")).to_have_count(0)
            expect(page.get_by_text("Source : ADEME", exact=False)).to_be_visible()
            # Nothing of Streamlit: no bundle, no websocket; the redirect and the page.
            assert not [url for url in requests if "/static/" in url or "_stcore" in url]
            overflow = page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
            assert not overflow  # readable without sideways scrolling
            page.screenshot(path=str(artifacts / f"passport-{width}.png"), full_page=True)

            page.get_by_role("link", name="English").click()
            expect(page.get_by_role("heading", name="3-crate shelf")).to_be_visible()
            expect(page.get_by_text("3 at Marché Télégraphe, 3 Jun 2026")).to_be_visible()
            page.goto(f"/p/{code}")  # the choice is kept
            expect(page.get_by_text("Where its crates come from")).to_be_visible()

            missing = page.goto(f"/p/{codes.mint('M')}")  # no piece has it: the neutral page
            assert missing is not None and missing.status == 404
            expect(page.get_by_role("heading", name="Piece not found")).to_be_visible()
        finally:
            context.close()
    # Printable on one A4 page.
    context = browser.new_context(base_url=app_url, locale="fr-FR")
    try:
        page = context.new_page()
        page.goto(f"/p/{code}")
        pdf = page.pdf(format="A4")
        assert pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages") == 1
    finally:
        context.close()


LINKS = "http://evil.example www.evil.example HTTPS://evil.example/x contact@evil.example"


def _piece_with_links(engine: Any) -> str:
    """A piece in progress whose design and market names hold a URL, a `www.` and an e-mail."""
    with db.write_session(engine) as session:
        lead = session.exec(select(User).where(User.role == Role.lead)).first()
        assert lead is not None  # made by _finished_piece
        market = Market(name=f"Marché {LINKS}"[:120])
        design = Design(name=f"Banc {LINKS}"[:120], crates_needed=2, typical_hours=2)
        session.add_all([market, design])
        session.flush()
        [crate] = _tagged_crates(session, lead, market, 1)
        piece = builds.create_build(session=session, actor=lead, design_id=design.id or 0)
        builds.attach_crate(session=session, actor=lead, build_id=piece.id or 0, text=crate.code)
        return piece.code


def test_urls_in_a_pieces_names_are_plain_text_not_links(
    browser: Any, app_url: str, app_engine: Any, artifacts: Any
) -> None:
    """Names holding a URL, a `www.` or an e-mail are shown as typed, never as links."""
    _finished_piece(app_engine)  # a lead to log the pickup
    code = _piece_with_links(app_engine)
    context = browser.new_context(base_url=app_url, locale="fr-FR")
    try:
        page = context.new_page()
        page.goto(f"/p/{code}")
        heading = page.get_by_role("heading", level=1)
        expect(heading).to_contain_text("Banc http")
        assert heading.inner_text().strip() == f"Banc {LINKS}"[:120]
        expect(page.get_by_text("au Marché http", exact=False)).to_be_visible()
        links = page.locator("a[href*='evil.example']")
        assert links.count() == 0, [
            links.nth(i).get_attribute("href") for i in range(links.count())
        ]
        page.screenshot(path=str(artifacts / "passport-links.png"), full_page=True)
    finally:
        context.close()

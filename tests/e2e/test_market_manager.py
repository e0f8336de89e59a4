"""A new market manager (placier) signs in for the first time and understands their month.

The "done when" of the Impact issue: on a laptop (1366 x 768) and on a phone
(390 x 844), the first screen after sign-in, without scrolling, shows the
market's name, the month's kilos kept out of the bins and number of crates,
where the wood went, the trend against the previous months and the way to the
monthly receipt PDF; the other markets (their market highlighted) come further
down. The data (an admin, a lead, the manager, four months of pickups at the
manager's market and at two others, sorted and partly made into furniture) is
written with the domain functions; the manager goes through the sign-in page
like anyone. Screenshots: test-artifacts/e2e/NN-market-manager-*.png.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from tests.e2e.conftest import VIEWPORTS
from tests.e2e.helpers import (
    an_admin,
    app_ready,
    expect,
    in_first_screen,
    never_scrolled,
    no_traceback,
    screenshot,
    whole_page_screenshot,
)
from workshop import accounts, builds, crates, dates, db, i18n, impact, pickups
from workshop.models import Design, Market, Outcome, Role, User

pytestmark = pytest.mark.e2e

MARKET = "Marché de Belleville"
OTHERS = ("Marché des Pyrénées", "Marché Mortier")  # the other markets of these tests
MANAGER, MANAGER_NAME, MANAGER_PASSWORD = "placier-belleville", "Malik Haddad", "boulevard-20e"
ADMIN = ("admin-placier", "Admin Placier", "premier-admin-20e")  # when this file runs alone
LEAD = ("lea-placier", "Léa Tri", "tri-des-cagettes")

# (months before this one, market, crates per kind (standard, tray, large), standard crates
# weighed (5 crates) or 0, standard crates tagged, where the untagged rest went (None:
# not sorted yet, so still in stock)).
PICKUPS = (
    (3, MARKET, (260, 60, 10), 6.1, 0, Outcome.firewood),
    (2, MARKET, (300, 70, 12), 5.9, 0, Outcome.recycled),
    (1, MARKET, (280, 64, 10), 6.0, 10, Outcome.recycled),
    (0, MARKET, (320, 72, 14), 6.2, 40, Outcome.recycled),
    (0, MARKET, (90, 20, 4), 0.0, 0, None),
    (2, OTHERS[0], (380, 80, 20), 0.0, 0, Outcome.recycled),
    (1, OTHERS[0], (400, 90, 20), 0.0, 0, Outcome.recycled),
    (0, OTHERS[0], (420, 90, 24), 0.0, 0, Outcome.firewood),
    (1, OTHERS[1], (120, 20, 4), 0.0, 0, Outcome.recycled),
    (0, OTHERS[1], (100, 20, 2), 0.0, 0, None),
)
SHELVES = 8  # of this month's 40 tagged crates: 8 three-crate shelves, 6 reused, 10 waiting
REUSED = 6
SHELF = "Étagère 3 cagettes"
# How the sentence names each outcome of this month's wood (firewood: none this month).
OUTCOME_WORDS = {
    Outcome.in_build: "dans des meubles",
    Outcome.reused: "réemployé tel quel",
    Outcome.recycled: "recyclé",
    Outcome.in_stock: "encore à l'atelier",
}


@dataclass(frozen=True)
class Seeded:
    """What the manager should see: their market and the last whole month's figures."""

    market_id: int
    month: date


def _pickup_day(months_back: int, today: date) -> date:
    """The 10th of that month, or today for this month (a test may run on the 1st)."""
    if months_back == 0:
        return today
    return dates.add_months(today.replace(day=1), -months_back).replace(day=10)


@pytest.fixture(scope="module")
def seeded(app_engine: Any) -> Seeded:
    """The admin creates the manager's account; a lead logs and sorts the pickups."""
    today = dates.today()
    with db.write_session(app_engine) as session:
        admin = an_admin(session, *ADMIN)
        markets = {m.name: m.id or 0 for m in session.exec(select(Market))}
        accounts.create_user(
            session=session,
            actor=admin,
            username=MANAGER,
            display_name=MANAGER_NAME,
            password=MANAGER_PASSWORD,
            role=Role.market_manager,
            market_id=markets[MARKET],
        )
        lead = accounts.create_user(
            session=session,
            actor=admin,
            username=LEAD[0],
            display_name=LEAD[1],
            password=LEAD[2],
            role=Role.lead,
        )
        kinds = [k.id or 0 for k in pickups.crate_kinds(session=session)]
        tagged: list[str] = []
        for back, market, counts, sample_kg, tag, rest in PICKUPS:
            lot = pickups.log_pickup(
                session=session,
                actor=lead,
                fields=pickups.PickupFields(
                    market_id=markets[market],
                    # One month further back: the page opens on the last whole month.
                    pickup_date=_pickup_day(back + 1, today),
                    counts=dict(zip(kinds, counts, strict=True)),
                    sample=pickups.Sample(kinds[0], 5, sample_kg) if sample_kg else None,
                ),
            )
            if tag or rest:
                made = crates.sort_lot(
                    session=session,
                    actor=lead,
                    lot_id=lot.id or 0,
                    tag={kinds[0]: tag} if tag else {},
                    remainder=rest,
                )
                tagged += [c.code for c in made]
        # This month's tagged crates (the last ones made) go first into shelves, then
        # a few are given away as they are; the rest wait at the workshop.
        shelf = session.exec(select(Design).where(Design.name == SHELF)).one()
        for _ in range(SHELVES):
            piece = builds.create_build(session=session, actor=lead, design_id=shelf.id or 0)
            for _ in range(shelf.crates_needed):
                builds.attach_crate(
                    session=session, actor=lead, build_id=piece.id or 0, text=tagged.pop()
                )
        for code in tagged[-REUSED:]:
            crates.set_outcome(session=session, actor=lead, code=code, outcome=Outcome.reused)
    return Seeded(market_id=markets[MARKET], month=dates.add_months(today.replace(day=1), -1))


def _figures(engine: Any, seeded: Seeded) -> impact.MarketMonth:
    """The month as the domain computes it (other tests may add pickups at other markets)."""
    with db.read_session(engine) as session:
        manager = session.exec(select(User).where(User.username == MANAGER)).one()
        return impact.market_month(
            session=session, actor=manager, market_id=seeded.market_id, month=seeded.month
        )


def _charts_drawn(page: Any) -> None:
    """Every Plotly chart has drawn its SVG (they load after the rest of the page)."""
    charts = page.get_by_test_id("stPlotlyChart")
    expect(charts.first).to_be_attached()
    for i in range(charts.count()):
        expect(charts.nth(i).locator("svg.main-svg").first).to_be_attached()


def _whole_page_screenshot(page: Any, artifacts: Path, step: str) -> None:
    """The whole page, its charts drawn."""
    _charts_drawn(page)
    number = len(list(artifacts.glob("*.png"))) + 1
    whole_page_screenshot(page, artifacts / f"{number:02d}-{step}.png")


@pytest.mark.parametrize("device_page", list(VIEWPORTS), indirect=True)
def test_new_market_manager_understands_their_month_in_one_screen(
    device_page: Any, seeded: Seeded, app_engine: Any, artifacts: Path, request: Any
) -> None:
    page = device_page
    device = request.node.callspec.params["device_page"]
    data = _figures(app_engine, seeded)
    row = data.row
    assert row.crates > 0 and data.markets >= 3  # the seed reached the database

    # 1. Signed out: the sign-in page, as for anyone.
    page.goto("/")
    app_ready(page)
    expect(page.get_by_role("heading", name="Connexion")).to_be_visible()
    # Every tap or typed field of a manager on their way to last month's receipt.
    interactions = 0
    page.get_by_label("Identifiant").fill(MANAGER)
    page.get_by_label("Mot de passe", exact=True).fill(MANAGER_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    interactions += 3

    # 2. They land on their market's month, no menu to open.
    main = page.get_by_test_id("stMain")
    title = main.get_by_role("heading", name=MARKET, exact=True)
    expect(title).to_be_visible()
    app_ready(page)
    _charts_drawn(page)
    no_traceback(page)
    screenshot(page, artifacts, f"market-manager-{device}-first-screen")
    never_scrolled(page)

    # 3. In the first screen: market, month, kilos, crates, where the wood went, trend, receipt.
    kg = i18n.fmt_kg(row.kg, "fr")
    crates_shown = i18n.fmt_number(row.crates, "fr")
    month_name = i18n.fmt_month(seeded.month, "fr")
    in_first_screen(page, title)

    summary = main.get_by_test_id("stAlert").filter(has_text=month_name)
    in_first_screen(page, summary)
    # One plain-French sentence: which month, which market, how many crates and kilos.
    expect(summary).to_contain_text(MARKET)
    expect(summary).to_contain_text(f"{crates_shown} cagettes")
    expect(summary).to_contain_text(kg)
    expect(summary).to_contain_text("ont évité la benne")
    # Where the wood went, in words: whole percentages of the kilos that add up to 100.
    text = summary.inner_text()
    total = sum(data.outcomes.values())
    shown = {}
    for outcome, words in OUTCOME_WORDS.items():
        found = re.search(rf"(\d+)\s%\s{re.escape(words)}", text)
        assert found, f"no share '{words}' in: {text}"
        shown[outcome] = int(found.group(1))
        assert abs(shown[outcome] - 100 * data.outcomes[outcome] / total) < 1, (outcome, text)
    assert sum(shown.values()) == 100, shown
    # The trend against the three months before, in words and as a figure.
    before = [month_kg for _, month_kg in data.trend[-4:-1]]
    change = round(100 * (row.kg - sum(before) / 3) / (sum(before) / 3))
    direction = "de plus" if change > 0 else "de moins"
    expect(summary).to_contain_text(
        re.compile(rf"{abs(change)}\s%\s{direction} que la moyenne des trois mois précédents")
    )

    kilos = main.get_by_test_id("stMetric").filter(has_text="Kilos collectés")
    in_first_screen(page, kilos)
    expect(kilos.get_by_test_id("stMetricValue")).to_have_text(kg)
    delta = kilos.get_by_test_id("stMetricDelta")
    in_first_screen(page, delta)
    expect(delta).to_contain_text(f"{'+' if change > 0 else '-'}{abs(change)} %")
    crates_metric = main.get_by_test_id("stMetric").filter(has_text="Cagettes collectées")
    in_first_screen(page, crates_metric)
    expect(crates_metric.get_by_test_id("stMetricValue")).to_have_text(crates_shown)

    receipt = main.get_by_role("button", name=f"Télécharger le reçu de {month_name} (PDF)")
    in_first_screen(page, receipt)

    _whole_page_screenshot(page, artifacts, f"market-manager-{device}-whole-page")

    # 4. Further down: every market of the month, theirs highlighted and named as theirs.
    ranking = main.get_by_test_id("stPlotlyChart").filter(has_text=OTHERS[0])
    expect(ranking).to_have_count(1)
    for name in (MARKET, *OTHERS):
        expect(ranking.locator("text", has_text=name)).to_have_count(1)
    fills = ranking.locator("g.point path").evaluate_all(
        "paths => paths.map(p => getComputedStyle(p).fill)"
    )
    assert len(fills) == data.markets and fills.count("rgb(213, 94, 0)") == 1, fills
    expect(main.get_by_text(f"n° {data.rank} des {data.markets} marchés")).to_be_visible()

    # 5. The receipt downloads as the month's PDF.
    with page.expect_download() as download:
        receipt.click()
    interactions += 1
    pdf = download.value
    # Sign in (3), then one tap: the page opens on the last whole month (issue 13, point 16).
    assert interactions == 4
    assert pdf.suggested_filename == f"recu-marche-de-belleville-{seeded.month:%Y-%m}.pdf"
    assert Path(pdf.path()).read_bytes().startswith(b"%PDF")
    no_traceback(page)

"""User text renders as plain text on every page (issue 8, item 5).

Names, notes and scanned text holding HTML, markdown or 5 000 characters are put
in the database, then every page is opened for every role and every element that
Streamlit renders as markdown (texts, messages, titles, widget labels, radio and
pill options) is checked: the hostile text must appear escaped (`common.plain`),
never as markup. st.dataframe cells and selectbox options are plain text already.
"""

from __future__ import annotations

from datetime import date

import pytest

from tests import factories
from tests.ui.conftest import open_page, scan, start
from workshop import codes, db, hours
from workshop.models import Design, Market, Role, Trainee, User
from workshop.ui import nav
from workshop.ui.common import plain

SCRIPT = "<script>alert(1)</script>"
MARKDOWN = "**gras** [lien](http://x)"
HOSTILE = f"{SCRIPT} {MARKDOWN}"
LONG = "Ü" * 5000
# What must never reach a markdown element unescaped.
RAW = ("<script>", "**gras**", "[lien](", "[x](")
# A market name that would render bold and as a live link if written as markdown.
LINK_MARKET = "Marché **gras** [x](javascript:alert(1))"


def _walk(node):
    yield node
    for child in getattr(node, "children", {}).values():
        yield from _walk(child)


def rendered(at, *, sidebar: bool = False) -> list[str]:
    """Every string of the page (or the sidebar) that Streamlit renders as markdown."""
    found: list[str] = []
    for node in _walk(at.sidebar if sidebar else at.main):
        kind = getattr(node, "type", "")
        for attr in ("value", "label", "body"):
            text = getattr(node, attr, None)
            if isinstance(text, str) and kind not in ("selectbox", "multiselect", "text_input"):
                found.append(text)
        if kind in ("radio", "button_group"):
            found.extend(o for o in getattr(node, "options", []) if isinstance(o, str))
    return found


def raw_markup(at, *, sidebar: bool = False) -> list[str]:
    return [s[:70] for s in rendered(at, sidebar=sidebar) if any(r in s for r in RAW)]


def _fit(text: str, length: int) -> str:
    return text[:length]


@pytest.fixture
def hostile(ui):
    """A hostile market, pickup note, users, design, build and trainee."""
    with db.write_session(ui) as session:
        market = Market(name=_fit(f"Marché {HOSTILE}", 120))
        session.add(market)
        session.add(
            Design(
                name=_fit(f"Banc {HOSTILE}", 120),
                name_en=_fit(f"Bench {HOSTILE}", 120),
                crates_needed=4,
                typical_hours=3,
            )
        )
        session.flush()
        market_id = market.id
    users = {
        role: factories.user(ui, role, display_name=_fit(f"{HOSTILE} {LONG}", 120))
        for role in Role
        if role != Role.market_manager
    }
    users[Role.market_manager] = factories.user(
        ui, Role.market_manager, display_name=_fit(HOSTILE, 120), market_id=market_id
    )
    lead = users[Role.lead]
    factories.lot(ui, lead, market_name=_fit(f"Marché {HOSTILE}", 120), note=f"{HOSTILE}"[:500])
    factories.lot(ui, lead, note=_fit(LONG, 500))
    build = factories.build(ui, lead, design_name=_fit(f"Banc {HOSTILE}", 120))
    with db.write_session(ui) as session:
        programme = hours.programmes(session=session)[0]
        session.add(
            Trainee(
                display_name=_fit(HOSTILE, 60),
                programme_id=programme.id or 0,
                start_date=date(2026, 1, 1),
                badge_code=codes.mint("B"),
                pin_hash=hours.hash_pin("4321"),
                user_id=users[Role.trainee].id,
                consent_name=True,
            )
        )
    return users, build


@pytest.mark.parametrize("role", list(Role))
def test_every_page_shows_user_text_as_plain_text(hostile, role):
    users, _ = hostile
    user = users[role]
    at = start(user)
    assert not at.exception
    offenders = {"app.py": raw_markup(at)} if raw_markup(at) else {}
    for spec in nav.SIGNED_IN_PAGES:
        if spec.permission is not None and not can_open(user, spec):
            continue
        open_page(at, spec.file)
        assert not at.exception, (spec.file, at.exception)
        if bad := raw_markup(at):
            offenders[spec.file] = bad
    assert not offenders, "\n".join(f"{k}: {v}" for k, v in offenders.items())


def can_open(user: User, spec: nav.PageSpec) -> bool:
    from workshop.accounts import can

    return spec.permission is None or can(user, spec.permission)


@pytest.mark.parametrize("text", [HOSTILE, LONG, f"C-{MARKDOWN}"])
def test_scanned_or_typed_text_is_shown_as_typed(hostile, text):
    users, _ = hostile
    at = open_page(start(users[Role.lead]), "scan.py")
    scan(at, text)
    assert not at.exception
    assert raw_markup(at) == []
    assert at.error  # not a code: explained, never rendered as markup


def test_a_scanned_crate_or_lot_of_a_hostile_market_shows_its_name_as_typed(hostile, ui):
    users, _ = hostile
    lead = users[Role.lead]
    with db.write_session(ui) as session:
        session.add(Market(name=LINK_MARKET))
    crate = factories.crates_in_stock(ui, lead, n=1, market_name=LINK_MARKET)[0]
    lot = factories.lot(ui, lead, market_name=LINK_MARKET)
    at = open_page(start(lead), "scan.py")
    for code in (crate, lot.code):
        scan(at, code)
        assert not at.exception and not at.error
        assert raw_markup(at) == []
        assert any(plain(LINK_MARKET) in s for s in rendered(at)), code


@pytest.mark.parametrize("text", [HOSTILE, LONG])
def test_long_or_hostile_sign_in_and_badge_do_not_crash(ui, text):
    at = start()
    at.text_input[0].input(text)
    at.text_input[1].input(text)
    at.button[0].click().run()
    assert not at.exception and at.error
    assert raw_markup(at) == []


def test_pickup_note_typed_long_is_refused_not_crashed(hostile):
    users, _ = hostile
    at = open_page(start(users[Role.lead]), "pickups.py")
    at.text_input(key="new0_count_1").input("3")
    at.text_input(key="new0_note").input(LONG)
    at.button(key="new0_submit").click().run()
    assert not at.exception
    assert raw_markup(at) == []


def test_sidebar_shows_the_signed_in_name_as_plain_text(hostile):
    users, _ = hostile
    at = start(users[Role.lead])
    assert raw_markup(at, sidebar=True) == []

"""Every page, for every role that may open it, on a phone (390 x 844) and a laptop (1366 x 768).

The app runs on the demo data (`workshop.demo`, two years of pickups, pieces and
hours). Each role signs in once through the sign-in page like anyone, then every
page of its menu is opened by its address, in French and in English. At both
sizes (English: the laptop only, the texts are the same), each page must:
- not be wider than the screen (`document.documentElement.scrollWidth <= innerWidth`);
- show none of Streamlit's own English texts in French (STREAMLIT_ENGLISH), and none of
  the French catalog's sentences in English;
- raise no uncaught error (no exception box, no JavaScript `pageerror`);
and, on the phone, no table of the main pages scrolls sideways (issue 13, point 8).
Screenshots: test-artifacts/13-check-<role>-<page>-<width>.png (French).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pytest
from sqlmodel import select

from tests.conftest import ROOT
from tests.e2e.conftest import running_app
from tests.e2e.helpers import app_ready, expect, whole_page_screenshot
from workshop import db, demo, i18n, startup
from workshop.models import Build, BuildStatus, Role, User
from workshop.ui import nav

pytestmark = pytest.mark.e2e

SCREENSHOTS = ROOT / "test-artifacts"
SIZES = ((390, 844), (1366, 768))
# Streamlit's own English texts (its widgets' built-in words), as a French reader would
# see them. Regular expressions, matched on the page's visible text and its fields'
# placeholders.
STREAMLIT_ENGLISH = (
    r"View \d+ more",
    r"View less",
    r"Drag and drop",
    r"Browse files",
    r"\bUpload\b",
    r"\d+ ?MB per file",
    r"Limit \d+",
    r"Choose an? (option|options)",
    r"No options to select",
    r"No results",
    r"Press Enter to",
    r"(?i)\bdd\s*/\s*mm\s*/\s*yyyy\b",
    r"\bYYYY/MM/DD\b",
    r"Take Photo",
    r"Clear photo",
    r"Switch camera",
    r"\bRunning\.\.\.",
    r"Please wait",
    r"\(\d+ format\)",
    r"Made with Streamlit",
    r"Page not found",
)
# Pages whose tables a lead reads on a phone: none may scroll sideways at 390 px.
TABLE_PAGES = {"pickups", "builds", "trainees", "my_hours", "hours_reports", "designs"}


def _french_sentences() -> list[str]:
    """Pieces of the French catalog that no English message contains (16+ characters)."""
    english = "\n".join(i18n.catalog("en").values())
    pieces = set()
    for value in i18n.catalog("fr").values():
        for piece in re.split(r"\{[^}]*\}|\n", value):
            piece = piece.strip(" .,:;()·–-")
            if len(piece) >= 16 and piece not in english:
                pieces.add(piece)
    return sorted(pieces)


@dataclass(frozen=True)
class DemoApp:
    """The app on the demo data, and the code of one finished piece (for its passport)."""

    url: str
    piece: str


@pytest.fixture(scope="module")
def demo_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoApp]:
    """The app on a database filled by `seed_demo` (what `make demo` shows)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('demo-db') / 'demo.db'}"
    engine = startup.open_database(url)
    with db.write_session(engine) as session:
        demo.seed_demo(session=session)
    with db.read_session(engine) as session:
        piece = session.exec(select(Build).where(Build.status == BuildStatus.finished)).first()
        assert piece is not None, "the demo data has a finished piece"
        code = piece.code
    engine.dispose()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with running_app(
        url, tmp_path_factory.mktemp("demo-data"), SCREENSHOTS / "13-streamlit.log"
    ) as app:
        yield DemoApp(app, code)


def _pages(role: Role) -> list[tuple[str, str]]:
    """(name, address) of the pages this role's menu lists; the landing page's address is
    "/" (Streamlit knows it by no other), shop-floor mode last (turned on, it signs out)."""
    user = User(role=role, username="x", display_name="x")
    specs = nav.visible_specs(user, needs_first_admin=False)
    first = nav.landing(user, specs)
    pages = [
        (s.file.removesuffix(".py"), "/" if s is first else "/" + s.file.removesuffix(".py"))
        for s in specs
    ]
    return sorted(pages, key=lambda p: p[0] == "shop_floor")


class Problems:
    """What went wrong on the pages seen so far, reported all at once at the end."""

    def __init__(self) -> None:
        self.found: list[str] = []

    def add(self, where: str, what: str) -> None:
        self.found.append(f"{where}: {what}")


def _visible_text(page: Any) -> str:
    """The text a reader sees (hidden, transparent or zero-size text left out), and the
    placeholders of visible empty fields."""
    return str(
        page.evaluate(
            """() => {
              const seen = [];
              const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
              while (walker.nextNode()) {
                const el = walker.currentNode.parentElement;
                if (!el || !el.checkVisibility({opacityProperty: true,
                                                visibilityProperty: true})) continue;
                if (parseFloat(getComputedStyle(el).fontSize) === 0) continue;
                seen.push(walker.currentNode.textContent);
              }
              for (const el of document.querySelectorAll('input, textarea')) {
                if (el.placeholder && !el.value && el.checkVisibility()) seen.push(el.placeholder);
              }
              return seen.join('\\n');
            }"""
        )
    )


def _sideways_tables(page: Any) -> int:
    """How many visible tables are wider than their box (they would scroll sideways)."""
    return int(
        page.evaluate(
            """() => [...document.querySelectorAll(
                  '[data-testid="stDataFrame"] .dvn-scroller, [data-testid="stTable"]')]
               .filter(el => el.offsetParent !== null && el.scrollWidth > el.clientWidth + 1)
               .length"""
        )
    )


def _check(page: Any, problems: Problems, where: str, lang: str, errors: list[str]) -> None:
    """One page at both sizes: width, the other language's texts, errors; French screenshots."""
    foreign = (
        [re.compile(p) for p in STREAMLIT_ENGLISH]
        if lang == "fr"
        else [re.compile(re.escape(s)) for s in FRENCH]
    )
    path = where.split("/")[-1]
    # The texts do not change with the width: English is read on the laptop only.
    for width, height in SIZES if lang == "fr" else SIZES[1:]:
        page.set_viewport_size({"width": width, "height": height})
        page.wait_for_timeout(250)  # charts and tables redraw for the new width
        scroll, inner, main = page.evaluate(
            """() => [document.documentElement.scrollWidth, window.innerWidth,
                      (document.querySelector('[data-testid="stMain"]')
                       || document.documentElement).scrollWidth]"""
        )
        if max(scroll, main) > inner:
            problems.add(f"{where} {width}", f"page {max(scroll, main)} px wide on {inner} px")
        text = _visible_text(page)
        for pattern in foreign:
            if found := pattern.search(text):
                problems.add(f"{where} {width} {lang}", f"shows {found.group(0)!r}")
        if lang == "fr" and width < 640 and path in TABLE_PAGES and _sideways_tables(page):
            problems.add(f"{where} {width}", "a table scrolls sideways")
        if page.get_by_test_id("stException").count():
            problems.add(f"{where} {width} {lang}", "an exception box")
        if lang == "fr":
            name = where.replace("/", "-")
            whole_page_screenshot(page, SCREENSHOTS / f"13-check-{name}-{width}.png")
    if errors:
        problems.add(f"{where} {lang}", f"JavaScript errors {errors}")
        errors.clear()


def _loaded(page: Any) -> None:
    """The page's script has run to its end (every page starts with a title) and drawn."""
    expect(page.get_by_test_id("stMain").locator("h1").first).to_be_visible()
    app_ready(page)
    page.wait_for_timeout(300)  # plotly draws its charts after the run ends


SIGN_IN = {"fr": "Se connecter", "en": "Sign in"}


def _sign_in(page: Any, username: str, password: str, lang: str) -> None:
    page.goto(f"/?lang={lang}")
    _loaded(page)
    label = {"fr": ("Identifiant", "Mot de passe"), "en": ("Username", "Password")}[lang]
    page.get_by_label(label[0]).fill(username)
    page.get_by_label(label[1], exact=True).fill(password)
    page.get_by_label(label[1], exact=True).press("Enter")
    _loaded(page)
    # The server sets the sign-in cookie on the trip to /session/start, which then sends
    # the browser home: that trip ends before a page is opened by its address (each a
    # new session that reads the cookie), or it would interrupt the opening.
    for _ in range(50):
        if any(c["name"] == "atelier_session" for c in page.context.cookies()):
            page.wait_for_url(re.compile(r"^https?://[^/]+/$"))
            _loaded(page)
            return
        page.wait_for_timeout(200)
    raise AssertionError(f"{username}: no sign-in cookie after 10 s")


FRENCH = _french_sentences()


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_every_page_fits_speaks_one_language_and_raises_nothing(
    browser: Any, demo_app: DemoApp, lang: str
) -> None:
    problems = Problems()
    seen = 0
    for username, _name, role, password in [(None, None, None, None), *demo.DEMO_USERS]:
        context = browser.new_context(
            base_url=demo_app.url, locale="fr-FR", viewport={"width": 1366, "height": 768}
        )
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda err, errors=errors: errors.append(str(err)))
        try:
            if role is None:  # signed out: the sign-in page, and a piece's public passport
                page.goto(f"/?lang={lang}")
                _loaded(page)
                _check(page, problems, "anyone/sign_in", lang, errors)
                # The passport is a plain HTML page (workshop/web), no Streamlit in it.
                page.goto(f"/p/{demo_app.piece}?lang={lang}")
                expect(page.locator("h1").first).to_be_visible()
                _check(page, problems, "anyone/passport", lang, errors)
                seen += 2
                continue
            _sign_in(page, username, password, lang)
            for path, address in _pages(role):
                page.goto(f"{address}?lang={lang}")
                _loaded(page)
                assert urlsplit(page.url).path == address, f"{role.value}: no {path}"
                expect(page.get_by_role("button", name=SIGN_IN[lang])).to_have_count(0)
                _check(page, problems, f"{role.value}/{path}", lang, errors)
                seen += 1
        finally:
            context.close()
    assert seen >= 40
    assert not problems.found, "\n".join(problems.found)

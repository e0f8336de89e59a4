"""AppTest helpers: the app started from app.py, signed in as a given user."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests import factories
from tests.conftest import APP, ROOT
from workshop import db
from workshop.models import User
from workshop.ui import common

PAGES = "workshop/ui/pages"


def sign_in(at: AppTest, user: User) -> None:
    """Sign `user` in as the sign-in page does: a new token in the session (checked each run)."""
    engine = db.make_engine()  # the test's database (WORKSHOP_DATABASE_URL)
    try:
        at.session_state[common.TOKEN] = factories.sign_in_token(engine, user)
    finally:
        engine.dispose()
    at.session_state["user_id"] = user.id


def start(user: User | None = None, lang: str | None = None) -> AppTest:
    """The app after its first run, signed in as `user`, in `lang`."""
    at = AppTest.from_file(APP, default_timeout=30)
    if user is not None:
        sign_in(at, user)
    if lang is not None:
        at.session_state["lang"] = lang
    return at.run()


def open_page(at: AppTest, page: str) -> AppTest:
    """Switch to `page` (a file name under workshop/ui/pages) and run it."""
    return at.switch_page(f"{PAGES}/{page}").run()


def page_alone(page: str, user: User | None) -> AppTest:
    """Run a page file directly, as if its URL were opened without the navigation's filter."""
    at = AppTest.from_file(str(ROOT / PAGES / page), default_timeout=30)
    if user is not None:
        sign_in(at, user)
    return at.run()


def texts(elements) -> list[str]:
    """The values of a list of elements (titles, errors…)."""
    return [e.value for e in elements]


@pytest.fixture
def ui(engine):
    """The test database, ready for AppTest (WORKSHOP_DATABASE_URL points at it)."""
    return engine


def scan(at: AppTest, text: str, key: str = "scan_field") -> AppTest:
    """Type `text` + Enter in the scanner field (a custom component AppTest cannot click)."""
    number = (
        int(at.session_state[f"{key}__handled"]) + 1 if f"{key}__handled" in at.session_state else 1
    )
    at.session_state[key] = {"scans": [[number, text]]}
    return at.run()

"""What every browser test needs: waiting for Streamlit, no traceback, the sidebar links."""

from __future__ import annotations

from typing import Any


def expect(locator: Any) -> Any:
    """playwright's `expect`, imported late so a missing browser skips/fails in the fixture."""
    from playwright.sync_api import expect as pw_expect

    return pw_expect(locator)


def app_ready(page: Any) -> None:
    """Wait until Streamlit has finished the current run (no "running" indicator)."""
    expect(page.get_by_test_id("stApp")).to_be_visible()
    expect(page.locator('[data-testid="stApp"][data-test-script-state="running"]')).to_have_count(0)


def no_traceback(page: Any) -> None:
    """No Python exception box and no traceback text on the page."""
    expect(page.get_by_test_id("stException")).to_have_count(0)
    expect(page.get_by_text("Traceback")).to_have_count(0)


def nav_link(page: Any, name: str) -> Any:
    """A page link in the sidebar navigation."""
    return page.get_by_test_id("stSidebarNav").get_by_role("link", name=name, exact=True)

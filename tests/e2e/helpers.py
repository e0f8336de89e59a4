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


def in_first_screen(page: Any, locator: Any) -> None:
    """The element is visible without scrolling: its whole box lies inside the viewport."""
    expect(locator).to_be_visible()
    box = locator.bounding_box()
    size = page.viewport_size
    assert box is not None and size is not None
    inside = (
        box["y"] >= 0
        and box["y"] + box["height"] <= size["height"]
        and box["x"] >= 0
        and box["x"] + box["width"] <= size["width"]
    )
    assert inside, f"{locator} at {box} is not inside the {size['width']}x{size['height']} screen"


def never_scrolled(page: Any) -> None:
    """Neither the window nor any scrolling box of the page has moved from the top."""
    moved = page.evaluate(
        "() => window.scrollY + [...document.querySelectorAll('*')]"
        ".reduce((sum, el) => sum + el.scrollTop, 0)"
    )
    assert moved == 0, f"the page was scrolled by {moved} px"


def screenshot(page: Any, directory: Any, step: str, *, full_page: bool = False) -> Any:
    """Save `directory`/NN-step.png (numbered like `shot`), by default the screen alone."""
    number = len(list(directory.glob("*.png"))) + 1
    path = directory / f"{number:02d}-{step}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


def whole_page_screenshot(page: Any, path: Any) -> Any:
    """Save the whole page at `path`: Streamlit scrolls inside the app, so the window is made
    as tall as the page for the picture (same width), then put back."""
    size = page.viewport_size
    if not page.get_by_test_id("stMainBlockContainer").count():  # a plain page (workshop/web)
        page.screenshot(path=str(path), full_page=True)
        return path
    tallest = page.evaluate(
        "() => Math.ceil(document.querySelector('[data-testid=\"stMainBlockContainer\"]')"
        ".getBoundingClientRect().bottom)"
    )
    page.set_viewport_size({"width": size["width"], "height": max(tallest, size["height"])})
    app_ready(page)
    page.screenshot(path=str(path))
    page.set_viewport_size(size)
    return path


def an_admin(session: Any, username: str, display_name: str, password: str) -> Any:
    """The e2e app's first admin, made with these credentials when this file runs alone
    (the shared database then holds no user yet)."""
    from sqlmodel import select

    from workshop import accounts
    from workshop.models import Role, User

    first = session.exec(
        select(User).where(User.role == Role.admin).order_by(User.id)  # type: ignore[arg-type]
    ).first()
    return first or accounts.create_first_admin(
        session=session, username=username, display_name=display_name, password=password
    )

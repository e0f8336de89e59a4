"""Which pages each user sees: built from the role matrix in `accounts.PERMISSIONS`."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from workshop import config
from workshop.accounts import Permission, can
from workshop.models import Role, User
from workshop.ui import common
from workshop.ui.common import t

PAGES_DIR = "workshop/ui/pages"


# The app's areas, in the order of the sidebar (docs/ARCHITECTURE.md names the same ones).
HOME, FLOW, HOURS, IMPACT, OPERATIONS = "", "flow", "hours", "impact", "operations"
SECTIONS = (HOME, FLOW, HOURS, IMPACT, OPERATIONS)


@dataclass(frozen=True)
class PageSpec:
    """A page file, its title key, icon, area, and the permission it needs (None: anyone)."""

    file: str
    title_key: str
    icon: str
    permission: Permission | None
    section: str = HOME


SIGNED_IN_PAGES = (
    PageSpec("home.py", "nav.home", ":material/home:", None),
    # From the market to the furniture: pickups → crates → builds → passport.
    PageSpec("pickups.py", "nav.pickups", ":material/local_shipping:", Permission.pickups, FLOW),
    PageSpec("labels.py", "nav.labels", ":material/qr_code_2:", Permission.pickups, FLOW),
    PageSpec(
        "import_pickups.py",
        "nav.import_pickups",
        ":material/upload_file:",
        Permission.pickups,
        FLOW,
    ),
    PageSpec("scan.py", "nav.scan", ":material/barcode_reader:", Permission.scan, FLOW),
    PageSpec("builds.py", "nav.builds", ":material/chair:", Permission.builds_view, FLOW),
    PageSpec("designs.py", "nav.designs", ":material/design_services:", Permission.builds, FLOW),
    # Trainee hours.
    PageSpec("trainees.py", "nav.trainees", ":material/badge:", Permission.hours, HOURS),
    PageSpec(
        "hours_approval.py", "nav.hours_approval", ":material/schedule:", Permission.hours, HOURS
    ),
    PageSpec(
        "hours_reports.py", "nav.hours_reports", ":material/summarize:", Permission.hours, HOURS
    ),
    PageSpec("shop_floor.py", "nav.shop_floor", ":material/tablet:", Permission.hours, HOURS),
    PageSpec("my_hours.py", "nav.my_hours", ":material/schedule:", Permission.own_hours, HOURS),
    # Impact: kilos kept out of the bins, per market and month, beside the other venues.
    PageSpec(
        "dashboard.py", "nav.dashboard", ":material/bar_chart:", Permission.dashboards, IMPACT
    ),
    PageSpec("market.py", "nav.market", ":material/storefront:", Permission.dashboards, IMPACT),
    PageSpec("venues.py", "nav.venues", ":material/diversity_3:", Permission.venues_view, IMPACT),
    PageSpec(
        "documents.py", "nav.documents", ":material/description:", Permission.documents, IMPACT
    ),
    # Accounts and operations.
    PageSpec("users.py", "nav.users", ":material/group:", Permission.manage_users, OPERATIONS),
    PageSpec("settings.py", "nav.settings", ":material/settings:", Permission.settings, OPERATIONS),
    PageSpec("backups.py", "nav.backups", ":material/backup:", Permission.backup, OPERATIONS),
    PageSpec(
        "audit_log.py", "nav.audit_log", ":material/history:", Permission.audit_log, OPERATIONS
    ),
)
SIGN_IN = PageSpec("sign_in.py", "nav.sign_in", ":material/login:", None)
FIRST_ADMIN = PageSpec("first_admin.py", "nav.first_admin", ":material/person_add:", None)
# The workshop's public totals: listed for everyone, signed in or not, when the setting is on.
SUMMARY = PageSpec("summary.py", "nav.summary", ":material/public:", None)


# Shop-floor mode (the shared tablet): set by shop_floor.py (common.start_shop_floor);
# while it is on, nobody is signed in and the navigation holds that page alone.
SHOP_FLOOR_KEY = common.SHOP_FLOOR
SHOP_FLOOR = next(s for s in SIGNED_IN_PAGES if s.file == "shop_floor.py")


# On a phone Streamlit leaves the menu open over the page after a tap on one of its
# links; these few lines close it (once per browser tab, at any width up to a phone's).
_CLOSE_MENU_JS = """
export default function() {
  if (window.atelierMenuCloses) { return; }
  window.atelierMenuCloses = true;
  document.addEventListener("click", (event) => {
    const link = event.target.closest('[data-testid="stSidebarNavLink"]');
    if (!link || !window.matchMedia("(max-width: 640px)").matches) { return; }
    setTimeout(() => {
      const close = document.querySelector('[data-testid="stSidebarCollapseButton"] button');
      if (close) { close.click(); }
    }, 0);
  }, true);
}
"""
_close_menu = st.components.v2.component("atelier_phone_menu", js=_CLOSE_MENU_JS)


def close_menu_after_tap() -> None:
    """On a phone, a tap on a menu link closes the menu (call in the sidebar, every run)."""
    _close_menu(key="atelier_phone_menu", height=0)


def page_path(file: str) -> str:
    """Path of a page file, as st.Page, st.switch_page and st.page_link take it."""
    return f"{PAGES_DIR}/{file}"


def _page(spec: PageSpec, *, default: bool = False, hidden: bool = False) -> st.Page:
    return st.Page(
        page_path(spec.file),
        title=t(spec.title_key),
        icon=spec.icon,
        url_path=spec.file.removesuffix(".py"),
        default=default,
        visibility="hidden" if hidden else "visible",
    )


def visible_specs(user: User | None, *, needs_first_admin: bool) -> list[PageSpec]:
    """The pages this user may open, in the sidebar's order."""
    public = [SUMMARY] if config.public_summary_enabled() else []
    if user is None:
        return [FIRST_ADMIN if needs_first_admin else SIGN_IN, *public]
    specs = [s for s in SIGNED_IN_PAGES if s.permission is None or can(user, s.permission)]
    return [*specs, *public]


def landing(user: User | None, specs: list[PageSpec]) -> PageSpec:
    """The page a user lands on: a market manager on their market's month, others on the first."""
    if user is not None and user.role == Role.market_manager:
        return next((s for s in specs if s.file == "market.py"), specs[0])
    return specs[0]


def _sections(pages: list[tuple[PageSpec, st.Page]]) -> dict[str, list[st.Page]]:
    """Pages grouped under their area's title, areas in the sidebar's order."""
    grouped: dict[str, list[st.Page]] = {}
    for section in SECTIONS:
        found = [page for spec, page in pages if spec.section == section]
        if found:
            grouped[t(f"nav.section.{section}") if section else ""] = found
    return grouped


def pages_for(user: User | None, *, needs_first_admin: bool) -> dict[str, list[st.Page]]:
    """The navigation of `visible_specs` by area; no other URL opens (the public passport
    is a plain HTTP page, workshop/web/passport.py)."""
    specs = visible_specs(user, needs_first_admin=needs_first_admin)
    first = landing(user, specs)
    return _sections([(spec, _page(spec, default=spec is first)) for spec in specs])


def shop_floor_pages() -> list[st.Page]:
    """The navigation of a tablet in shop-floor mode: that page alone."""
    return [_page(SHOP_FLOOR, default=True)]

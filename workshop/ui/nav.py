"""Which pages each user sees: built from the role matrix in `accounts.PERMISSIONS`."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from workshop import config
from workshop.accounts import Permission, can
from workshop.models import Role, User
from workshop.ui.common import t

PAGES_DIR = "workshop/ui/pages"


@dataclass(frozen=True)
class PageSpec:
    """A page file, its title key, icon, and the permission it needs (None: any signed-in user)."""

    file: str
    title_key: str
    icon: str
    permission: Permission | None


SIGNED_IN_PAGES = (
    PageSpec("home.py", "nav.home", ":material/home:", None),
    PageSpec("pickups.py", "nav.pickups", ":material/local_shipping:", Permission.pickups),
    PageSpec("labels.py", "nav.labels", ":material/qr_code_2:", Permission.pickups),
    PageSpec(
        "import_pickups.py", "nav.import_pickups", ":material/upload_file:", Permission.pickups
    ),
    PageSpec("scan.py", "nav.scan", ":material/barcode_reader:", Permission.scan),
    PageSpec("builds.py", "nav.builds", ":material/chair:", Permission.builds_view),
    PageSpec("designs.py", "nav.designs", ":material/design_services:", Permission.builds),
    PageSpec("dashboard.py", "nav.dashboard", ":material/bar_chart:", Permission.dashboards),
    PageSpec("market.py", "nav.market", ":material/storefront:", Permission.dashboards),
    PageSpec("venues.py", "nav.venues", ":material/diversity_3:", Permission.venues_view),
    PageSpec("trainees.py", "nav.trainees", ":material/badge:", Permission.hours),
    PageSpec("hours_approval.py", "nav.hours_approval", ":material/schedule:", Permission.hours),
    PageSpec("hours_reports.py", "nav.hours_reports", ":material/summarize:", Permission.hours),
    PageSpec("shop_floor.py", "nav.shop_floor", ":material/tablet:", Permission.hours),
    PageSpec("my_hours.py", "nav.my_hours", ":material/schedule:", Permission.own_hours),
    PageSpec("users.py", "nav.users", ":material/group:", Permission.manage_users),
    PageSpec("settings.py", "nav.settings", ":material/settings:", Permission.settings),
    PageSpec("backups.py", "nav.backups", ":material/backup:", Permission.backup),
    PageSpec("audit_log.py", "nav.audit_log", ":material/history:", Permission.audit_log),
)
SIGN_IN = PageSpec("sign_in.py", "nav.sign_in", ":material/login:", None)
FIRST_ADMIN = PageSpec("first_admin.py", "nav.first_admin", ":material/person_add:", None)
# Open to everyone (no sign-in), reached through a piece's QR code, not the menu.
PASSPORT = PageSpec("passport.py", "nav.passport", ":material/badge:", None)
# The workshop's public totals: listed for everyone, signed in or not, when the setting is on.
SUMMARY = PageSpec("summary.py", "nav.summary", ":material/public:", None)


# Shop-floor mode (the shared tablet): set in session_state by shop_floor.py; while
# it is on, nobody is signed in and the navigation holds that page alone.
SHOP_FLOOR_KEY = "shop_floor_mode"
SHOP_FLOOR = next(s for s in SIGNED_IN_PAGES if s.file == "shop_floor.py")


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
    """The pages this user may open, the first being the default."""
    public = [SUMMARY] if config.public_summary_enabled() else []
    if user is None:
        return [FIRST_ADMIN if needs_first_admin else SIGN_IN, *public]
    specs = [s for s in SIGNED_IN_PAGES if s.permission is None or can(user, s.permission)]
    if user.role == Role.market_manager:
        # A market manager lands on their market's month: the one screen they come for.
        specs.sort(key=lambda s: s.file != "market.py")
    return [*specs, *public]


def pages_for(
    user: User | None, *, needs_first_admin: bool, passport_first: bool = False
) -> list[st.Page]:
    """st.Page objects for `visible_specs`, plus the hidden passport; nothing else opens by URL."""
    specs = visible_specs(user, needs_first_admin=needs_first_admin)
    if passport_first:
        return [_page(PASSPORT, default=True, hidden=True), *(_page(s) for s in specs)]
    return [_page(spec, default=i == 0) for i, spec in enumerate(specs)] + [
        _page(PASSPORT, hidden=True)
    ]


def shop_floor_pages() -> list[st.Page]:
    """The navigation of a tablet in shop-floor mode: that page alone."""
    return [_page(SHOP_FLOOR, default=True)]

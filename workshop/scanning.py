"""What a scanned code leads to on the Scan page: the routing table and the double-read filter.

Three ways in (a USB scanner, a photo, a `?code=` link) end in one handler; this
module says what that handler does with a code, so the rule is tested without a page:

- a build (M…) opens that build's page, for whoever may see builds;
- while a build's scan session is open, a crate (C…) goes into that build, and a lot
  or a badge is refused (scanned into a piece by mistake: nothing is added);
- anything else is shown with its next actions (a crate's outcome, sorting a lot).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from workshop import builds, codes
from workshop.accounts import Permission, can, require
from workshop.errors import WrongCodeKind
from workshop.models import User

DOUBLE_READ_SECONDS = 2.0


@dataclass(frozen=True)
class OpenBuild:
    """Open this build's page."""

    build_id: int


@dataclass(frozen=True)
class Attach:
    """Put the scanned crate into the build of the open scan session, then show it."""

    build_id: int


@dataclass(frozen=True)
class Show:
    """Show the crate or lot with its next actions."""

    code: str


def route(
    *, session: Session, actor: User, code: str, open_build_id: int | None = None
) -> OpenBuild | Attach | Show:
    """What to do with a scanned code (already read by `codes.parse`); refusals raise."""
    require(actor, Permission.scan)
    kind = codes.kind_of(code)
    if kind == codes.BUILD and can(actor, Permission.builds_view):
        return OpenBuild(builds.get_build_by_code(session=session, code=code).id or 0)
    if open_build_id is not None and kind == codes.CRATE:
        return Attach(open_build_id)
    if open_build_id is not None and kind != codes.BUILD:
        raise WrongCodeKind(expected=codes.CRATE, found=kind, code=codes.format_code(code))
    return Show(code)


class DoubleReadFilter:
    """Ignores a code read again within `window` seconds (a scanner's double read)."""

    def __init__(self, window: float = DOUBLE_READ_SECONDS) -> None:
        self.window = window
        self._last: tuple[str, float] | None = None

    def is_repeat(self, code: str, now: float) -> bool:
        """True if `code` is the same as the previous read and came within the window."""
        repeat = (
            self._last is not None and self._last[0] == code and now - self._last[1] < self.window
        )
        self._last = (code, now)
        return repeat

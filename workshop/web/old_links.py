"""Links printed before the passport moved: `/?code=M…` opens `/p/M…`."""

from __future__ import annotations

from urllib.parse import parse_qs, quote

from starlette.responses import RedirectResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from workshop import codes
from workshop.errors import InvalidInput


def passport_path(text: str) -> str | None:
    """`/p/{code}` when a home page's `code=` names a piece (or nothing readable), else None.

    Crate, lot and badge codes stay on the home page: the app hands them to the Scan page.
    """
    if not text or codes.kind_or_none(text) not in (None, codes.BUILD):
        return None
    try:
        code = codes.parse(text, expect=codes.BUILD)
    except InvalidInput:
        code = text[:100]  # the passport's neutral "not found"
    return "/p/" + quote(code, safe="")


class OldLinks:
    """ASGI middleware: GET `/?code=M…` answers a permanent redirect to the passport."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == "/" and scope.get("query_string"):
            values = parse_qs(scope["query_string"].decode("latin-1")).get("code") or [""]
            if target := passport_path(values[0]):
                await RedirectResponse(target, status_code=301)(scope, receive, send)
                return
        await self.app(scope, receive, send)

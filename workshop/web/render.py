"""Our responses: Jinja2 pages, the language a visitor reads, the security headers.

Templates and the stylesheet ship in the package (`workshop/web/templates/`). The
stylesheet is inlined in every page (one request fewer on a slow phone) and allowed
by its hash in the Content-Security-Policy, so no other inline style can run.
"""

from __future__ import annotations

import base64
import hashlib
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from workshop import config, i18n

TEMPLATES = Path(__file__).resolve().parent / "templates"
LANG_COOKIE = "atelier_lang"
LANG_COOKIE_MAX_AGE = 400 * 24 * 3600  # the longest a browser keeps a cookie
OG_LOCALES = {"fr": "fr_FR", "en": "en_GB"}

_env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)
CSS = (TEMPLATES / "site.css").read_text(encoding="utf-8")
STYLE_HASH = "'sha256-" + base64.b64encode(hashlib.sha256(CSS.encode()).digest()).decode() + "'"


def accepted_language(header: str) -> str | None:
    """The first of our languages an Accept-Language header asks for (by weight), or None."""
    weighted: list[tuple[float, int, str]] = []
    for position, item in enumerate(header.split(",")[:20]):
        tag, _, params = item.strip().partition(";")
        weight = 1.0
        if params.strip().startswith("q="):
            try:
                weight = float(params.strip()[2:])
            except ValueError:
                continue
        primary = tag.strip().split("-")[0].lower()
        if primary in i18n.LANGUAGES and weight > 0:
            weighted.append((-weight, position, primary))
    return min(weighted)[2] if weighted else None


def language(request: Request) -> str:
    """The language of this visit: `?lang=`, then the chosen one (cookie), then the browser's."""
    for wanted in (request.query_params.get("lang"), request.cookies.get(LANG_COOKIE)):
        if wanted in i18n.LANGUAGES:
            return str(wanted)
    header = request.headers.get("accept-language", "")
    return accepted_language(header) or config.default_language()


def other_language(lang: str) -> str:
    """The language the switch link offers."""
    return next(other for other in i18n.LANGUAGES if other != lang)


def page(
    request: Request, template: str, lang: str, status_code: int = 200, **context: Any
) -> HTMLResponse:
    """A rendered template in `lang`, with the language switch and the stylesheet."""
    other = other_language(lang)
    html = _env.get_template(template).render(
        lang=lang,
        other_lang=other,
        # Relative: the same page in the other language (and a 404 that names no path).
        switch_url="?" + urlencode({"lang": other}),
        t=partial(i18n.translate, lang=lang),
        css=CSS,
        og_locale=OG_LOCALES[lang],
        **context,
    )
    response = HTMLResponse(html, status_code=status_code)
    response.headers["Content-Language"] = lang
    response.headers["Vary"] = "Accept-Language, Cookie"
    if request.query_params.get("lang") == lang:
        remember_language(response, lang, request)
    return response


def remember_language(response: Any, lang: str, request: Request) -> None:
    """Keep a visitor's chosen language in a cookie set by the server."""
    response.set_cookie(
        LANG_COOKIE,
        lang,
        max_age=LANG_COOKIE_MAX_AGE,
        path="/",
        httponly=True,
        secure=request.url.scheme == "https",
        samesite="lax",
    )


# Nothing runs on our pages: no script, no frame, no form posting elsewhere; images
# and the manifest from here only; the one stylesheet by its hash.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; "
    "img-src 'self'; "
    f"style-src {STYLE_HASH}; "
    "manifest-src 'self'; "
    "base-uri 'none'; "
    "form-action 'self'; "
    "frame-ancestors 'none'"
)
HEADERS: tuple[tuple[bytes, bytes], ...] = tuple(
    (name.encode("latin-1"), value.encode("latin-1"))
    for name, value in (
        ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "strict-origin-when-cross-origin"),
        ("X-Frame-Options", "DENY"),
        ("Cross-Origin-Opener-Policy", "same-origin"),
        ("Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()"),
    )
)


class SecurityHeaders:
    """ASGI middleware adding HEADERS to every HTTP response of the routes it wraps."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(n, v) for n, v in HEADERS if n.lower() not in names]
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)

"""The sign-in cookie, set and cleared by the server (HttpOnly: no script can read it).

The Streamlit page that signs someone in sends the browser to `/session/start` with a
one-time ticket (`signin_tokens.hand_over`); signing out sends it to `/session/end`.
Both answer with the cookie change and a redirect back into the app. The language a
visitor chooses is kept the same way (`/session/language`).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from workshop import config, i18n, signin_tokens
from workshop.web import render


def _back_to(request: Request) -> str:
    """Where to go next: a path of this site only (never `//other.site` or a full URL)."""
    wanted = request.query_params.get("next", "/")
    if not wanted.startswith("/") or wanted.startswith(("//", "/\\")) or len(wanted) > 300:
        return "/"
    return wanted if wanted.isprintable() and wanted.isascii() else "/"


def _secure(request: Request) -> bool:
    return request.url.scheme == "https" or config.base_url().startswith("https://")


def _redirect(request: Request) -> Response:
    response = RedirectResponse(_back_to(request), status_code=303)
    response.headers["Cache-Control"] = "no-store"
    return response


def start(request: Request) -> Response:
    """GET /session/start?ticket=…: the sign-in cookie for the ticket's token, then back."""
    response = _redirect(request)
    issued = signin_tokens.take(request.query_params.get("ticket"))
    # Only the app's own page sends a browser here: another site's link (a ticket of the
    # other site owner's account, to sign a visitor in as them) sets nothing.
    from_elsewhere = request.headers.get("sec-fetch-site", "same-origin") != "same-origin"
    if issued is not None and not from_elsewhere:
        response.set_cookie(
            signin_tokens.COOKIE,
            issued.token,
            max_age=issued.lifetime_s,
            path="/",
            httponly=True,
            secure=_secure(request),
            samesite="strict",
        )
    return response


def end(request: Request) -> Response:
    """GET /session/end: the sign-in cookie cleared (the token was already ended), then back."""
    response = _redirect(request)
    response.delete_cookie(
        signin_tokens.COOKIE, path="/", httponly=True, secure=_secure(request), samesite="strict"
    )
    return response


def language(request: Request) -> Response:
    """GET /session/language?set=en: a visitor's language kept in a cookie, then back."""
    response = _redirect(request)
    if (wanted := request.query_params.get("set")) in i18n.LANGUAGES:
        render.remember_language(response, str(wanted), request)
    return response

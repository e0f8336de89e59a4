"""The app's plain HTTP side: pages and files served without Streamlit's JavaScript.

- `render`: Jinja2 templates, the visitor's language, the security headers of every route.
- `data`: the routes' database engine and the client's address.
- `passport`: the public passport of a piece, `/p/{code}` (and its photo), and how many
  unknown codes one address may ask for.
- `session`: the HttpOnly sign-in cookie, set and cleared by the server.
- `summary`: the public summary as a page for a venue's screen, `/figures`.
- `opendata`: kilos, crates and CO2e per market and month, `/api/impact.csv|json`.
- `app_icons`: the web app manifest and its icons (from assets/logo.png).
- `old_links`: `/?code=M…` links (labels printed before) redirected to `/p/M…`.

`routes()` is what the ASGI entry point (`asgi.py`) mounts beside Streamlit's own.
Nothing here imports streamlit.
"""

from __future__ import annotations

from starlette.middleware import Middleware
from starlette.routing import Route

from workshop.web import app_icons, opendata, passport, session, summary
from workshop.web.old_links import OldLinks
from workshop.web.render import SecurityHeaders


def routes() -> list[Route]:
    """Every route of ours, each sending the security headers."""
    secured = [Middleware(SecurityHeaders)]
    table = [
        ("/p/{code}", passport.passport),
        ("/p/{code}/photo.jpg", passport.photo),
        ("/session/start", session.start),
        ("/session/end", session.end),
        ("/session/language", session.language),
        ("/figures", summary.figures),
        ("/api/impact.json", opendata.impact_json),
        ("/api/impact.csv", opendata.impact_csv),
        ("/manifest.webmanifest", app_icons.manifest),
        ("/icon-{size:int}.png", app_icons.icon),
    ]
    return [Route(path, endpoint, methods=["GET"], middleware=secured) for path, endpoint in table]


def middleware() -> list[Middleware]:
    """Middleware in front of every request (ours and Streamlit's)."""
    return [Middleware(OldLinks), Middleware(app_icons.ManifestLink)]


__all__ = ["middleware", "routes"]

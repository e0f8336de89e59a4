"""The web app manifest, its icons and its link in Streamlit's page, so a lead can put the
app on a phone's home screen."""

from __future__ import annotations

import gzip
import io
from functools import cache

from PIL import Image
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from workshop import config, i18n

SIZES = (192, 512)
LONG_CACHE = "public, max-age=604800"


@cache
def icon_png(size: int) -> bytes:
    """The logo (assets/logo.png) as a square PNG icon, `size` px a side, on the paper colour."""
    with Image.open(config.PROJECT_ROOT / "assets" / "logo.png") as opened:
        logo = opened.convert("RGBA")
        logo.thumbnail((int(size * 0.8), int(size * 0.8)))
        square = Image.new("RGBA", (size, size), (251, 247, 241, 255))
        square.alpha_composite(logo, ((size - logo.width) // 2, (size - logo.height) // 2))
    out = io.BytesIO()
    square.convert("RGB").save(out, "PNG", optimize=True)
    return out.getvalue()


def icon(request: Request) -> Response:
    """GET /icon-192.png, /icon-512.png."""
    size = int(request.path_params["size"])
    if size not in SIZES:
        return Response(status_code=404)
    return Response(icon_png(size), media_type="image/png", headers={"Cache-Control": LONG_CACHE})


def manifest(request: Request) -> Response:
    """GET /manifest.webmanifest: name, colours, icons, opening on the home page."""
    lang = config.default_language()
    return JSONResponse(
        {
            "name": i18n.translate("web.app_name", lang),
            "short_name": "Cagettes",
            "lang": lang,
            "start_url": "/",
            "scope": "/",
            "display": "standalone",
            "background_color": "#fbf7f1",
            "theme_color": "#9a5b1e",
            "icons": [
                {"src": f"/icon-{size}.png", "sizes": f"{size}x{size}", "type": "image/png"}
                for size in SIZES
            ],
        },
        media_type="application/manifest+json",
        headers={"Cache-Control": "public, max-age=86400"},
    )


HEAD_LINKS = b'<link rel="manifest" href="/manifest.webmanifest">' + (
    b'<meta name="theme-color" content="#9a5b1e">'
)
STREAMLIT_PAGE = b'<div id="root">'  # our own pages (passports) are left as they are


class ManifestLink:
    """ASGI middleware: Streamlit's own page (index.html) gets the manifest's <link> in its head.

    Streamlit's HTML has no manifest link and no setting for one; the page is small
    (2 KB), so its answer is read whole, the link put before `</head>`, and sent on,
    gzipped again if it was.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        start: Message | None = None
        body = bytearray()

        async def capture(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                headers = dict(message.get("headers", []))
                if not headers.get(b"content-type", b"").startswith(b"text/html"):
                    await send(message)
                    return
                start = message
                return
            if start is None:
                await send(message)
                return
            body.extend(message.get("body", b""))
            if not message.get("more_body"):
                await _send_with_link(start, bytes(body), send)

        await self.app(scope, receive, capture)


async def _send_with_link(start: Message, body: bytes, send: Send) -> None:
    headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
    gzipped = (b"content-encoding", b"gzip") in [(k.lower(), v) for k, v in headers]
    html = gzip.decompress(body) if gzipped else body
    if STREAMLIT_PAGE in html and b'rel="manifest"' not in html:
        html = html.replace(b"</head>", HEAD_LINKS + b"</head>", 1)
    out = gzip.compress(html) if gzipped else html
    headers.append((b"content-length", str(len(out)).encode()))
    await send({**start, "headers": headers})
    await send({"type": "http.response.body", "body": out, "more_body": False})

"""The web app manifest and its icons, so a lead can put the app on a phone's home screen."""

from __future__ import annotations

import io
from functools import cache

from PIL import Image
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

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

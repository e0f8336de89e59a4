"""Web, app icons: the manifest a phone reads to put the app on its home screen, its icons."""

from __future__ import annotations

import io

from PIL import Image
from starlette.applications import Starlette
from starlette.testclient import TestClient

from workshop import web


def test_manifest_and_icons() -> None:
    client = TestClient(Starlette(routes=web.routes()))
    manifest = client.get("/manifest.webmanifest")
    assert manifest.headers["content-type"] == "application/manifest+json"
    body = manifest.json()
    assert body["name"] == "Atelier Cagettes" and body["display"] == "standalone"
    assert body["theme_color"] == "#9a5b1e" and body["start_url"] == "/"
    for entry in body["icons"]:
        png = client.get(entry["src"])
        assert png.headers["content-type"] == "image/png"
        size = int(entry["sizes"].split("x")[0])
        assert Image.open(io.BytesIO(png.content)).size == (size, size)
        assert "default-src 'none'" in png.headers["content-security-policy"]
    assert client.get("/icon-64.png").status_code == 404


def test_streamlit_s_page_links_the_manifest_and_ours_stay_as_they_are() -> None:
    import gzip

    from starlette.responses import HTMLResponse, Response
    from starlette.routing import Route

    from workshop.web.app_icons import ManifestLink

    index = b'<html><head><title>x</title></head><body><div id="root"></div></body></html>'
    routes = [
        Route("/", lambda r: HTMLResponse(index)),
        Route(
            "/gz",
            lambda r: Response(
                gzip.compress(index), media_type="text/html", headers={"Content-Encoding": "gzip"}
            ),
        ),
        Route("/ours", lambda r: HTMLResponse("<html><head></head><body>p</body></html>")),
    ]
    app = Starlette(routes=routes)
    app.add_middleware(ManifestLink)
    client = TestClient(app)
    for path in ("/", "/gz"):
        html = client.get(path).text
        assert '<link rel="manifest" href="/manifest.webmanifest">' in html, path
        assert html.endswith("</html>")
    assert "manifest" not in client.get("/ours").text

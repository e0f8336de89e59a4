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

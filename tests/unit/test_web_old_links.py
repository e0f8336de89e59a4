"""Web, old links: `/?code=M…` from labels printed before goes to `/p/M…`; other codes stay."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from workshop import codes
from workshop.web.old_links import OldLinks, passport_path


def _client() -> TestClient:
    home = Route("/", lambda request: PlainTextResponse("streamlit"))
    app = Starlette(routes=[home])
    app.add_middleware(OldLinks)
    return TestClient(app, follow_redirects=False)


def test_a_piece_s_old_link_redirects_for_good() -> None:
    piece = codes.mint("M")
    client = _client()
    for text in (piece, piece.lower(), codes.format_code(piece)):
        response = client.get("/", params={"code": text})
        assert response.status_code == 301 and response.headers["location"] == f"/p/{piece}"
    # Unreadable: the passport's neutral 404, the text quoted (never a path of its own).
    garbage = client.get("/", params={"code": "../../x y"})
    assert garbage.headers["location"] == "/p/..%2F..%2Fx%20y"


def test_other_codes_and_pages_reach_the_app() -> None:
    client = _client()
    for query in ({"code": codes.mint("C")}, {"code": codes.mint("L")}, {"lang": "en"}, {}):
        assert client.get("/", params=query).text == "streamlit"
    assert passport_path("") is None and passport_path(codes.mint("B")) is None

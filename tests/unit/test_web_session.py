"""Web, session: the sign-in cookie set and cleared by the server, the visitor's language."""

from __future__ import annotations

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from workshop import signin_tokens, web
from workshop.signin_tokens import Issued


@pytest.fixture
def client(monkeypatch) -> TestClient:
    monkeypatch.setenv("WORKSHOP_BASE_URL", "http://localhost:8501")
    app = Starlette(routes=web.routes(), middleware=web.middleware())
    return TestClient(app, base_url="http://localhost:8501", follow_redirects=False)


def _cookie_header(response) -> str:
    [cookie] = response.headers.get_list("set-cookie")
    return cookie


def test_a_ticket_opens_once_into_an_httponly_cookie(client) -> None:
    ticket = signin_tokens.hand_over(Issued("v1.1.0.abc.99.sig", 3600))
    response = client.get(f"/session/start?ticket={ticket}&next=/?code=C1234")
    assert response.status_code == 303 and response.headers["location"] == "/?code=C1234"
    assert response.headers["cache-control"] == "no-store"
    cookie = _cookie_header(response)
    assert cookie.startswith("atelier_session=v1.1.0.abc.99.sig;")
    for flag in ("HttpOnly", "Max-Age=3600", "Path=/", "SameSite=strict"):
        assert flag in cookie
    assert "Secure" not in cookie  # plain http on a laptop: a Secure cookie would be dropped
    again = client.get(f"/session/start?ticket={ticket}")
    assert again.status_code == 303 and "set-cookie" not in again.headers


def test_secure_on_https(monkeypatch) -> None:
    monkeypatch.setenv("WORKSHOP_BASE_URL", "https://atelier.example.org")
    app = Starlette(routes=web.routes())
    client = TestClient(app, base_url="https://atelier.example.org", follow_redirects=False)
    ticket = signin_tokens.hand_over(Issued("v1.token", 60))
    assert "Secure" in _cookie_header(client.get(f"/session/start?ticket={ticket}"))
    assert "Secure" in _cookie_header(client.get("/session/end"))


def test_a_ticket_too_old_or_from_another_site_sets_nothing(client, monkeypatch) -> None:
    ticket = signin_tokens.hand_over(Issued("v1.token", 60))
    response = client.get(
        f"/session/start?ticket={ticket}", headers={"Sec-Fetch-Site": "cross-site"}
    )
    assert "set-cookie" not in response.headers
    assert signin_tokens.take(ticket) is None  # and it is used up
    monkeypatch.setattr(signin_tokens, "TICKET_S", -1.0)
    old = signin_tokens.hand_over(Issued("v1.token", 60))
    assert "set-cookie" not in client.get(f"/session/start?ticket={old}").headers
    for bad in ("", "nope", "x" * 5000):
        assert "set-cookie" not in client.get(f"/session/start?ticket={bad}").headers


@pytest.mark.parametrize(
    "wanted", ["https://evil.example", "//evil.example/", "/\\evil.example", "javascript:x", "é"]
)
def test_it_only_ever_sends_back_into_the_app(client, wanted) -> None:
    for path in ("/session/start", "/session/end", "/session/language?set=en"):
        sep = "&" if "?" in path else "?"
        response = client.get(f"{path}{sep}next={wanted}")
        assert response.headers["location"] == "/", (path, wanted)


def test_signing_out_clears_the_cookie(client) -> None:
    cookie = _cookie_header(client.get("/session/end?next=/"))
    assert cookie.startswith('atelier_session="";') or cookie.startswith("atelier_session=;")
    assert "Max-Age=0" in cookie and "HttpOnly" in cookie and "Path=/" in cookie


def test_a_visitor_s_language_is_kept_by_the_server(client) -> None:
    response = client.get("/session/language?set=en&next=/summary")
    assert response.headers["location"] == "/summary"
    cookie = _cookie_header(response)
    assert cookie.startswith("atelier_lang=en;") and "HttpOnly" in cookie
    assert "set-cookie" not in client.get("/session/language?set=de").headers

"""Web, data: the routes' engine and the address a request counts under."""

from __future__ import annotations

from starlette.requests import Request

from workshop import throttles
from workshop.web import data


def _request(client: tuple[str, int] | None, forwarded: str | None = None) -> Request:
    headers = [(b"x-forwarded-for", forwarded.encode())] if forwarded else []
    return Request({"type": "http", "client": client, "headers": headers, "path": "/"})


def test_the_engine_is_the_configured_database_s_and_opened_once(engine) -> None:
    assert data.engine() is data.engine()
    assert str(data.engine().url) == str(engine.url)


def test_the_client_address_believes_the_proxy_only_when_told(monkeypatch) -> None:
    assert data.client(_request(("203.0.113.7", 5000), "198.51.100.1")) == "203.0.113.7"
    monkeypatch.setenv("WORKSHOP_BEHIND_PROXY", "1")
    assert data.client(_request(("127.0.0.1", 5000), "198.51.100.1")) == "198.51.100.1"
    assert data.client(_request(None)) == throttles.LOCAL_CLIENT

"""Web, summary: the public totals as a plain page for a venue's screen, `/figures`."""

from __future__ import annotations

from datetime import date

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from tests import factories
from workshop import web
from workshop.models import Role
from workshop.web import summary


@pytest.fixture
def client(engine) -> TestClient:
    summary._summary.cache_clear()
    return TestClient(Starlette(routes=web.routes()), follow_redirects=False)


def test_off_by_default(engine, client) -> None:
    response = client.get("/figures")
    # Said in words, never a setting's name (issue 13, point 15).
    assert response.status_code == 404 and "Le résumé public n&#39;est pas activé" in response.text


def test_the_totals_refresh_themselves_and_follow_the_data(engine, client, monkeypatch) -> None:
    monkeypatch.setenv("WORKSHOP_PUBLIC_SUMMARY", "1")
    empty = client.get("/figures")
    assert empty.status_code == 200 and "Pas encore de collecte." in empty.text
    lead = factories.user(engine, Role.lead, display_name="Léa Secret")
    factories.crates_in_stock(engine, lead, 3, on=date(2026, 5, 6))
    page = client.get("/figures", headers={"Accept-Language": "en"})
    html = page.text
    assert page.headers["content-language"] == "en"
    assert f'<meta http-equiv="refresh" content="{summary.REFRESH_S}">' in html
    assert "<dt>Crates collected</dt><dd>3</dd>" in html
    assert "<meter" in html and "<script" not in html
    assert 'href="/api/impact.csv"' in html and "Léa" not in html
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]

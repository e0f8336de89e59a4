"""Web, open data: `/api/impact.csv` and `.json`, per market and month, for anyone to reuse."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from tests import factories
from workshop import web
from workshop.models import Role
from workshop.web.opendata import COLUMNS


@pytest.fixture
def client(engine) -> TestClient:
    return TestClient(Starlette(routes=web.routes()), follow_redirects=False)


def _pickups(engine) -> None:
    lead = factories.user(engine, Role.lead, display_name="Léa Secret")
    crates = factories.crates_in_stock(engine, lead, 3, on=date(2026, 5, 6), sample=(2, 2.5))
    factories.crates_in_stock(engine, lead, 2, market_name="Marché Belgrand", on=date(2026, 6, 9))
    piece = factories.build(engine, lead)
    factories.attach(engine, lead, piece, crates[0])


def test_not_published_while_the_public_summary_is_off(engine, client) -> None:
    for path in ("/api/impact.json", "/api/impact.csv"):
        response = client.get(path)
        assert response.status_code == 404 and response.json() == {"error": "not published"}
        assert response.headers["access-control-allow-origin"] == "*"


def test_json_per_market_and_month(engine, client, monkeypatch) -> None:
    monkeypatch.setenv("WORKSHOP_PUBLIC_SUMMARY", "1")
    _pickups(engine)
    response = client.get("/api/impact.json", headers={"Origin": "https://mairie.example"})
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "*"
    assert response.headers["access-control-allow-methods"] == "GET"
    body = response.json()
    assert body["columns"] == list(COLUMNS) and "ADEME" in body["co2e_source"]
    davout, belgrand = body["rows"]
    assert (davout["market"], davout["month"], davout["crates"]) == ("Marché Davout", "2026-05", 3)
    assert davout["weighed_kg"] == pytest.approx(3 * 1.25)  # the sample: 2 crates, 2,5 kg
    assert davout["crates_in_build"] == 1 and davout["crates_in_stock"] == 2
    assert davout["co2e_kg"] == pytest.approx(1.25 * body["co2e_factor_kg_per_kg"], abs=1e-3)
    assert (belgrand["month"], belgrand["estimated_kg"] > 0) == ("2026-06", True)
    assert belgrand["estimated_uncertainty_kg"] >= 0 and belgrand["co2e_kg"] == 0
    assert "Léa" not in response.text  # no personal data


def test_csv_is_the_same_rows(engine, client, monkeypatch) -> None:
    monkeypatch.setenv("WORKSHOP_PUBLIC_SUMMARY", "1")
    _pickups(engine)
    response = client.get("/api/impact.csv")
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["access-control-allow-origin"] == "*"
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == list(COLUMNS)
    assert rows[1][:3] == ["Marché Davout", "2026-05", "3"] and rows[1][3] == "3.75"
    assert len(rows) == 3


def test_only_these_routes_are_open_to_other_sites(engine, client) -> None:
    assert "access-control-allow-origin" not in client.get("/p/M1234").headers
    assert client.post("/api/impact.json").status_code == 405

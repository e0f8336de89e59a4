"""Open data for the mairie's portal and the venues' sites: `/api/impact.csv` and `.json`.

Kilos (weighed and estimated, with the uncertainty of the estimate), crates by outcome
and CO2e per market and month; no personal data. Column names are stable English
identifiers (documented in README); numbers use a decimal point. Published while the
public summary is (`WORKSHOP_PUBLIC_SUMMARY`); any site may read them (CORS, GET only).
"""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from workshop import db, impact, spreadsheets
from workshop.errors import PermissionDenied
from workshop.impact import OpenData
from workshop.models import Outcome
from workshop.web import data

COLUMNS = (
    "market",
    "month",
    "crates",
    "weighed_kg",
    "estimated_kg",
    "estimated_uncertainty_kg",
    *(f"crates_{outcome.value}" for outcome in impact.WASTE_HIERARCHY),
    "co2e_kg",
)
CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET",
    "Cache-Control": "public, max-age=3600",
}


def _figures() -> OpenData:
    with db.read_session(data.engine()) as session:
        return impact.open_data(session=session)


def _record(row: impact.OpenDataRow) -> dict[str, Any]:
    record: dict[str, Any] = {
        "market": row.market,
        "month": row.month.strftime("%Y-%m"),
        "crates": row.crates,
        "weighed_kg": round(row.weighed_kg, 3),
        "estimated_kg": round(row.estimated_kg, 3),
        "estimated_uncertainty_kg": round(row.uncertainty_kg, 3),
    }
    outcome: Outcome
    for outcome in impact.WASTE_HIERARCHY:
        record[f"crates_{outcome.value}"] = row.crates_by_outcome.get(outcome, 0)
    record["co2e_kg"] = round(row.co2e_kg, 3)
    return record


async def _answer(render: Any) -> Response:
    try:
        figures = await run_in_threadpool(_figures)
    except PermissionDenied:
        return JSONResponse({"error": "not published"}, status_code=404, headers=CORS)
    return render([_record(row) for row in figures.rows], figures)


async def impact_json(request: Request) -> Response:
    """GET /api/impact.json: the rows, the CO2e factor (kg CO2e per kg of wood) and its source."""
    return await _answer(
        lambda rows, figures: JSONResponse(
            {
                "columns": list(COLUMNS),
                "co2e_factor_kg_per_kg": figures.co2e_factor,
                # Open data read by programs: the default source in English, like the columns.
                "co2e_source": impact.co2e_source_text(figures.co2e_source, "en"),
                "rows": rows,
            },
            headers=CORS,
        )
    )


async def impact_csv(request: Request) -> Response:
    """GET /api/impact.csv: the same rows, one a line, with a header line."""
    return await _answer(
        lambda rows, _figures: Response(
            spreadsheets.csv_bytes(
                [list(COLUMNS), *([r[c] for c in COLUMNS] for r in rows)], "en", decimals=3
            ),
            media_type="text/csv; charset=utf-8",
            headers={**CORS, "Content-Disposition": 'inline; filename="impact.csv"'},
        )
    )

"""The public summary as a plain page, `/figures`, for a venue's screen (it refreshes itself).

The same figures as the Streamlit summary page (`impact.public_summary`), open while
`WORKSHOP_PUBLIC_SUMMARY` is on; recomputed only when the data change.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from workshop import config, dates, db, i18n, impact
from workshop.errors import PermissionDenied
from workshop.models import Outcome
from workshop.web import data, render

REFRESH_S = 300  # a screen in a café: every 5 minutes is plenty


@lru_cache(maxsize=4)
def _summary(url: str, version: int, today: date) -> impact.PublicSummary:
    with db.read_session(data.engine()) as session:
        return impact.public_summary(session=session, today=today)


def _current() -> impact.PublicSummary:
    with db.read_session(data.engine()) as session:
        version = impact.data_version(session=session)
    return _summary(config.database_url(), version, dates.today())


def _page(request: Request, summary: impact.PublicSummary, lang: str) -> Response:
    def t(key: str, **params: object) -> str:
        return i18n.translate(key, lang, **params)

    total = sum(summary.outcomes.values()) or 1.0
    kept = summary.outcomes[Outcome.in_build] + summary.outcomes[Outcome.reused]
    figures = [
        (t("summary.kg"), i18n.fmt_kg(summary.kg, lang)),
        (t("summary.crates"), i18n.fmt_number(summary.crates, lang)),
        (t("summary.pieces"), i18n.fmt_number(summary.pieces, lang)),
        (t("summary.this_year"), i18n.fmt_kg(summary.this_year_kg, lang)),
        (t("summary.co2e"), i18n.fmt_kg(summary.co2e.co2e_kg, lang)),
        (t("summary.markets"), i18n.fmt_number(summary.markets, lang)),
    ]
    outcomes = [
        (
            t(
                "summary.outcome_line",
                outcome=t(f"outcome.{outcome.value}"),
                kg=i18n.fmt_kg(summary.outcomes[outcome], lang),
                share=i18n.fmt_number(100 * summary.outcomes[outcome] / total, lang),
            ),
            round(summary.outcomes[outcome] / total, 4),
        )
        for outcome in impact.WASTE_HIERARCHY
    ]
    notes = (
        t(
            "summary.notes",
            since=i18n.fmt_date(summary.since, lang),
            estimated=i18n.fmt_kg(summary.estimated_kg, lang),
            band=i18n.fmt_kg(summary.uncertainty_kg, lang),
            kept=i18n.fmt_kg(kept, lang),
            factor=i18n.fmt_number(summary.co2e.factor * 1000, lang, 1),
            source=summary.co2e.source_in(lang),
        )
        if summary.since
        else ""
    )
    response = render.page(
        request,
        "summary.html",
        lang,
        data=summary,
        workshop=config.workshop_name(),
        figures=figures,
        outcomes=outcomes,
        notes=notes,
        refresh_s=REFRESH_S,
    )
    response.headers["Cache-Control"] = f"public, max-age={REFRESH_S // 5}"
    return response


async def figures(request: Request) -> Response:
    """GET /figures: the workshop's totals; the same neutral 404 as a passport while off."""
    lang = render.language(request)
    try:
        summary = await run_in_threadpool(_current)
    except PermissionDenied:
        return render.page(
            request,
            "not_found.html",
            lang,
            status_code=404,
            title_key="summary.title",
            text_key="error.summary.off",
        )
    return _page(request, summary, lang)

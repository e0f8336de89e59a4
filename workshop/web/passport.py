"""The public passport of a piece at `/p/{code}`: plain HTML, no JavaScript, no sign-in.

The page is the domain's `builds.public_passport` (its privacy rules: planned pieces
not public, hours hidden below three makers, only consenting first names) written
as HTML. Every code that is not a public piece gets the same 404, after the same
minimum time, and too many of them from one address get a 429 (enumeration).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import threading
import time
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from workshop import builds, config, db, i18n, impact
from workshop.builds import Passport, SmallPhoto
from workshop.errors import NotFound
from workshop.web import data, render

MAX_NOT_FOUND = 30  # per window and client address: far above a person mistyping
WINDOW_S = 600.0
MAX_CLIENTS = 10_000  # kept in memory; the oldest window is forgotten first


class NotFoundLimit:
    """A count of 404s per client address in fixed windows of WINDOW_S seconds."""

    def __init__(self, limit: int = MAX_NOT_FOUND, window_s: float = WINDOW_S) -> None:
        self.limit = limit
        self.window_s = window_s
        self._counts: dict[str, tuple[float, int]] = {}
        self._lock = threading.Lock()

    def _current(self, client: str, now: float) -> tuple[float, int]:
        start, count = self._counts.get(client, (now, 0))
        return (now, 0) if now - start >= self.window_s else (start, count)

    def retry_after(self, client: str, now: float | None = None) -> int:
        """0 when `client` may ask again, else the seconds until its window ends."""
        now = time.monotonic() if now is None else now
        with self._lock:
            start, count = self._current(client, now)
        return 0 if count < self.limit else max(1, round(start + self.window_s - now))

    def count(self, client: str, now: float | None = None) -> None:
        """One more unknown code asked for by `client`."""
        now = time.monotonic() if now is None else now
        with self._lock:
            start, count = self._current(client, now)
            self._counts.pop(client, None)  # re-inserted last: dict order is age order
            self._counts[client] = (start, count + 1)
            while len(self._counts) > MAX_CLIENTS:
                del self._counts[next(iter(self._counts))]


# Every "not found" answers after at least this long, found in the database or not.
NOT_FOUND_FLOOR_S = 0.05
CACHE_CONTROL = "public, max-age=60"
PHOTO_CACHE_CONTROL = "public, max-age=86400"
not_found_limit = NotFoundLimit()


def _story(text: str) -> Passport:
    with db.read_session(data.engine()) as session:
        return builds.public_passport(session=session, text=text)


def _name(story: Passport, lang: str) -> str:
    design = story.design
    return design.name_en if lang == "en" and design.name_en else design.name


def _when(share: builds.MarketShare, lang: str) -> str:
    if share.first == share.last:
        return i18n.fmt_date(share.first, lang)
    first, last = i18n.fmt_date(share.first, lang), i18n.fmt_date(share.last, lang)
    return i18n.translate("passport.between", lang, first=first, last=last)


def _json_ld(story: Passport, lang: str, url: str, photo_url: str | None) -> str:
    """schema.org Product: reused wood, related to the markets its crates came from."""

    def prop(name: str, value: float, unit: str, **more: str) -> dict[str, Any]:
        fields = {
            "@type": "PropertyValue",
            "name": name,
            "value": round(value, 3),
            "unitText": unit,
        }
        return fields | more

    properties = [
        prop(i18n.translate("passport.kg", lang), story.kg, "kg"),
        prop(
            i18n.translate("passport.co2e", lang),
            story.co2e_kg,
            "kg CO2e",
            description=impact.co2e_source_text(story.co2e_source, lang),
        ),
    ]
    if story.training_hours is not None:
        properties.append(prop(i18n.translate("passport.hours", lang), story.training_hours, "h"))
    product: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "Product",
        "name": _name(story, lang),
        "identifier": story.code,
        "url": url,
        "material": i18n.translate("web.material", lang),
        "manufacturer": {"@type": "Organization", "name": config.workshop_name()},
        "isRelatedTo": [
            {
                "@type": "Product",
                "name": share.market,
                "description": i18n.translate(
                    "web.market_line",
                    lang,
                    n=share.crates,
                    market=share.market,
                    when=_when(share, lang),
                ),
            }
            for share in story.markets
        ],
        "additionalProperty": properties,
    }
    if photo_url:
        product["image"] = photo_url
    if story.finished_on:
        product["productionDate"] = story.finished_on.isoformat()
    # Inside <script>: "<", ">" and "&" escaped so no text can close the element.
    text = json.dumps(product, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _page(request: Request, story: Passport, lang: str) -> Response:
    base = config.base_url()
    name = _name(story, lang)
    photo: SmallPhoto | None = builds.small_photo(story.photo_path)
    photo_path = f"/p/{story.code}/photo.jpg"
    url = f"{base}/p/{story.code}"
    photo_url = f"{base}{photo_path}" if photo else None
    hours = story.training_hours
    programmes = [p.name_en if lang == "en" and p.name_en else p.name for p in story.programmes]
    description = (
        i18n.translate(
            "web.description", lang, name=name, n=story.crates, kg=i18n.fmt_kg(story.kg, lang)
        )
        if story.crates
        else i18n.translate("web.description_no_crates", lang, name=name)
    )
    return render.page(
        request,
        "passport.html",
        lang,
        story=story,
        name=name,
        description=description,
        url=url,
        photo=photo,
        photo_path=photo_path,
        photo_url=photo_url,
        json_ld=_json_ld(story, lang, url, photo_url),
        market_lines=[
            i18n.translate(
                "web.market_line", lang, n=s.crates, market=s.market, when=_when(s, lang)
            )
            for s in story.markets
        ],
        kg=i18n.fmt_kg(story.kg, lang),
        co2e=f"{i18n.fmt_number(story.co2e_kg, lang, 2)}\u00a0kg\u00a0CO2e",
        hours=None if hours is None else f"{i18n.fmt_number(hours, lang, 1)}\u00a0h",
        co2e_source=i18n.translate(
            "passport.co2e_source",
            lang,
            factor=i18n.fmt_number(story.co2e_factor, lang, 4),
            source=impact.co2e_source_text(story.co2e_source, lang),
        ),
        programmes=", ".join(programmes),
        makers=", ".join(story.makers),
        finished_on=i18n.fmt_date(story.finished_on, lang) if story.finished_on else None,
    )


def _http_date(moment: datetime) -> str:
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return format_datetime(aware.astimezone(UTC), usegmt=True)


def _cached(request: Request, response: Response, cache_control: str) -> Response:
    """`response` with its ETag, or an empty 304 when the browser already has this version."""
    etag = '"' + hashlib.sha256(response.body).hexdigest()[:32] + '"'
    headers = {"ETag": etag, "Cache-Control": cache_control}
    for name in ("Vary", "Content-Language", "Last-Modified"):
        if name in response.headers:
            headers[name] = response.headers[name]
    wanted = [tag.strip() for tag in request.headers.get("if-none-match", "").split(",")]
    if etag in wanted or f"W/{etag}" in wanted:
        return Response(status_code=304, headers=headers)
    response.headers.update(headers)
    return response


async def _not_found(request: Request, started: float, client: str) -> Response:
    not_found_limit.count(client)
    # The same wait for every unknown code, however far the lookup went.
    await asyncio.sleep(max(0.0, NOT_FOUND_FLOOR_S - (time.perf_counter() - started)))
    response = render.page(
        request,
        "not_found.html",
        render.language(request),
        status_code=404,
        title_key="passport.not_found_title",
        text_key="passport.not_found",
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def _too_many(request: Request, retry_after: int) -> Response:
    response = render.page(
        request,
        "not_found.html",
        render.language(request),
        status_code=429,
        title_key="web.too_many_title",
        text_key="web.too_many",
    )
    response.headers.update({"Retry-After": str(retry_after), "Cache-Control": "no-store"})
    return response


async def _lookup(request: Request) -> Passport | Response:
    """The public piece the path names, or the response to send instead (404, 429)."""
    started = time.perf_counter()
    client = data.client(request)
    if retry_after := not_found_limit.retry_after(client):
        return _too_many(request, retry_after)
    try:
        return await run_in_threadpool(_story, request.path_params["code"])
    except NotFound:
        return await _not_found(request, started, client)


async def passport(request: Request) -> Response:
    """GET /p/{code}: the passport page (a code written another way redirects to its own form)."""
    found = await _lookup(request)
    if isinstance(found, Response):
        return found
    if request.path_params["code"] != found.code:
        return RedirectResponse(f"/p/{found.code}", status_code=301)
    response = _page(request, found, render.language(request))
    if found.changed_at is not None:
        response.headers["Last-Modified"] = _http_date(found.changed_at)
    return _cached(request, response, CACHE_CONTROL)


async def photo(request: Request) -> Response:
    """GET /p/{code}/photo.jpg: the piece's photo, small enough for a phone."""
    found = await _lookup(request)
    if isinstance(found, Response):
        return found
    small = await run_in_threadpool(builds.small_photo, found.photo_path)
    if small is None:
        return await _not_found(request, time.perf_counter(), data.client(request))
    return _cached(request, Response(small.jpeg, media_type="image/jpeg"), PHOTO_CACHE_CONTROL)

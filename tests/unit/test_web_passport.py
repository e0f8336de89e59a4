"""Web, passport: `/p/{code}` over plain HTTP, its photo, its 404s, caching and headers."""

from __future__ import annotations

import io
import json
import re
import time
from datetime import date
from html.parser import HTMLParser

import pytest
from PIL import Image
from starlette.applications import Starlette
from starlette.testclient import TestClient

from tests import factories
from workshop import builds, codes, db, i18n, web
from workshop.builds.photos import SMALL_SIDE
from workshop.models import BuildStatus, Role
from workshop.web import passport

BASE = "https://atelier.example.org"


@pytest.fixture
def client(engine, tmp_path, monkeypatch) -> TestClient:
    monkeypatch.setenv("WORKSHOP_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("WORKSHOP_BASE_URL", BASE)
    monkeypatch.setattr(passport, "not_found_limit", passport.NotFoundLimit())
    app = Starlette(routes=web.routes(), middleware=web.middleware())
    return TestClient(app, base_url=BASE, follow_redirects=False)


def _piece(engine, *, finish: bool = True, photo: bool = False):
    """A shelf of 3 crates (2 from Davout, 1 from Belgrand), made by three trainees."""
    lead = factories.user(engine, Role.lead)
    davout = factories.crates_in_stock(engine, lead, 2, on=date(2026, 5, 6))
    belgrand = factories.crates_in_stock(
        engine, lead, 1, market_name="Marché Belgrand", on=date(2026, 5, 9)
    )
    piece = factories.build(engine, lead)
    for code in [*davout, *belgrand]:
        factories.attach(engine, lead, piece, code)
    factories.maker(engine, lead, piece, "Awa Diallo", 120, consent=True)
    factories.maker(engine, lead, piece, "Karim", 60, consent=False)
    if photo:
        factories.write(
            engine, builds.add_photo, actor=lead, build_id=piece.id, data=factories.jpeg()
        )
    if finish:
        factories.set_build_status(engine, lead, piece, BuildStatus.finished)
    return lead, piece


class _Meta(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.meta: dict[str, str] = {}
        self.json_ld: list[str] = []
        self.images: list[dict[str, str | None]] = []
        self._in_ld = False

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        if tag == "meta" and (key := values.get("property") or values.get("name")):
            self.meta[key] = values.get("content") or ""
        if tag == "script":
            assert values.get("type") == "application/ld+json"  # the only script: data
            self._in_ld = True
        if tag == "img":
            self.images.append(values)

    def handle_endtag(self, tag):
        self._in_ld = self._in_ld and tag != "script"

    def handle_data(self, data):
        if self._in_ld:
            self.json_ld.append(data)


def _parsed(html: str) -> _Meta:
    parser = _Meta()
    parser.feed(html)
    return parser


def test_the_passport_tells_the_piece_s_story_in_french(engine, client) -> None:
    _, piece = _piece(engine)
    response = client.get(f"/p/{piece.code}", headers={"Accept-Language": "fr-FR,fr;q=0.9"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["content-language"] == "fr"
    html = response.text
    assert "<h1>Étagère 3 cagettes</h1>" in html
    assert "<li>2 au Marché Davout, 6 mai 2026</li>" in html
    assert "<li>1 au Marché Belgrand, 9 mai 2026</li>" in html
    assert i18n.fmt_kg(3.6, "fr") in html and "ADEME" in html
    # Two makers: their hours stay private; only the consenting first name shows.
    assert "non publiées" in html and "Avec : Awa." in html
    assert "Karim" not in html and "Diallo" not in html
    assert "<script src" not in html and "onload" not in html  # no JavaScript at all
    assert 'href="?lang=en"' in html


def test_english_from_the_browser_or_the_switch_link_which_is_remembered(engine, client) -> None:
    _, piece = _piece(engine)
    english = client.get(f"/p/{piece.code}", headers={"Accept-Language": "en-GB,en;q=0.8,fr;q=0.5"})
    assert english.headers["content-language"] == "en"
    assert "<li>2 at Marché Davout, 6 May 2026</li>" in english.text
    assert "Accept-Language" in english.headers["vary"]
    switched = client.get(f"/p/{piece.code}?lang=en", headers={"Accept-Language": "fr"})
    assert switched.headers["content-language"] == "en"
    cookie = switched.headers["set-cookie"]
    assert cookie.startswith("atelier_lang=en;") and "HttpOnly" in cookie and "Secure" in cookie
    # The cookie is kept by the client: the next visit is in English, whatever the browser says.
    later = client.get(f"/p/{piece.code}", headers={"Accept-Language": "fr"})
    assert later.headers["content-language"] == "en"
    client.cookies.clear()
    assert client.get(f"/p/{piece.code}").headers["content-language"] == "fr"  # the default


def test_shares_well_and_is_machine_readable(engine, client) -> None:
    _, piece = _piece(engine, photo=True)
    html = client.get(f"/p/{piece.code}").text
    found = _parsed(html)
    url = f"{BASE}/p/{piece.code}"
    assert found.meta["og:title"] == "Étagère 3 cagettes"
    assert found.meta["og:url"] == url
    assert found.meta["og:image"] == f"{url}/photo.jpg"
    assert "3 cagettes de marché" in found.meta["og:description"]
    assert found.meta["twitter:card"] == "summary_large_image"
    [ld_text] = found.json_ld
    product = json.loads(ld_text)
    assert product["@context"] == "https://schema.org" and product["@type"] == "Product"
    assert product["url"] == url and product["identifier"] == piece.code
    assert "réemployé" in product["material"]
    assert [m["name"] for m in product["isRelatedTo"]] == ["Marché Davout", "Marché Belgrand"]
    assert product["image"] == f"{url}/photo.jpg"
    kg = next(p for p in product["additionalProperty"] if p["unitText"] == "kg")
    assert kg["value"] == pytest.approx(3.6)
    assert not [p for p in product["additionalProperty"] if p["unitText"] == "h"]  # private
    # The photo: small, with its size, loaded lazily.
    [img] = found.images
    assert img["src"] == f"/p/{piece.code}/photo.jpg" and img["loading"] == "lazy"
    photo = client.get(f"/p/{piece.code}/photo.jpg")
    assert photo.headers["content-type"] == "image/jpeg"
    picture = Image.open(io.BytesIO(photo.content))
    assert picture.size == (int(img["width"] or 0), int(img["height"] or 0))
    assert max(picture.size) <= SMALL_SIDE


def test_a_name_with_markup_stays_text(engine, client) -> None:
    lead, piece = _piece(engine, finish=False)
    factories.maker(engine, lead, piece, "<script>alert(1)</script>", 60, consent=True)
    html = client.get(f"/p/{piece.code}").text
    assert "<script>alert" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    # Three makers now: their total is public; the piece is still being made.
    assert "4,0\u00a0h" in html and "En cours de fabrication." in html


def test_a_design_name_with_markup_stays_text_everywhere_on_the_page(engine, client) -> None:
    from sqlmodel import select

    from workshop.models import Design

    _, piece = _piece(engine, finish=False)
    hostile = '</script><script>alert(1)</script>"><img src=x onerror=alert(2)>'
    with db.write_session(engine) as session:
        design = session.exec(select(Design).where(Design.id == piece.design_id)).one()
        design.name = hostile
    html = client.get(f"/p/{piece.code}").text
    assert hostile not in html and "<img src=x" not in html
    found = _parsed(html)  # the JSON-LD still parses, with the name as typed
    assert json.loads(found.json_ld[0])["name"] == hostile
    assert found.meta["og:title"] == hostile


def test_every_code_that_is_not_a_public_piece_gets_the_same_404(engine, client) -> None:
    lead, planned = _piece(engine)
    planned = factories.build(engine, lead)  # nothing made yet: not public
    [crate] = factories.crates_in_stock(engine, lead, 1)
    texts = [planned.code, codes.mint("M"), crate, "M1234", "n'importe%20quoi", "x" * 300]
    answers = []
    for text in texts:
        started = time.perf_counter()
        response = client.get(f"/p/{text}")
        answers.append((response.status_code, response.text, time.perf_counter() - started))
        assert response.headers["cache-control"] == "no-store"
        assert client.get(f"/p/{text}/photo.jpg").status_code == 404
    assert {status for status, _, _ in answers} == {404}
    assert len({body for _, body, _ in answers}) == 1
    assert "Meuble introuvable" in answers[0][1]
    # However far the lookup went, the answer comes after the same floor.
    assert min(elapsed for _, _, elapsed in answers) >= passport.NOT_FOUND_FLOOR_S


def test_guessing_codes_is_stopped_per_address(engine, client, monkeypatch) -> None:
    _, piece = _piece(engine)
    monkeypatch.setattr(passport, "not_found_limit", passport.NotFoundLimit(limit=3))
    monkeypatch.setattr(passport, "NOT_FOUND_FLOOR_S", 0.0)
    for _ in range(3):
        assert client.get(f"/p/{codes.mint('M')}").status_code == 404
    refused = client.get(f"/p/{piece.code}")  # even a real piece, for a while
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0
    assert "Trop de codes" in refused.text


def test_the_limit_s_window_ends() -> None:
    limit = passport.NotFoundLimit(limit=2, window_s=10)
    limit.count("a", now=0)
    limit.count("a", now=1)
    assert limit.retry_after("a", now=2) == 8 and limit.retry_after("b", now=2) == 0
    assert limit.retry_after("a", now=10) == 0


def test_caching_follows_the_piece(engine, client) -> None:
    lead, piece = _piece(engine, finish=False)
    first = client.get(f"/p/{piece.code}")
    etag = first.headers["etag"]
    assert first.headers["cache-control"] == passport.CACHE_CONTROL
    assert re.match(r"\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT", first.headers["last-modified"])
    again = client.get(f"/p/{piece.code}", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
    [crate] = factories.crates_in_stock(engine, lead, 1)
    # The piece changed (one crate more than its design needs): so does the page.
    factories.attach(engine, lead, piece, crate, confirmed=True)
    changed = client.get(f"/p/{piece.code}", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag
    assert "4 cagettes" in changed.text


def test_another_spelling_and_old_links_redirect_to_the_short_address(engine, client) -> None:
    _, piece = _piece(engine)
    lower = client.get(f"/p/{piece.code.lower()}")
    assert lower.status_code == 301 and lower.headers["location"] == f"/p/{piece.code}"
    with db.read_session(engine) as session:
        assert builds.public_passport(session=session, text=piece.code).code == piece.code


def test_security_headers_on_every_route(engine, client) -> None:
    _, piece = _piece(engine, photo=True)
    for path in (
        f"/p/{piece.code}",
        f"/p/{piece.code}/photo.jpg",
        "/p/nothing",
        "/session/end",
        "/session/start?ticket=x",
        "/session/language?set=en",
    ):
        headers = client.get(path).headers
        csp = headers["content-security-policy"]
        assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp, path
        assert "script-src" not in csp and "unsafe-inline" not in csp
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "strict-origin-when-cross-origin"

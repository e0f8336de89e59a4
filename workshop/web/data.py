"""The HTTP routes' database engine (one per database URL and process) and the client address."""

from __future__ import annotations

from functools import cache

from sqlalchemy import Engine
from starlette.requests import Request

from workshop import config, startup, throttles


@cache
def _engine_for(url: str) -> Engine:
    return startup.open_database(url)


def engine() -> Engine:
    """The engine of the configured database, opened (migrated, checked) on first use."""
    return _engine_for(config.database_url())


def client(request: Request) -> str:
    """The address this request counts under (`throttles.client_key`, proxy rules included)."""
    direct = request.client.host if request.client else None
    return throttles.client_key(direct, request.headers.getlist("x-forwarded-for"))

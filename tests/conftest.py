"""Shared fixtures: a fresh, migrated database per test (SQLite file, or PostgreSQL).

Set WORKSHOP_TEST_POSTGRES_URL (e.g. postgresql+psycopg://postgres@localhost/postgres)
to run every database test against a new PostgreSQL database instead of SQLite.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from workshop import startup

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
POSTGRES_URL = os.environ.get("WORKSHOP_TEST_POSTGRES_URL", "").strip()


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    """URL of an empty database that only this test uses."""
    if not POSTGRES_URL:
        yield f"sqlite:///{tmp_path / 'test.db'}"
        return
    name = f"workshop_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def engine(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    """A migrated and seeded engine; the app (AppTest) sees the same database."""
    monkeypatch.setenv("WORKSHOP_DATABASE_URL", database_url)
    eng = startup.open_database(database_url)
    yield eng
    eng.dispose()

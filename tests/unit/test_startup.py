"""Opening the database: connect, migrate, check it can be written, seed reference data once."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlmodel import SQLModel

from tests.conftest import POSTGRES_URL
from workshop import i18n, schema, startup
from workshop.errors import DatabaseUnavailable
from workshop.models import CrateKind, Design, Market, Programme, Venue

sqlite_only = pytest.mark.skipif(bool(POSTGRES_URL), reason="SQLite set-up only")


@sqlite_only
def test_read_only_database_is_explained(tmp_path: Path):
    path = tmp_path / "ro.db"
    startup.open_database(f"sqlite:///{path}").dispose()
    # Root ignores file modes, so open the file read-only through SQLite's URI instead.
    with pytest.raises(DatabaseUnavailable):
        startup.open_database(f"sqlite:///file:{path}?mode=ro&uri=true")


@sqlite_only
def test_unopenable_path_is_explained(tmp_path: Path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    with pytest.raises(DatabaseUnavailable):
        startup.open_database(f"sqlite:///{blocker}/sub/atelier.db")


@sqlite_only
def test_directory_instead_of_file_is_explained(tmp_path: Path):
    with pytest.raises(DatabaseUnavailable):
        startup.open_database(f"sqlite:///{tmp_path}")


# What open_database seeds: markets and crate kinds, programmes, designs, venues.
SEEDED = [Market, CrateKind, Programme, Design, Venue]


def _counts(engine: Engine) -> dict[str, int]:
    """Rows in every table of the models."""
    with engine.connect() as conn:
        return {
            name: conn.execute(select(func.count()).select_from(table)).scalar_one()
            for name, table in SQLModel.metadata.tables.items()
        }


def test_a_new_database_is_migrated_and_seeded(database_url, monkeypatch):
    monkeypatch.setenv("WORKSHOP_DATABASE_URL", database_url)
    engine = startup.open_database()  # no URL: the configured one
    try:
        assert engine.url.render_as_string(hide_password=False) == database_url
        assert schema.current_revision(engine) == schema.head_revision(engine)
        counts = _counts(engine)
    finally:
        engine.dispose()
    assert [m.__name__ for m in SEEDED if counts[m.__tablename__] == 0] == []


def test_opening_again_seeds_nothing_more(engine, database_url):
    before = _counts(engine)
    assert all(before[m.__tablename__] > 0 for m in SEEDED)
    startup.open_database(database_url).dispose()  # a restart, or a second instance
    startup.open_database(database_url).dispose()
    assert _counts(engine) == before


@sqlite_only
@pytest.mark.parametrize("case", ["read-only", "unopenable", "directory"])
def test_an_unusable_database_is_a_message_not_a_crash(tmp_path: Path, case: str):
    path = tmp_path / "atelier.db"
    if case == "read-only":
        startup.open_database(f"sqlite:///{path}").dispose()
        url = f"sqlite:///file:{path}?mode=ro&uri=true"
    elif case == "unopenable":
        (tmp_path / "a-file").write_text("not a directory")
        url = f"sqlite:///{tmp_path / 'a-file'}/sub/atelier.db"
    else:
        url = f"sqlite:///{tmp_path}"
    with pytest.raises(DatabaseUnavailable) as err:
        startup.open_database(url)
    assert err.value.key == "error.db.unavailable"
    assert all(err.value.key in i18n.catalog(lang) for lang in i18n.LANGUAGES)
    assert err.value.params["detail"]  # what went wrong, for the logs

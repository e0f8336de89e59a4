"""Schema: migrations matching the models, safe to repeat, an existing database backed up first."""

from __future__ import annotations

import sqlite3

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlmodel import SQLModel

from tests.conftest import POSTGRES_URL
from workshop import backup, db, i18n, schema
from workshop.errors import DatabaseUnavailable

sqlite_only = pytest.mark.skipif(bool(POSTGRES_URL), reason="SQLite files only")


def test_migrations_match_models(engine):
    """Equivalent of `alembic check`: no difference between migrated schema and models."""
    with engine.connect() as conn:
        diff = compare_metadata(
            MigrationContext.configure(conn, opts={"compare_type": True}), SQLModel.metadata
        )
    assert diff == []
    assert schema.current_revision(engine) == schema.head_revision(engine)


def test_migrate_twice_is_harmless(engine):
    schema.migrate(engine)
    assert schema.current_revision(engine) == schema.head_revision(engine)


@sqlite_only
def test_migration_of_an_existing_database_is_preceded_by_a_backup(tmp_path, data_dir):
    url = f"sqlite:///{tmp_path / 'atelier.db'}"
    engine = db.make_engine(url)
    schema.migrate(engine)  # a new database: nothing to keep
    assert backup.recent_backups() == []
    schema.migrate(engine)  # already up to date: nothing to do
    assert backup.recent_backups() == []
    engine.dispose()

    old_url = f"sqlite:///{tmp_path / 'old.db'}"
    old = db.make_engine(old_url)
    schema.migrate(old, to="0002")
    with old.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO market (name, location, arrondissement, in_20e, days, active)"
                " VALUES ('Marché test', '', '20', 1, '', 1)"
            )
        )
    schema.migrate(old)
    made = backup.recent_backups()
    assert len(made) == 1 and made[0].name.endswith("-before-0002.sqlite3")
    copy = sqlite3.connect(made[0].path)
    try:
        assert copy.execute("SELECT version_num FROM alembic_version").fetchone()[0] == "0002"
        assert copy.execute("SELECT name FROM market").fetchall() == [("Marché test",)]
    finally:
        copy.close()
    assert schema.current_revision(old) == schema.head_revision(old)
    old.dispose()


def test_errors_have_messages_in_both_languages():
    keys = ["error.backup.before_migration"]
    for lang in i18n.LANGUAGES:
        assert all(k in i18n.catalog(lang) for k in keys)


def test_a_database_that_could_not_be_backed_up_is_not_migrated(
    database_url, data_dir, monkeypatch
):
    engine = db.make_engine(database_url)
    schema.migrate(engine, to="0002")

    def disk_full(*_args, **_kwargs):
        raise OSError("No space left on device")

    monkeypatch.setattr(backup, "write_backup", disk_full)
    with pytest.raises(DatabaseUnavailable) as err:
        schema.migrate(engine)
    assert err.value.key == "error.backup.before_migration"
    assert "No space left" in err.value.params["detail"]
    assert schema.current_revision(engine) == "0002"  # left as it was
    schema.migrate(engine, backup_first=False)  # restore's way: no copy asked for
    assert schema.current_revision(engine) == schema.head_revision(engine)
    engine.dispose()

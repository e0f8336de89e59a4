"""The database schema: Alembic migrations, with a backup of an existing database first."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from workshop import backup, config
from workshop.errors import DatabaseUnavailable

MIGRATIONS_DIR = config.PROJECT_ROOT / "migrations"


def alembic_config(engine: Engine) -> Config:
    """Alembic's configuration for migrating `engine` (migrations/env.py uses the engine)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["engine"] = engine
    return cfg


def migrate(engine: Engine, *, to: str = "head", backup_first: bool = True) -> None:
    """Bring the schema up to the newest migration (safe to call at every start).

    An existing database that a migration is about to change is backed up first
    (`backup.write_backup`, under the data directory); a new, empty one is not.
    """
    try:
        if backup_first:
            _backup_before_upgrade(engine)
        command.upgrade(alembic_config(engine), to)
    except (OperationalError, SQLAlchemyError) as exc:
        raise DatabaseUnavailable(
            "error.db.unavailable", detail=str(getattr(exc, "orig", None) or exc)
        ) from exc


def current_revision(engine: Engine) -> str | None:
    """The migration the database is at (None: no tables yet)."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision(engine: Engine) -> str | None:
    """The newest migration this version of the app knows."""
    return ScriptDirectory.from_config(alembic_config(engine)).get_current_head()


def _backup_before_upgrade(engine: Engine) -> None:
    current = current_revision(engine)
    if current is None or current == head_revision(engine):
        return  # a new database, or nothing to migrate
    try:
        backup.write_backup(engine, label=f"before-{current}")
    except (OSError, SQLAlchemyError) as exc:
        # Never change a database we could not copy first.
        raise DatabaseUnavailable("error.backup.before_migration", detail=str(exc)) from exc

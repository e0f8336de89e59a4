"""Backups (restore: `restore`).

- SQLite: a copy made with SQLite's online backup API (consistent while the app
  keeps writing), written to `<name>.partial` then renamed, and checked with
  `PRAGMA integrity_check` before it counts. A failed backup (a full disk) leaves
  no `.partial` file behind, whatever its kind.
- PostgreSQL (or on request, SQLite too): a portable JSON export of every table,
  in dependency order (parents first), with the migration it was made at.
- Restore goes into an *empty* database only: one with no users and no audit
  history (the reference data the app seeds on its first start is replaced). A
  SQLite file or a JSON export restores into SQLite or PostgreSQL alike; a backup
  made by an older version is restored at its own migration, then upgraded.
"""

from __future__ import annotations

import json
import os
import sqlite3
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, MetaData, Table, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from workshop import audit, config, dates, db
from workshop.accounts import Permission, require
from workshop.errors import DatabaseUnavailable, InvalidInput
from workshop.models import User

FORMAT = "atelier-cagettes-backup"
FORMAT_VERSION = 1
SQLITE_SUFFIX = ".sqlite3"
JSON_SUFFIX = ".json"
SQLITE_MAGIC = b"SQLite format 3\x00"
# Tables that say a database has been used: restore never goes over them.
IN_USE_TABLES = ("app_user", "auditevent")
# `installation`: a database's own identity (signed into its sign-in tokens); a
# restored copy keeps the one its migration made, so old tokens do not open it.
_SKIP_TABLES = {"alembic_version", "installation"}
# Kept by database triggers from the other tables (migration 0007): not exported,
# rebuilt by those triggers as the rows are restored.
DERIVED_TABLES = ("tally_counted", "tally_outcome")


def backup_dir() -> Path:
    """Where backups go by default: `<data dir>/backups`."""
    return config.data_dir() / "backups"


def sqlite_path(engine: Engine) -> Path | None:
    """The file of a SQLite database (None for PostgreSQL or an in-memory database)."""
    url = engine.url
    if url.get_backend_name() != "sqlite":
        return None
    name = url.database or ""
    if not name or name == ":memory:" or name.startswith("file:"):
        return None
    return Path(name)


def _new_path(out_dir: Path, label: str, suffix: str) -> Path:
    """A fresh timestamped file name (UTC) that no other backup has."""
    stamp = dates.utcnow().strftime("%Y%m%d-%H%M%SZ")
    stem = f"atelier-{stamp}" + (f"-{label}" if label else "")
    path, n = out_dir / f"{stem}{suffix}", 1
    while path.exists() or path.with_name(path.name + ".partial").exists():
        n += 1
        path = out_dir / f"{stem}-{n}{suffix}"
    return path


def write_backup(
    engine: Engine, *, out_dir: Path | None = None, as_json: bool = False, label: str = ""
) -> Path:
    """Back the database up to a new timestamped file in `out_dir`; returns its path."""
    out_dir = Path(out_dir) if out_dir else backup_dir()
    out_dir.mkdir(parents=True, exist_ok=True)
    source = sqlite_path(engine)
    if source is not None and not source.is_file():
        raise DatabaseUnavailable("error.backup.no_database", detail=str(source))
    copy_of = None if as_json else source  # a SQLite file to copy, else a JSON export
    path = _new_path(out_dir, label, JSON_SUFFIX if copy_of is None else SQLITE_SUFFIX)
    partial = path.with_name(path.name + ".partial")
    try:
        try:
            if copy_of is None:
                _json_export(engine, partial)
            else:
                _sqlite_copy(copy_of, partial)
            os.replace(partial, path)
        finally:
            # Gone once renamed; after a failure (a full disk) no half-written file is left.
            partial.unlink(missing_ok=True)
    except (OSError, sqlite3.Error, SQLAlchemyError) as exc:
        raise DatabaseUnavailable("error.backup.failed", detail=str(exc)) from exc
    return path


def _json_export(engine: Engine, partial: Path) -> None:
    with engine.connect() as conn:
        data = export_data(conn)
    with open(partial, "w", encoding="utf-8") as fh:
        json.dump(data, fh, ensure_ascii=False, separators=(",", ":"))
        fh.flush()
        os.fsync(fh.fileno())


def _sqlite_copy(source: Path, partial: Path) -> None:
    src = sqlite3.connect(str(source), timeout=db.BUSY_TIMEOUT_MS / 1000)
    try:
        dst = sqlite3.connect(str(partial))
        try:
            # One step: the copy is one consistent snapshot, taken as a reader (WAL
            # lets the app go on writing meanwhile).
            src.backup(dst)
            dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
            check = dst.execute("PRAGMA integrity_check").fetchone()
        finally:
            dst.close()
    finally:
        src.close()
    if not check or check[0] != "ok":
        raise DatabaseUnavailable("error.backup.copy_damaged", detail=str(check))


def own_tables(conn: Connection, *, derived: bool = False) -> list[Table]:
    """The database's own tables, parents before children (`derived`: only the tallies)."""
    meta = MetaData()
    meta.reflect(bind=conn)
    if derived:
        return [t for t in meta.sorted_tables if t.name in DERIVED_TABLES]
    skip = _SKIP_TABLES.union(DERIVED_TABLES)
    return [t for t in meta.sorted_tables if t.name not in skip]


def _json_value(value: Any) -> Any:
    # Times as UTC without an offset, as SQLite keeps them: exports from SQLite
    # and PostgreSQL (timestamptz) read the same.
    if isinstance(value, datetime) and value.utcoffset() is not None:
        return value.astimezone(UTC).replace(tzinfo=None).isoformat()
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def export_data(conn: Connection) -> dict[str, Any]:
    """Every table's rows as JSON-ready data, in dependency order, with the migration."""
    from alembic.runtime.migration import MigrationContext

    tables = {}
    for table in own_tables(conn):
        key = list(table.primary_key.columns) or list(table.columns)
        rows = conn.execute(select(table).order_by(*key)).all()
        tables[table.name] = {
            "columns": [c.name for c in table.columns],
            "rows": [[_json_value(v) for v in row] for row in rows],
        }
    return {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "revision": MigrationContext.configure(conn).get_current_revision(),
        "dialect": conn.dialect.name,
        "created_at": dates.utcnow().isoformat(),
        "tables": tables,
    }


@dataclass(frozen=True)
class BackupFile:
    """A backup on disk."""

    path: Path
    size: int
    made_at: datetime  # UTC

    @property
    def name(self) -> str:
        """The file name."""
        return self.path.name


def recent_backups(out_dir: Path | None = None, limit: int = 30) -> list[BackupFile]:
    """Backups in `out_dir` (default: the data directory's), newest first."""
    folder = Path(out_dir) if out_dir else backup_dir()
    if not folder.is_dir():
        return []
    found = []
    for path in folder.iterdir():
        if path.suffix in (SQLITE_SUFFIX, JSON_SUFFIX) and path.is_file():
            stat = path.stat()
            found.append(BackupFile(path, stat.st_size, datetime.fromtimestamp(stat.st_mtime, UTC)))
    found.sort(key=lambda b: (b.made_at, b.name), reverse=True)
    return found[:limit]


def create_backup(*, session: Session, actor: User, as_json: bool = False) -> BackupFile:
    """Make a backup now (admin); the audit log says who made it."""
    require(actor, Permission.backup)
    engine = session.get_bind()
    assert isinstance(engine, Engine)
    path = write_backup(engine, as_json=as_json)
    audit.record(
        session=session,
        actor=actor,
        action="backup",
        entity="database",
        entity_id=path.name,
    )
    stat = path.stat()
    return BackupFile(path, stat.st_size, datetime.fromtimestamp(stat.st_mtime, UTC))


def backup_bytes(*, actor: User, name: str) -> bytes:
    """The content of one backup in the backup folder, by file name (admin)."""
    require(actor, Permission.backup)
    wanted = {b.name: b.path for b in recent_backups(limit=10_000)}
    if name not in wanted:  # only files listed there: no path from the page is trusted
        raise InvalidInput("error.backup.unknown_file")
    return wanted[name].read_bytes()


def describe_url(url: str) -> str:
    """A database URL as it can be shown (password hidden)."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - only for a message
        return "?"

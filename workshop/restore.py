"""Restoring a backup into an empty database (SQLite file or JSON export, to SQLite or PostgreSQL).

A database counts as empty when it has no users and no audit history (the reference
data the app seeds on its first start is replaced). A backup made by an older
version is restored at its own migration, then upgraded.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Table, create_engine, func, select, text
from sqlalchemy.exc import SQLAlchemyError

from workshop import db, schema
from workshop.backup import (
    FORMAT,
    FORMAT_VERSION,
    IN_USE_TABLES,
    SQLITE_MAGIC,
    export_data,
    own_tables,
)
from workshop.errors import InvalidInput


def read_backup(path: Path) -> dict[str, Any]:
    """A backup file's contents as export data (a SQLite copy is read the same way)."""
    path = Path(path)
    try:
        with open(path, "rb") as fh:
            head = fh.read(len(SQLITE_MAGIC))
    except OSError as exc:
        raise InvalidInput("error.backup.unreadable", detail=str(exc)) from exc
    if head == SQLITE_MAGIC:
        engine = create_engine(f"sqlite:///file:{path.resolve()}?mode=ro&uri=true")
        try:
            with engine.connect() as conn:
                return export_data(conn)
        except SQLAlchemyError as exc:
            raise InvalidInput("error.backup.unreadable", detail=str(exc)) from exc
        finally:
            engine.dispose()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise InvalidInput("error.backup.not_a_backup") from exc
    if (
        not isinstance(data, dict)
        or data.get("format") != FORMAT
        or not isinstance(data.get("tables"), dict)
    ):
        raise InvalidInput("error.backup.not_a_backup")
    if data.get("version") != FORMAT_VERSION:
        raise InvalidInput("error.backup.format_version", version=str(data.get("version")))
    return data


@dataclass(frozen=True)
class Restored:
    """What a restore put back."""

    tables: int
    rows: int
    revision: str | None


def _python_value(value: Any, column: Any) -> Any:
    if value is None or not isinstance(value, str):
        return value
    try:
        kind = column.type.python_type
    except NotImplementedError:
        return value
    if kind is datetime:
        moment = datetime.fromisoformat(value)
        if getattr(column.type, "timezone", False) and moment.utcoffset() is None:
            moment = moment.replace(tzinfo=UTC)  # never read in the server's own time zone
        return moment
    if kind is date:
        return date.fromisoformat(value)
    return value


def _in_use(conn: Connection, tables: dict[str, Table]) -> bool:
    for name in IN_USE_TABLES:
        if name in tables:
            if conn.execute(select(func.count()).select_from(tables[name])).scalar():
                return True
    return False


def restore(path: Path, url: str | None = None) -> Restored:
    """Restore a backup file into the (empty) database at `url` (default: the configured one)."""
    data = read_backup(path)
    revision = data.get("revision")
    engine = db.make_engine(url)
    try:
        current = schema.current_revision(engine)
        if current is None:
            # A new database: build it as it was when the backup was made.
            schema.migrate(engine, to=revision or "base", backup_first=False)
        elif current != revision:
            raise InvalidInput(
                "error.backup.other_version", backup=str(revision), database=str(current)
            )
        with db.write_session(engine) as session:
            rows = _load(session.connection(), data["tables"])
        if revision != schema.head_revision(engine):
            schema.migrate(engine, backup_first=False)
        return Restored(tables=len(data["tables"]), rows=rows, revision=revision)
    finally:
        engine.dispose()


def _load(conn: Connection, source: dict[str, Any]) -> int:
    tables = {t.name: t for t in own_tables(conn)}
    if _in_use(conn, tables):
        raise InvalidInput("error.backup.not_empty")
    unknown = sorted(set(source) - set(tables))
    if unknown:
        raise InvalidInput("error.backup.unknown_tables", tables=", ".join(unknown))
    ordered = [t for t in tables.values() if t.name in source]
    # Reference data seeded at the first start goes: the backup has its own.
    for table in [*reversed(list(tables.values())), *own_tables(conn, derived=True)]:
        conn.execute(table.delete())
    total = 0
    for table in ordered:
        columns = source[table.name].get("columns", [])
        missing = [c for c in columns if c not in table.columns]
        if missing:
            raise InvalidInput(
                "error.backup.unknown_columns", table=table.name, columns=", ".join(missing)
            )
        batch = [
            {c: _python_value(v, table.columns[c]) for c, v in zip(columns, row, strict=True)}
            for row in source[table.name].get("rows", [])
        ]
        for start in range(0, len(batch), 1000):
            conn.execute(table.insert(), batch[start : start + 1000])
        total += len(batch)
        _reset_sequence(conn, table)
    return total


def _reset_sequence(conn: Connection, table: Table) -> None:
    """PostgreSQL: the next id after the restored ones (SQLite needs nothing)."""
    if conn.dialect.name != "postgresql" or "id" not in table.columns:
        return
    sequence = conn.execute(
        text("SELECT pg_get_serial_sequence(:t, 'id')"), {"t": table.name}
    ).scalar()
    if sequence:
        conn.execute(
            text(
                f'SELECT setval(:s, COALESCE((SELECT MAX(id) FROM "{table.name}"), 0) + 1, false)'
            ),
            {"s": sequence},
        )

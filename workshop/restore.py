"""Restoring a backup into an empty database (SQLite file or JSON export, to SQLite or PostgreSQL).

A database counts as empty when it has no users and no audit history (the reference
data the app seeds on its first start is replaced). A backup made by an older
version is restored at its own migration, then upgraded.

Every row of the backup is checked against the models' rules first (types, choices,
lengths, numbers, dates, references, unique values), and a backup without markets,
crate kinds or an active admin is refused: a refused backup changes nothing, and the
message names the table, the row and the reason.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    Date,
    DateTime,
    Enum,
    Float,
    Integer,
    Table,
    TypeDecorator,
    UniqueConstraint,
    create_engine,
    func,
    select,
    text,
)
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import SQLModel

from workshop import dates, db, models, schema
from workshop.backup import (
    DERIVED_TABLES,
    FORMAT,
    FORMAT_VERSION,
    IN_USE_TABLES,
    SQLITE_MAGIC,
    export_data,
    own_tables,
)
from workshop.errors import DatabaseUnavailable, InvalidInput

# Seeded on the first start, never deleted: a backup without them is not the app's.
REFERENCE_TABLES = ("market", "cratekind")
YEARS_AHEAD = 10  # a contract's end or a delivery may be planned; 9999-12-31 is not
MAX_INTEGER = 2**31 - 1  # PostgreSQL's integer
MAX_NUMBER = 1e9  # kilos, hours, euros, a venue's monthly figure: never more
SHOWN_CHARS = 40  # of a refused value, in the message


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
        except (SQLAlchemyError, ValueError, TypeError) as exc:  # a date SQLite cannot read
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


def check_backup(tables: dict[str, Any]) -> None:
    """Refuse (InvalidInput naming the table, row and reason) a backup whose rows break
    the models' rules, or that has no markets, crate kinds or active admin."""
    records = {name: _records(name, content) for name, content in tables.items()}
    for name, rows in records.items():
        _check_values(SQLModel.metadata.tables[name], rows)
        _check_unique(SQLModel.metadata.tables[name], rows)
    for name, rows in records.items():
        _check_references(SQLModel.metadata.tables[name], rows, records)
    for name in REFERENCE_TABLES:
        if not records.get(name):
            raise InvalidInput("error.backup.no_reference_data", table=name)
    admins = [u for u in records.get("app_user", []) if u.get("role") == models.Role.admin.value]
    if not any(u.get("active", True) for u in admins):
        raise InvalidInput("error.backup.no_admin")


def _records(name: str, content: Any) -> list[dict[str, Any]]:
    """A backup table's rows as {column: value}, once its shape and columns are checked."""
    model = SQLModel.metadata.tables.get(name)
    if model is None or name in DERIVED_TABLES:
        raise InvalidInput("error.backup.unknown_tables", tables=name)
    if not isinstance(content, dict):
        raise InvalidInput("error.backup.not_a_backup")
    columns, rows = content.get("columns", []), content.get("rows", [])
    if not (isinstance(rows, list) and isinstance(columns, list)):
        raise InvalidInput("error.backup.not_a_backup")
    if not all(isinstance(c, str) for c in columns):
        raise InvalidInput("error.backup.not_a_backup")
    unknown = [c for c in columns if c not in model.columns]
    unknown += sorted({c for c in columns if columns.count(c) > 1})  # named twice
    if unknown:
        raise InvalidInput("error.backup.unknown_columns", table=name, columns=", ".join(unknown))
    # A column with a default may be missing: an older version's backup lacks the
    # columns added since, and the upgrade after the restore fills them in.
    required = [
        c.name
        for c in model.columns
        if not c.nullable and c.server_default is None and c.default is None
    ]
    if rows and (missing := [c for c in required if c not in columns]):
        raise InvalidInput("error.backup.missing_columns", table=name, columns=", ".join(missing))
    records = []
    for number, row in enumerate(rows, start=1):
        if not isinstance(row, list) or len(row) != len(columns):
            got = len(row) if isinstance(row, list) else 0
            raise InvalidInput(
                "error.backup.row_length", table=name, row=number, got=got, expected=len(columns)
            )
        records.append(dict(zip(columns, row, strict=True)))
    return records


def _refused(key: str, table: str, row: int, column: str, value: Any, **more: Any) -> InvalidInput:
    shown = json.dumps(value, ensure_ascii=False, default=str)
    if len(shown) > SHOWN_CHARS:
        shown = shown[: SHOWN_CHARS - 1] + "…"
    return InvalidInput(key, table=table, row=row, column=column, value=shown, **more)


def _check_values(model: Table, rows: list[dict[str, Any]]) -> None:
    """Raise at the first value that cannot be restored into its column (the model's)."""
    for number, row in enumerate(rows, start=1):
        for column, value in row.items():
            if problem := _problem(model.columns[column], value):
                key, more = problem
                raise _refused(key, model.name, number, column, value, **more)


def _problem(column: Column[Any], value: Any) -> tuple[str, dict[str, Any]] | None:
    """What is wrong with `value` for `column`: a message key and its parameters, or None."""
    kind = column.type.impl_instance if isinstance(column.type, TypeDecorator) else column.type
    length = getattr(column.type, "length", None)
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if value is None:
        return None if column.nullable else ("error.backup.value.empty", {})
    if isinstance(kind, Enum):
        if value in kind.enums:
            return None
        return "error.backup.value.choice", {"choices": ", ".join(kind.enums)}
    if isinstance(kind, Boolean):
        return None if isinstance(value, bool) else ("error.backup.value.boolean", {})
    if isinstance(kind, Integer):
        if number and isinstance(value, int) and 0 <= value <= MAX_INTEGER:
            return None
        return "error.backup.value.integer", {"max": MAX_INTEGER}
    if isinstance(kind, Float):
        if number and math.isfinite(value) and 0 <= value <= MAX_NUMBER:
            return None
        return "error.backup.value.number", {"max": MAX_NUMBER}
    if isinstance(kind, Date | DateTime):
        return _date_problem(value, with_time=isinstance(kind, DateTime))
    if not isinstance(value, str):
        return "error.backup.value.text", {}
    if length is not None and len(value) > length:
        return "error.backup.value.too_long", {"length": len(value), "max": length}
    return None


def _date_problem(value: Any, *, with_time: bool) -> tuple[str, dict[str, Any]] | None:
    last = date(dates.today().year + YEARS_AHEAD, 12, 31)
    try:
        moment = datetime.fromisoformat(value) if with_time else date.fromisoformat(value)
    except (TypeError, ValueError):
        moment = None
    day = moment.date() if isinstance(moment, datetime) else moment
    if day is not None and dates.EARLIEST <= day <= last:
        return None
    return "error.backup.value.date", {"first": dates.EARLIEST, "last": last}


def _unique_columns(model: Table) -> Iterator[tuple[str, ...]]:
    """Every set of columns whose values may appear once: the key, unique columns and pairs."""
    yield tuple(c.name for c in model.primary_key.columns)
    yield from ((c.name,) for c in model.columns if c.unique)
    for constraint in model.constraints:
        if isinstance(constraint, UniqueConstraint):
            yield tuple(c.name for c in constraint.columns)


def _check_unique(model: Table, rows: list[dict[str, Any]]) -> None:
    for names in _unique_columns(model):
        seen: set[tuple[Any, ...]] = set()
        for number, row in enumerate(rows, start=1):
            if any(row.get(name) is None for name in names):
                continue  # absent or empty: not a value that can repeat
            values = tuple(row[name] for name in names)
            if values in seen:
                shown = values[0] if len(values) == 1 else list(values)
                raise _refused(
                    "error.backup.value.duplicate", model.name, number, ", ".join(names), shown
                )
            seen.add(values)


def _check_references(
    model: Table, rows: list[dict[str, Any]], records: dict[str, list[dict[str, Any]]]
) -> None:
    """Every reference to another row (a lot's market, an hour's trainee) is to a row restored."""
    for column in model.columns:
        for key in column.foreign_keys:
            target, target_column = key.column.table.name, key.column.name
            present = {row.get(target_column) for row in records.get(target, [])}
            for number, row in enumerate(rows, start=1):
                value = row.get(column.name)
                if value is not None and value not in present:
                    raise _refused(
                        "error.backup.value.reference",
                        model.name,
                        number,
                        column.name,
                        value,
                        target=target,
                    )


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
    check_backup(data["tables"])  # before anything is written
    try:
        return _restore(data, url)
    except SQLAlchemyError as exc:  # refused by the database all the same: rolled back
        detail = str(getattr(exc, "orig", None) or exc)
        raise DatabaseUnavailable("error.backup.restore_failed", detail=detail) from exc


def _restore(data: dict[str, Any], url: str | None) -> Restored:
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
    missing = sorted(set(tables) - set(source))
    if missing:  # they would be left empty, the seeded reference data with them
        raise InvalidInput("error.backup.missing_tables", tables=", ".join(missing))
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

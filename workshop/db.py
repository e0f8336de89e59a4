"""Database engine and sessions (migrations: `schema`).

SQLite is set up for a shared workshop server: WAL (readers never block the
writer), foreign keys on, a 10 s busy timeout, and write transactions opened
with BEGIN IMMEDIATE so that two writers queue instead of failing halfway with
"database is locked" when both read-then-write. A writer kept waiting longer than
the busy timeout (another process holding the lock) gets the named DatabaseBusy,
on PostgreSQL too (`lock_timeout`), and nothing of its transaction is written.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError, SQLAlchemyError
from sqlalchemy.pool import QueuePool
from sqlmodel import Session

from workshop import config
from workshop.errors import DatabaseBusy, DatabaseUnavailable

BUSY_TIMEOUT_MS = 10_000  # how long a writer waits for another's lock (read when connecting)
# The driver's "another writer holds the lock": SQLite's SQLITE_BUSY (and its variants),
# PostgreSQL's lock_not_available once `lock_timeout` has passed.
_SQLITE_BUSY = "SQLITE_BUSY"
_PG_LOCK_NOT_AVAILABLE = "55P03"
_IMMEDIATE = "workshop_immediate"
# Key of the PostgreSQL advisory lock write sessions queue on (any fixed 64-bit number).
PG_WRITE_LOCK = 0x61746C6965720001


def make_engine(url: str | None = None) -> Engine:
    """Create the engine for `url` (default: the configured database), SQLite tuned."""
    url = url or config.database_url()
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise DatabaseUnavailable("error.db.bad_url", detail=str(exc)) from exc
    if parsed.get_backend_name() != "sqlite":
        try:
            return create_engine(url, pool_pre_ping=True)
        except (ArgumentError, ImportError) as exc:
            raise DatabaseUnavailable("error.db.bad_url", detail=str(exc)) from exc

    if (
        parsed.database
        and parsed.database != ":memory:"
        and not parsed.database.startswith("file:")
    ):
        try:
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DatabaseUnavailable("error.db.unavailable", detail=str(exc)) from exc
    engine = create_engine(
        url,
        connect_args={"timeout": BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
        # Connections are kept open (each checkout still has one to itself):
        # closing the last one checkpoints and deletes the WAL, which made every
        # short write session pay ~12 ms on close and a sync on its next commit.
        poolclass=QueuePool,
        pool_size=8,
        max_overflow=8,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy, not pysqlite, emit BEGIN, so we can choose IMMEDIATE.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        immediate = conn.get_execution_options().get(_IMMEDIATE, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


@contextmanager
def read_session(engine: Engine) -> Iterator[Session]:
    """A short session for reading; nothing it changes is committed."""
    with Session(engine) as session:
        yield session


@contextmanager
def write_session(engine: Engine) -> Iterator[Session]:
    """One user action in one transaction: committed on success, rolled back on any error."""
    # expire_on_commit=False: the page still reads the returned model after commit.
    with Session(engine, expire_on_commit=False) as session:
        try:
            # On SQLite take the write lock at BEGIN (see module docstring).
            conn = session.connection(execution_options={_IMMEDIATE: True})
            if conn.dialect.name == "postgresql":
                # The same on PostgreSQL: writers queue on one transaction-level lock, so a
                # read-then-write (lot not over-tagged, 12 h a day) cannot race another
                # instance's; readers are never blocked, the lock goes with COMMIT/ROLLBACK.
                # They wait as long as on SQLite, then give up like it (DatabaseBusy).
                conn.exec_driver_sql(f"SET LOCAL lock_timeout = {int(BUSY_TIMEOUT_MS)}")
                conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({PG_WRITE_LOCK})")
            yield session
            session.commit()
        except BaseException as exc:
            session.rollback()
            if isinstance(exc, OperationalError) and _is_busy(exc):
                raise DatabaseBusy() from exc
            raise


def _is_busy(exc: OperationalError) -> bool:
    """True when the write waited for another writer's lock and gave up."""
    orig = exc.orig
    if getattr(orig, "sqlstate", None) == _PG_LOCK_NOT_AVAILABLE:
        return True
    name = getattr(orig, "sqlite_errorname", "") or ""
    return name.startswith(_SQLITE_BUSY) or "database is locked" in str(orig)


def check_writable(engine: Engine) -> None:
    """Raise DatabaseUnavailable when the database cannot be opened or written."""
    try:
        with engine.connect() as conn:
            conn.execution_options(**{_IMMEDIATE: True})
            # A real (rolled back) write: a read-only file only fails on writing.
            conn.exec_driver_sql("UPDATE alembic_version SET version_num = version_num")
            conn.rollback()
    except SQLAlchemyError as exc:
        raise DatabaseUnavailable("error.db.unavailable", detail=str(exc)) from exc

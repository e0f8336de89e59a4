"""The database layer: SQLite set-up, write transactions, foreign keys, a bad URL explained."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import text
from sqlmodel import select

from tests import factories
from tests.conftest import POSTGRES_URL
from workshop import db
from workshop.errors import DatabaseBusy, DatabaseUnavailable
from workshop.models import Market

sqlite_only = pytest.mark.skipif(bool(POSTGRES_URL), reason="SQLite set-up only")


@sqlite_only
def test_sqlite_pragmas(engine):
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000


def test_write_session_rolls_back_on_error(engine):
    with pytest.raises(RuntimeError), db.write_session(engine) as session:
        session.add(Market(name="Marché fantôme"))
        session.flush()
        raise RuntimeError("boom")
    with db.read_session(engine) as session:
        assert session.exec(select(Market).where(Market.name == "Marché fantôme")).first() is None


@sqlite_only
def test_concurrent_read_then_write_does_not_fail(engine):
    """Two writers that read then write: BEGIN IMMEDIATE makes them queue, never 'locked'."""
    with db.write_session(engine) as session:
        session.add(Market(name="Compteur", location="0"))
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def bump(name: str) -> None:
        try:
            barrier.wait()
            for _ in range(25):
                with db.write_session(engine) as session:
                    market = session.exec(select(Market).where(Market.name == name)).one()
                    market.location = str(int(market.location or "0") + 1)
                    session.add(market)
        except BaseException as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)

    threads = [threading.Thread(target=bump, args=("Compteur",)) for _ in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []
    with db.read_session(engine) as session:
        market = session.exec(select(Market).where(Market.name == "Compteur")).one()
    assert market.location == "100"  # no lost update


def test_a_writer_kept_waiting_too_long_is_told_the_database_is_busy(
    engine, database_url, monkeypatch
):
    """Another process holds the write lock: a named DatabaseBusy, not the driver's error."""
    monkeypatch.setattr(db, "BUSY_TIMEOUT_MS", 300)  # read by the new engine's connections
    waiting = db.make_engine(database_url)
    try:
        with factories.another_writer(engine):
            started = time.monotonic()
            with pytest.raises(DatabaseBusy) as caught, db.write_session(waiting) as session:
                session.add(Market(name="Marché bloqué"))
            assert 0.2 < time.monotonic() - started < 5  # it waited its busy timeout, no more
        assert caught.value.key == "error.db.busy" and caught.value.params == {}
        with db.write_session(waiting) as session:  # once the lock is gone, writes go through
            session.add(Market(name="Marché débloqué"))
        with db.read_session(engine) as session:
            names = set(session.exec(select(Market.name)))
        assert "Marché débloqué" in names and "Marché bloqué" not in names
    finally:
        waiting.dispose()


def test_bad_url_is_explained():
    with pytest.raises(DatabaseUnavailable) as err:
        db.make_engine("nonsense://")
    assert err.value.key == "error.db.bad_url"


def test_foreign_keys_enforced(engine):
    from workshop.models import LotLine

    with pytest.raises(Exception), db.write_session(engine) as session:  # noqa: B017
        session.add(LotLine(lot_id=999_999, crate_kind_id=999_999, count=1))
        session.flush()
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM lotline")).scalar() == 0

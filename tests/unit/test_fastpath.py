"""Core SQL in step with the ORM session: stored codes, autoflush, loaded and written instances."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event, func, inspect, select, update
from sqlalchemy.orm.attributes import get_history

from tests import factories
from workshop import codes, db, fastpath
from workshop.errors import DomainError, InvalidCode, WrongCodeKind
from workshop.models import Market

MARKET = fastpath.table(Market)


@contextmanager
def statements(engine) -> Iterator[list[str]]:
    """The SQL statements sent to the database inside the block."""
    sent: list[str] = []

    def record(_conn, _cursor, statement, *_args) -> None:
        sent.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", record)


def _row(session, market_id: int) -> dict:
    """A market's row read with Core on the session's connection, as the fast paths read theirs."""
    return dict(
        session.connection()
        .execute(select(MARKET).where(MARKET.c.id == market_id))
        .mappings()
        .one()
    )


def test_table_is_the_models_core_table():
    assert fastpath.table(Market) is Market.__table__
    assert MARKET.name == "market" and "name" in MARKET.c


@pytest.mark.parametrize("kind", sorted(codes.KINDS))
def test_a_stored_code_is_returned_unchanged_without_parsing(kind, monkeypatch):
    code = codes.mint(kind)
    assert codes.parse(code, expect=kind) == code  # what parse would have said

    def no_parse(*_args, **_kwargs):
        raise AssertionError("parsed")

    monkeypatch.setattr(codes, "parse", no_parse)
    assert fastpath.stored_code(code) == code
    assert fastpath.stored_code(code, expect=kind) == code


def _raised(call, *args, **kwargs) -> DomainError:
    with pytest.raises(DomainError) as err:
        call(*args, **kwargs)
    return err.value


def test_anything_else_goes_through_parse_errors_included():
    crate, lot = codes.mint("C"), codes.mint("L")
    wrong_check = crate[:-1] + next(ch for ch in codes.ALPHABET if ch != crate[-1])
    for text, expect, error, key in (
        (lot, "C", WrongCodeKind, "error.code.wrong_kind"),  # a valid code of another kind
        (wrong_check, "C", InvalidCode, "error.code.bad_check"),
        (wrong_check, None, InvalidCode, "error.code.bad_check"),
    ):
        ours, theirs = (
            _raised(f, text, expect=expect) for f in (fastpath.stored_code, codes.parse)
        )
        assert type(ours) is type(theirs) is error
        assert (ours.key, ours.params) == (theirs.key, theirs.params) and ours.key == key
    # A code as printed or typed is read as parse reads it.
    for typed in (codes.format_code(crate), crate.lower(), codes.url_for(crate)):
        assert fastpath.stored_code(typed, expect="C") == codes.parse(typed, expect="C") == crate


def test_autoflush_flushes_what_the_session_holds_unless_it_should_not(engine):
    count = select(func.count()).select_from(MARKET).where(MARKET.c.name.like("Marché du test%"))
    with db.write_session(engine) as session:
        conn = session.connection()  # Core on it does not flush the session by itself
        with session.no_autoflush:
            session.add(Market(name="Marché du test 1"))
            fastpath.autoflush(session)
            assert conn.execute(count).scalar_one() == 0  # still only in the session
        assert conn.execute(count).scalar_one() == 0
        fastpath.autoflush(session)
        assert conn.execute(count).scalar_one() == 1
        assert not session.new
        session.rollback()


def test_loaded_hands_back_the_sessions_own_instance(engine):
    market_id = factories.market(engine).id
    with db.read_session(engine) as session:
        held = session.get(Market, market_id)
        values = {**_row(session, market_id), "name": "Nom périmé"}
        with statements(engine) as sent:
            got = fastpath.loaded(session, Market, values)
        assert got is held and held.name == "Marché Davout"  # the session's instance wins
        assert sent == []


def test_loaded_makes_a_persistent_instance_without_sql(engine):
    market_id = factories.market(engine).id
    with db.read_session(engine) as session:
        values = _row(session, market_id)
        with statements(engine) as sent:
            got = fastpath.loaded(session, Market, values)
            state = inspect(got)
            assert state.persistent and not state.pending and got in session
            assert (got.id, got.name, got.days) == (market_id, "Marché Davout", values["days"])
            assert session.get(Market, market_id) is got  # the identity map now has it
            assert not session.new and not session.dirty
            session.flush()  # nothing to write
        assert sent == []


def test_written_tells_the_instance_without_making_it_dirty(engine):
    market_id = factories.market(engine).id
    with db.write_session(engine) as session:
        held = session.get(Market, market_id)
        session.connection().execute(
            update(MARKET).where(MARKET.c.id == market_id).values(location="Rue X")
        )
        fastpath.written(session, Market, market_id, {"location": "Rue X"})
        assert held.location == "Rue X"
        assert held not in session.dirty
        assert not get_history(held, "location").has_changes()
        with statements(engine) as sent:
            session.flush()
        assert sent == []  # no UPDATE sent again
        # A row the session does not hold: nothing to tell, nothing loaded.
        before = len(session.identity_map)
        fastpath.written(session, Market, 999_999, {"location": "Nulle part"})
        assert len(session.identity_map) == before
    with db.read_session(engine) as session:
        assert session.get(Market, market_id).location == "Rue X"

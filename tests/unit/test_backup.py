"""Backups: SQLite online copies, JSON exports, for admins only, downloads, audited."""

from __future__ import annotations

import errno
import sqlite3

import pytest

from tests import factories
from tests.conftest import POSTGRES_URL
from workshop import backup, db, i18n
from workshop.errors import DomainError, InvalidInput, PermissionDenied
from workshop.models import Role

sqlite_only = pytest.mark.skipif(bool(POSTGRES_URL), reason="SQLite files only")


@sqlite_only
def test_sqlite_backup_is_a_checked_standalone_file(engine, data_dir):
    factories.fill(engine)
    path = backup.write_backup(engine, label="test")
    assert path.name.startswith("atelier-") and path.name.endswith("-test.sqlite3")
    assert not list(path.parent.glob("*.partial"))
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
        assert conn.execute("SELECT count(*) FROM lot").fetchone()[0] == 3
    finally:
        conn.close()
    # Two backups in the same second get two names.
    assert backup.write_backup(engine, label="test") != path


def _disk_full(*_args: object, **_kwargs: object) -> None:
    raise OSError(errno.ENOSPC, "No space left on device")


class _FullDiskSource:
    """A source database whose copy fails halfway, the copy already begun."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def backup(self, target: sqlite3.Connection, **_kwargs: object) -> None:
        target.execute("CREATE TABLE half_written(x)")
        raise sqlite3.OperationalError("database or disk is full")

    def close(self) -> None:
        self.conn.close()


@pytest.mark.parametrize("as_json", [False, True])
def test_a_backup_that_fails_while_writing_leaves_no_file(engine, data_dir, monkeypatch, as_json):
    """A full disk: the admin is told, and no `.partial` (nor any backup) is left behind."""
    if not as_json and POSTGRES_URL:
        pytest.skip("SQLite files only")
    factories.fill(engine)
    admin = factories.user(engine, Role.admin, "admin-2")
    if as_json:
        real_dump = backup.json.dump

        def dump_half(data: object, fh: object, **kwargs: object) -> None:
            real_dump({"format": backup.FORMAT}, fh)  # the start of the file is on disk
            _disk_full()

        monkeypatch.setattr(backup.json, "dump", dump_half)
    else:
        real_connect = sqlite3.connect

        def connect(path: str, **kwargs: object) -> object:
            conn = real_connect(path, **kwargs)
            return conn if path.endswith(".partial") else _FullDiskSource(conn)

        monkeypatch.setattr(backup.sqlite3, "connect", connect)
    out = data_dir / "backups"
    with pytest.raises(DomainError) as caught, db.write_session(engine) as session:
        backup.create_backup(session=session, actor=admin, as_json=as_json)
    assert caught.value.key == "error.backup.failed"
    assert sorted(p.name for p in out.iterdir()) == []
    with pytest.raises(DomainError):  # the command line's way in, the same
        backup.write_backup(engine, as_json=as_json)
    assert sorted(p.name for p in out.iterdir()) == []


def test_create_backup_is_for_admins_and_audited(engine, data_dir):
    admin = factories.user(engine, Role.admin)
    lead = factories.user(engine, Role.lead)
    with pytest.raises(PermissionDenied), db.write_session(engine) as session:
        backup.create_backup(session=session, actor=lead)
    with db.write_session(engine) as session:
        made = backup.create_backup(session=session, actor=admin)
    assert made.size > 0 and backup.recent_backups()[0].name == made.name
    assert backup.backup_bytes(actor=admin, name=made.name) == made.path.read_bytes()
    with pytest.raises(InvalidInput):
        backup.backup_bytes(actor=admin, name="../atelier.db")
    with pytest.raises(PermissionDenied):
        backup.backup_bytes(actor=lead, name=made.name)
    events = factories.table_rows(engine)["tables"]["auditevent"]["rows"]
    assert any("backup" in row and made.name in row for row in events)


def test_errors_have_messages_in_both_languages():
    keys = ["error.backup.unknown_file"]  # restore's and schema's are checked in their files
    for lang in i18n.LANGUAGES:
        assert all(k in i18n.catalog(lang) for k in keys)
    assert isinstance(InvalidInput("error.backup.not_empty"), DomainError)

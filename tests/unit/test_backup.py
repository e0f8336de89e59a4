"""Backups: SQLite online copies, JSON exports, restore into an empty database, pre-migration."""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests import factories
from tests.conftest import POSTGRES_URL
from workshop import backup, builds, cli, crates, dates, db, i18n, restore, schema, startup
from workshop.errors import DomainError, InvalidInput, PermissionDenied
from workshop.models import Outcome, Role

sqlite_only = pytest.mark.skipif(bool(POSTGRES_URL), reason="SQLite files only")
postgres_only = pytest.mark.skipif(not POSTGRES_URL, reason="needs WORKSHOP_TEST_POSTGRES_URL")


def _new_postgres_db() -> str:
    name = f"workshop_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)


def _drop_postgres_db(url: str) -> None:
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def other_url(tmp_path: Path) -> Iterator[str]:
    """A second empty database of the same kind as the test's own (nothing in it, no tables)."""
    if not POSTGRES_URL:
        yield f"sqlite:///{tmp_path / 'restored.db'}"
        return
    url = _new_postgres_db()
    try:
        yield url
    finally:
        _drop_postgres_db(url)


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A data directory of the test's own (backups land in `<it>/backups`)."""
    path = tmp_path / "data"
    monkeypatch.setenv("WORKSHOP_DATA_DIR", str(path))
    return path


def _fill(engine) -> None:
    """Some of everything: users, pickups with a sample, tagged crates, a build, hours, audit."""
    admin = factories.user(engine, Role.admin, "admin")
    lead = factories.user(engine, Role.lead, "lea", display_name="Léa « l'encadrante »")
    factories.lot(engine, lead, counts=(12, 3, 1), sample=(4, 5.25), note="première collecte ✓")
    factories.lot(engine, lead, on=dates.today() - timedelta(days=400), counts=(7,))
    codes = factories.crates_in_stock(engine, lead, 4)
    build = factories.build(engine, lead)
    with db.write_session(engine) as session:
        builds.attach_crate(session=session, actor=lead, build_id=build.id or 0, text=codes[0])
    with db.write_session(engine) as session:
        crates.set_outcome(session=session, actor=lead, code=codes[1], outcome=Outcome.firewood)
    try:
        from workshop import hours
        from workshop.models import Activity
    except ImportError:  # pragma: no cover - hours not there yet
        return
    with db.write_session(engine) as session:
        programme = hours.programmes(session=session)[0]
        trainee = hours.create_trainee(
            session=session,
            actor=admin,
            first_name="Sam",
            last_initial="B",
            fields=hours.TraineeFields(
                programme_id=programme.id or 0, start_date=dates.today() - timedelta(days=30)
            ),
        )
    with db.write_session(engine) as session:
        hours.record_hours(
            session=session,
            actor=lead,
            trainee_id=trainee.id or 0,
            fields=hours.EntryFields(
                work_date=dates.today() - timedelta(days=1), minutes=90, activity=Activity.poncage
            ),
        )


def _rows(url_or_engine) -> dict:
    engine = create_engine(url_or_engine) if isinstance(url_or_engine, str) else url_or_engine
    try:
        with engine.connect() as conn:
            data = backup.export_data(conn)
    finally:
        if isinstance(url_or_engine, str):
            engine.dispose()
    return {"revision": data["revision"], "tables": data["tables"]}


def _tallies(url_or_engine) -> list:
    """The dashboard tallies (not in backups: the triggers rebuild them on restore)."""
    engine = create_engine(url_or_engine) if isinstance(url_or_engine, str) else url_or_engine
    try:
        with engine.connect() as conn:
            return [
                list(conn.execute(text(f"SELECT * FROM {t} WHERE crates <> 0 ORDER BY 1, 2, 3, 4")))
                for t in backup.DERIVED_TABLES
            ]
    finally:
        if isinstance(url_or_engine, str):
            engine.dispose()


def test_backup_then_restore_gives_identical_rows(engine, other_url, data_dir):
    _fill(engine)
    path = backup.write_backup(engine)
    assert path.parent == data_dir / "backups"
    assert path.suffix == (".json" if POSTGRES_URL else ".sqlite3")
    restored = restore.restore(path, other_url)
    before, after = _rows(engine), _rows(other_url)
    assert after == before
    assert _tallies(other_url) == _tallies(engine)
    assert all(_tallies(engine)) and not set(backup.DERIVED_TABLES) & set(before["tables"])
    assert restored.rows == sum(len(t["rows"]) for t in before["tables"].values())
    counted = {name: len(t["rows"]) for name, t in before["tables"].items()}
    print(f"\n[{engine.dialect.name}] round trip: {restored.rows} rows in {restored.tables} tables")
    assert counted["app_user"] == 2 and counted["lot"] >= 3 and counted["auditevent"] > 5
    # The restored database works: new rows get fresh ids after the restored ones.
    restored_engine = startup.open_database(other_url)
    try:
        lead = factories.user(restored_engine, Role.lead, "nouvelle")
        factories.lot(restored_engine, lead)
    finally:
        restored_engine.dispose()


def test_json_export_restores_sqlite_to_sqlite(tmp_path, data_dir, monkeypatch):
    source = startup.open_database(f"sqlite:///{tmp_path / 'source.db'}")
    _fill(source)
    path = backup.write_backup(source, as_json=True, out_dir=tmp_path / "out")
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["format"] == backup.FORMAT and data["revision"] == schema.head_revision(source)
    names = list(data["tables"])
    assert names.index("market") < names.index("lot") < names.index("lotline")  # parents first
    target = f"sqlite:///{tmp_path / 'target.db'}"
    restore.restore(path, target)
    assert _rows(target) == _rows(source)
    source.dispose()


@postgres_only
def test_sqlite_file_restores_into_postgres(tmp_path, data_dir):
    source = startup.open_database(f"sqlite:///{tmp_path / 'source.db'}")
    _fill(source)
    path = backup.write_backup(source)
    target = _new_postgres_db()
    try:
        restore.restore(path, target)
        assert _rows(target) == _rows(source)
    finally:
        _drop_postgres_db(target)
        source.dispose()


@sqlite_only
def test_sqlite_backup_is_a_checked_standalone_file(engine, data_dir):
    _fill(engine)
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


def test_restore_refuses_a_database_in_use(engine, other_url, data_dir):
    _fill(engine)
    path = backup.write_backup(engine)
    target = startup.open_database(other_url)
    factories.user(target, Role.admin, "quelquun")
    target.dispose()
    with pytest.raises(InvalidInput) as caught:
        restore.restore(path, other_url)
    assert caught.value.key == "error.backup.not_empty"
    assert "vide" in i18n.translate(caught.value.key, "fr")


def test_restore_goes_over_a_new_database_that_only_has_seeded_data(engine, other_url, data_dir):
    _fill(engine)
    path = backup.write_backup(engine)
    startup.open_database(other_url).dispose()  # the app started once: markets seeded, no user
    restore.restore(path, other_url)
    assert _rows(other_url) == _rows(engine)


def test_restore_refuses_what_is_not_a_backup(tmp_path, other_url):
    junk = tmp_path / "notes.json"
    junk.write_text('{"hello": 1}', encoding="utf-8")
    with pytest.raises(InvalidInput) as caught:
        restore.restore(junk, other_url)
    assert caught.value.key == "error.backup.not_a_backup"
    missing = tmp_path / "missing.sqlite3"
    with pytest.raises(InvalidInput):
        restore.restore(missing, other_url)


@sqlite_only
def test_backup_made_by_an_older_version_is_restored_then_upgraded(tmp_path, data_dir):
    old = db.make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    schema.migrate(old, to="0002")
    path = backup.write_backup(old, out_dir=tmp_path / "out")
    old.dispose()
    target = f"sqlite:///{tmp_path / 'new.db'}"
    restored = restore.restore(path, target)
    assert restored.revision == "0002"
    engine = db.make_engine(target)
    assert schema.current_revision(engine) == schema.head_revision(engine)
    engine.dispose()


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
    events = _rows(engine)["tables"]["auditevent"]["rows"]
    assert any("backup" in row and made.name in row for row in events)


def test_cli_backup_and_restore(engine, tmp_path, other_url, monkeypatch, capsys, data_dir):
    _fill(engine)
    out = tmp_path / "cli-out"
    assert cli.main(["backup", "--out", str(out)]) == 0
    files = list(out.iterdir())
    assert len(files) == 1 and str(files[0]) in capsys.readouterr().out
    monkeypatch.setenv("WORKSHOP_DATABASE_URL", other_url)
    assert cli.main(["restore", str(files[0])]) == 0
    assert _rows(other_url) == _rows(engine)
    # A second restore finds the database in use: a plain message, exit 1.
    assert cli.main(["restore", str(files[0])]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and "vide" in err


def test_errors_have_messages_in_both_languages():
    keys = [
        "error.backup.not_empty",
        "error.backup.not_a_backup",
        "error.backup.other_version",
        "error.backup.unknown_file",
        "error.backup.before_migration",
    ]
    for lang in i18n.LANGUAGES:
        assert all(k in i18n.catalog(lang) for k in keys)
    assert isinstance(InvalidInput("error.backup.not_empty"), DomainError)

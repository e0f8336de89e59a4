"""Restore: a backup (SQLite file or JSON export) into an empty database, an older one upgraded."""

from __future__ import annotations

import json

import pytest

from tests import factories
from tests.conftest import POSTGRES_URL
from workshop import backup, db, i18n, restore, schema, startup
from workshop.errors import InvalidInput
from workshop.models import Role

sqlite_only = pytest.mark.skipif(bool(POSTGRES_URL), reason="SQLite files only")
postgres_only = pytest.mark.skipif(not POSTGRES_URL, reason="needs WORKSHOP_TEST_POSTGRES_URL")


def test_backup_then_restore_gives_identical_rows(engine, other_url, data_dir):
    factories.fill(engine)
    path = backup.write_backup(engine)
    assert path.parent == data_dir / "backups"
    assert path.suffix == (".json" if POSTGRES_URL else ".sqlite3")
    restored = restore.restore(path, other_url)
    before, after = factories.table_rows(engine), factories.table_rows(other_url)
    assert after == before
    assert factories.tally_rows(other_url) == factories.tally_rows(engine)
    assert all(factories.tally_rows(engine))
    assert not set(backup.DERIVED_TABLES) & set(before["tables"])
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
    factories.fill(source)
    path = backup.write_backup(source, as_json=True, out_dir=tmp_path / "out")
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["format"] == backup.FORMAT and data["revision"] == schema.head_revision(source)
    names = list(data["tables"])
    assert names.index("market") < names.index("lot") < names.index("lotline")  # parents first
    target = f"sqlite:///{tmp_path / 'target.db'}"
    restore.restore(path, target)
    assert factories.table_rows(target) == factories.table_rows(source)
    source.dispose()


@postgres_only
def test_sqlite_file_restores_into_postgres(tmp_path, data_dir):
    source = startup.open_database(f"sqlite:///{tmp_path / 'source.db'}")
    factories.fill(source)
    path = backup.write_backup(source)
    target = factories.new_postgres_db()
    try:
        restore.restore(path, target)
        assert factories.table_rows(target) == factories.table_rows(source)
    finally:
        factories.drop_postgres_db(target)
        source.dispose()


def test_restore_refuses_a_database_in_use(engine, other_url, data_dir):
    factories.fill(engine)
    path = backup.write_backup(engine)
    target = startup.open_database(other_url)
    factories.user(target, Role.admin, "quelquun")
    target.dispose()
    with pytest.raises(InvalidInput) as caught:
        restore.restore(path, other_url)
    assert caught.value.key == "error.backup.not_empty"
    assert "vide" in i18n.translate(caught.value.key, "fr")


def test_restore_goes_over_a_new_database_that_only_has_seeded_data(engine, other_url, data_dir):
    factories.fill(engine)
    path = backup.write_backup(engine)
    startup.open_database(other_url).dispose()  # the app started once: markets seeded, no user
    restore.restore(path, other_url)
    assert factories.table_rows(other_url) == factories.table_rows(engine)


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


def test_errors_have_messages_in_both_languages():
    keys = ["error.backup.not_empty", "error.backup.not_a_backup", "error.backup.other_version"]
    for lang in i18n.LANGUAGES:
        assert all(k in i18n.catalog(lang) for k in keys)

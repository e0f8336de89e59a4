"""Restore: a backup (SQLite file or JSON export) into an empty database, an older one upgraded."""

from __future__ import annotations

import json
import math
import sqlite3
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import text

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
    with old.begin() as conn:  # what the app of then had seeded, and its admin
        conn.execute(text("INSERT INTO market VALUES (1, 'Marché Davout', '', '20', 1, '', 1)"))
        conn.execute(text("INSERT INTO cratekind VALUES (1, 'Cagette', 'Crate', 1.2, 1)"))
        conn.execute(
            text(
                "INSERT INTO app_user VALUES "
                "(1, 'admin', 'A', 'admin', 'x', NULL, 1, '2024-05-01 10:00:00')"
            )
        )
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
    keys += [_key(reason) for _, reason, _, _ in HOSTILE.values()]
    keys += ["error.backup.no_reference_data", "error.backup.no_admin"]
    for lang in i18n.LANGUAGES:
        assert all(k in i18n.catalog(lang) for k in keys)


def _set(table: str, column: str, value: Any, row: int = 0) -> Callable[[dict], None]:
    """A change to a backup's tables: one value of one row replaced."""

    def change(tables: dict) -> None:
        tables[table]["rows"][row][tables[table]["columns"].index(column)] = value

    return change


def _same_lot_code_twice(tables: dict) -> None:
    lots = tables["lot"]
    lots["rows"][1][lots["columns"].index("code")] = lots["rows"][0][lots["columns"].index("code")]


def _no_admin(tables: dict) -> None:
    users = tables["app_user"]
    for row in users["rows"]:
        row[users["columns"].index("role")] = "lead"


HOSTILE = {
    # name: (what is changed, the message key, its table and row)
    "a text for a count": (_set("lotline", "count", "douze"), "integer", "lotline", 1),
    "a negative count": (_set("lotline", "count", -500), "integer", "lotline", 1),
    "a NaN weight": (_set("cratekind", "default_weight_kg", math.nan), "number", "cratekind", 1),
    "an infinite sample": (_set("lot", "sample_kg", math.inf), "number", "lot", 1),
    "the year 9999": (_set("lot", "pickup_date", "9999-12-31"), "date", "lot", 1),
    "not a date": (_set("lot", "created_at", "hier"), "date", "lot", 1),
    "a superuser": (_set("app_user", "role", "superuser"), "choice", "app_user", 1),
    "a yes for a boolean": (_set("market", "active", "oui"), "boolean", "market", 1),
    "a number for a name": (_set("market", "name", 12), "text", "market", 1),
    "a name too long": (_set("market", "name", "M" * 121), "too_long", "market", 1),
    "an empty date": (_set("lot", "pickup_date", None), "empty", "lot", 1),
    "a market that is not there": (_set("lot", "market_id", 999_999), "reference", "lot", 1),
    "a lot code twice": (_same_lot_code_twice, "duplicate", "lot", 2),
    "a short row": (lambda tables: tables["lot"]["rows"][0].pop(), "row_length", "lot", 1),
}


def _key(reason: str) -> str:
    return "error.backup.row_length" if reason == "row_length" else f"error.backup.value.{reason}"


def _hostile_backup(engine, tmp_path, change: Callable[[dict], None]):
    """A real JSON backup of `engine`, changed by hand the way an attacker would."""
    path = backup.write_backup(engine, as_json=True, out_dir=tmp_path / "genuine")
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data["tables"])
    hostile = tmp_path / "hostile.json"
    hostile.write_text(json.dumps(data), encoding="utf-8")  # NaN and Infinity as JSON allows
    return hostile


@pytest.mark.parametrize("name", list(HOSTILE))
def test_a_backup_breaking_the_models_rules_is_refused_and_changes_nothing(
    name, engine, other_url, tmp_path, data_dir
):
    """Refused before anything is written, with the table, the row and the reason."""
    change, reason, table, row = HOSTILE[name]
    factories.fill(engine)
    hostile = _hostile_backup(engine, tmp_path, change)
    startup.open_database(other_url).dispose()  # a new app: only its seeded reference data
    before = factories.table_rows(other_url)
    with pytest.raises(InvalidInput) as caught:
        restore.restore(hostile, other_url)
    assert caught.value.key == _key(reason)
    assert (caught.value.params["table"], caught.value.params["row"]) == (table, row)
    message = i18n.translate(caught.value.key, "fr", **caught.value.params)
    assert message.startswith("Sauvegarde refusée, rien n'a été restauré") and table in message
    assert factories.table_rows(other_url) == before


@pytest.mark.parametrize(
    ("change", "key"),
    [
        (lambda tables: tables.clear(), "error.backup.no_reference_data"),
        (_no_admin, "error.backup.no_admin"),
    ],
    ids=["no tables at all", "no admin"],
)
def test_a_backup_that_would_leave_the_app_unusable_is_refused(
    change, key, engine, other_url, tmp_path, data_dir
):
    """`"tables": {}` would wipe the seeded markets and kinds; no admin, nobody to manage it."""
    factories.fill(engine)
    hostile = _hostile_backup(engine, tmp_path, change)
    startup.open_database(other_url).dispose()
    before = factories.table_rows(other_url)
    assert before["tables"]["market"]["rows"] and before["tables"]["cratekind"]["rows"]
    with pytest.raises(InvalidInput) as caught:
        restore.restore(hostile, other_url)
    assert caught.value.key == key
    assert factories.table_rows(other_url) == before


def _without_lot_dates(tables: dict) -> None:
    lots = tables["lot"]
    at = lots["columns"].index("pickup_date")
    lots["columns"].pop(at)
    for row in lots["rows"]:
        row.pop(at)


@pytest.mark.parametrize(
    ("change", "key", "named"),
    [
        (lambda tables: tables.pop("buildphoto"), "error.backup.missing_tables", "buildphoto"),
        (_without_lot_dates, "error.backup.missing_columns", "pickup_date"),
    ],
    ids=["a table", "a column"],
)
def test_a_backup_missing_a_table_or_column_is_refused(
    change, key, named, engine, other_url, tmp_path, data_dir
):
    factories.fill(engine)
    hostile = _hostile_backup(engine, tmp_path, change)
    startup.open_database(other_url).dispose()
    before = factories.table_rows(other_url)
    with pytest.raises(InvalidInput) as caught:
        restore.restore(hostile, other_url)
    assert caught.value.key == key and named in str(caught.value)
    assert factories.table_rows(other_url) == before


@sqlite_only
def test_a_hostile_sqlite_file_is_checked_the_same(engine, other_url, data_dir):
    """SQLite keeps a text in an integer column: read back, it is refused like in JSON."""
    factories.fill(engine)
    path = backup.write_backup(engine)
    conn = sqlite3.connect(path)
    conn.execute("UPDATE lotline SET count = 'douze' WHERE id = (SELECT min(id) FROM lotline)")
    conn.commit()
    conn.close()
    with pytest.raises(InvalidInput) as caught:
        restore.restore(path, other_url)
    assert caught.value.key == "error.backup.value.integer"
    assert caught.value.params["column"] == "count"
    conn = sqlite3.connect(path)
    conn.execute("UPDATE trainee SET start_date = 'le 3 juin'")
    conn.commit()
    conn.close()
    with pytest.raises(InvalidInput) as caught:  # a date SQLite cannot even read back
        restore.restore(path, other_url)
    assert caught.value.key == "error.backup.unreadable"

"""Command line: migrate, create-admin, seed-demo, and clear errors."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys

from sqlmodel import func, select

from tests import factories
from tests.conftest import ROOT
from workshop import accounts, backup, cli, db, demo, startup
from workshop.models import Lot, Role


def test_migrate_and_create_admin(engine, monkeypatch, capsys):
    assert cli.main(["migrate"]) == 0
    monkeypatch.setattr(sys, "stdin", io.StringIO("un-mot-de-passe\n"))
    assert (
        cli.main(
            ["create-admin", "--username", "Camille", "--name", "Camille D.", "--password-stdin"]
        )
        == 0
    )
    user = accounts.authenticate(engine=engine, username="camille", password="un-mot-de-passe")
    assert user.role == Role.admin
    # A second first admin is refused with a plain message, not a traceback.
    monkeypatch.setattr(sys, "stdin", io.StringIO("un-mot-de-passe\n"))
    assert cli.main(["create-admin", "--username", "x", "--name", "X", "--password-stdin"]) == 1
    assert "Un administrateur existe déjà" in capsys.readouterr().err


def test_create_admin_with_a_short_password_is_refused(engine, monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdin", io.StringIO("court\n"))
    assert cli.main(["create-admin", "--username", "x", "--name", "X", "--password-stdin"]) == 1
    assert "au moins 8 caractères" in capsys.readouterr().err
    with db.read_session(engine) as session:
        assert accounts.user_count(session=session) == 0


def test_bad_database_url_is_a_message_not_a_traceback(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = subprocess.run(
        [sys.executable, "-m", "workshop", "migrate"],
        cwd=ROOT,
        env={"WORKSHOP_DATABASE_URL": f"sqlite:///{blocker}/sub/db.sqlite", "PATH": "/usr/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "Base de données inaccessible" in result.stderr


def test_seed_demo_command_seeds_once_and_lists_the_sign_ins(engine, capsys):
    assert cli.main(["seed-demo"]) == 0
    out = capsys.readouterr().out
    with db.read_session(engine) as session:
        lots = session.exec(select(func.count()).select_from(Lot)).one()
    assert lots > 0 and f"{lots} demo pickups added." in out
    for username, _name, _role, password in demo.DEMO_USERS:
        assert username in out and password in out
    # Running it again adds nothing.
    assert cli.main(["seed-demo"]) == 0
    out = capsys.readouterr().out
    assert "Demo data already present." in out and "cagettes-admin" in out
    with db.read_session(engine) as session:
        assert session.exec(select(func.count()).select_from(Lot)).one() == lots


def test_cli_backup_and_restore(engine, tmp_path, other_url, monkeypatch, capsys, data_dir):
    factories.fill(engine)
    out = tmp_path / "cli-out"
    assert cli.main(["backup", "--out", str(out)]) == 0
    files = list(out.iterdir())
    assert len(files) == 1 and str(files[0]) in capsys.readouterr().out
    monkeypatch.setenv("WORKSHOP_DATABASE_URL", other_url)
    assert cli.main(["restore", str(files[0])]) == 0
    assert factories.table_rows(other_url) == factories.table_rows(engine)
    # A second restore finds the database in use: a plain message, exit 1.
    assert cli.main(["restore", str(files[0])]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and "vide" in err


def _hostile_copy(genuine, tmp_path, change) -> str:
    data = json.loads(genuine.read_text(encoding="utf-8"))
    change(data)
    path = tmp_path / "hostile.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return str(path)


def _count_to_text(data: dict) -> None:
    lines = data["tables"]["lotline"]
    lines["rows"][0][lines["columns"].index("count")] = "douze"


def _market_not_a_table(data: dict) -> None:
    data["tables"]["market"] = "oops"


def test_cli_restore_of_a_hostile_backup_is_a_plain_message_and_changes_nothing(
    engine, tmp_path, other_url, monkeypatch, capsys, data_dir
):
    """Exit 1, the table, row and reason in plain French, never a traceback; nothing written."""
    factories.fill(engine)
    genuine = backup.write_backup(engine, as_json=True, out_dir=tmp_path / "out")
    startup.open_database(other_url).dispose()  # seeded reference data, no user yet
    before = factories.table_rows(other_url)
    monkeypatch.setenv("WORKSHOP_DATABASE_URL", other_url)
    for change, said in (
        (_count_to_text, "table lotline, ligne 1, colonne count"),
        (lambda data: data["tables"].clear(), "sa table market est vide"),
        (_market_not_a_table, "pas une sauvegarde d'Atelier Cagettes"),
    ):
        assert cli.main(["restore", _hostile_copy(genuine, tmp_path, change)]) == 1
        err = capsys.readouterr().err
        assert said in err and "Traceback" not in err
        assert factories.table_rows(other_url) == before
    # The real command, in its own process: the same message, no traceback.
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "workshop",
            "restore",
            _hostile_copy(genuine, tmp_path, _count_to_text),
        ],
        cwd=ROOT,
        env={**os.environ, "WORKSHOP_DATABASE_URL": other_url},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "table lotline, ligne 1, colonne count" in result.stderr
    assert factories.table_rows(other_url) == before

"""Operations pages (AppTest): backups.py and audit_log.py (admin), import_pickups.py (leads)."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlmodel import func, select

from tests import factories
from tests.ui.conftest import open_page, page_alone, start, texts
from workshop import db
from workshop.models import AuditEvent, Lot, Role

CSV = (
    "Date;Marché;Cagettes;Plateaux;Nb pesées;Poids (kg)\n"
    "05/03/2024;Marché Davout;12;3;4;5,2\n"
    "06/03/2024;Belgrand;8;;;\n"
)


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    path = tmp_path / "data"
    monkeypatch.setenv("WORKSHOP_DATA_DIR", str(path))
    return path


def _lots(engine) -> int:
    with db.read_session(engine) as session:
        return session.exec(select(func.count()).select_from(Lot)).one()


def test_only_admins_see_backups_and_audit_log(ui):
    for role in (Role.lead, Role.trainee, Role.market_manager):
        at = start(factories.user(ui, role))
        for page in ("backups.py", "audit_log.py"):
            with pytest.raises(ValueError):  # not even registered for them
                open_page(at, page)
            alone = page_alone(page, factories.user(ui, role))
            assert not alone.exception
            assert texts(alone.error) == [
                "Cette page n'est pas accessible avec votre compte. "
                "Connectez-vous avec un compte qui y a droit."
            ]
    for role in (Role.trainee, Role.market_manager):
        with pytest.raises(ValueError):
            open_page(start(factories.user(ui, role)), "import_pickups.py")


def test_admin_makes_and_downloads_a_backup(ui, data_dir):
    at = open_page(start(factories.user(ui, Role.admin)), "backups.py")
    assert not at.exception
    assert texts(at.title) == ["Sauvegardes"]
    assert texts(at.info) == ["Aucune sauvegarde pour l'instant."]
    at.button[0].click().run()
    assert not at.exception
    made = list((data_dir / "backups").iterdir())
    assert len(made) == 1 and made[0].suffix in (".sqlite3", ".json")
    assert texts(at.success)[0].startswith(f"Sauvegarde {made[0].name} faite")
    assert at.dataframe[0].value.iloc[0, 0] == made[0].name
    assert at.selectbox[0].value == made[0].name
    assert len(at.get("download_button")) == 1
    with db.read_session(ui) as session:
        assert session.exec(select(AuditEvent).where(AuditEvent.action == "backup")).one()


def test_backup_page_in_english(ui, data_dir):
    at = open_page(start(factories.user(ui, Role.admin), lang="en"), "backups.py")
    assert texts(at.title) == ["Backups"] and texts(at.info) == ["No backups yet."]


def test_lead_imports_a_spreadsheet_with_preview_then_all_at_once(ui):
    lead = factories.user(ui, Role.lead)
    at = open_page(start(lead), "import_pickups.py")
    assert not at.exception and texts(at.title) == ["Importer des collectes"]
    at.file_uploader[0].upload("ancien.csv", CSV.encode("cp1252"), "text/csv").run()
    assert not at.exception
    assert [m.value for m in at.metric] == ["2", "0", "0"]
    assert _lots(ui) == 0  # the preview writes nothing
    submit = next(b for b in at.button if b.label.startswith("Importer"))
    assert submit.label == "Importer 2 collecte(s)"
    submit.click().run()
    assert not at.exception
    assert texts(at.success) == ["2 collecte(s) importée(s), 0 déjà enregistrée(s)."]
    assert _lots(ui) == 2
    # The same file again: both rows already recorded, nothing to import.
    at.file_uploader[0].upload("ancien.csv", CSV.encode("cp1252"), "text/csv").run()
    assert [m.value for m in at.metric] == ["0", "2", "0"]
    assert next(b for b in at.button if b.label.startswith("Importer")).disabled


def test_bad_rows_are_listed_and_nothing_is_imported(ui):
    lead = factories.user(ui, Role.lead)
    at = open_page(start(lead, lang="en"), "import_pickups.py")
    bad = CSV + "31/02/2024;Davout;3;;;\n07/03/2024;Rungis;2;;;\n"
    at.file_uploader[0].upload("old.csv", bad.encode("utf-8"), "text/csv").run()
    assert not at.exception
    assert [m.value for m in at.metric] == ["2", "0", "2"]
    assert texts(at.error)[0].startswith("2 row(s) to correct")
    errors = next(d.value for d in at.dataframe if list(d.value.columns) == ["Row", "Problem"])
    assert list(errors.iloc[:, 0]) == [4, 5]
    assert errors.iloc[1, 1] == 'Unknown market "Rungis".'
    assert next(b for b in at.button if b.label.startswith("Import")).disabled
    assert _lots(ui) == 0


def test_mapping_can_be_changed_and_mistakes_are_messages(ui):
    lead = factories.user(ui, Role.lead)
    at = open_page(start(lead), "import_pickups.py")
    at.file_uploader[0].upload("ancien.csv", CSV.encode("cp1252"), "text/csv").run()
    date_box = next(s for s in at.selectbox if s.label == "Date")
    date_box.select_index(0).run()  # "not in the file"
    assert not at.exception
    assert texts(at.error) == ["Choisissez la colonne qui donne la date."]
    assert not at.metric  # no preview without a date column
    next(s for s in at.selectbox if s.label == "Date").set_value(0).run()
    assert [m.value for m in at.metric] == ["2", "0", "0"]


def test_unreadable_file_is_a_message(ui):
    at = open_page(start(factories.user(ui, Role.admin)), "import_pickups.py")
    at.file_uploader[0].upload("vieux.xlsx", b"PK\x03\x04 garbage", "application/zip").run()
    assert not at.exception
    assert texts(at.error) == [
        "Impossible de lire ce fichier : est-ce bien un CSV ou un classeur Excel .xlsx ?"
    ]


HOSTILE = {
    "bloated": (
        "collectes.xlsx",
        factories.bloated_xlsx([["Date", "Marché", "Cagettes"]], 1_000_000),
        "Une fois décompressé, ce classeur ferait 17,2 Mo (au plus 10 Mo).",
        "Once unzipped, this workbook would take 17.2 MB (at most 10 MB).",
    ),
    "blank-lines": (
        "vide.csv",
        b"\n" * 1_100_000,
        "Ligne 1\u202f048\u202f577 : plus de 1\u202f048\u202f576 lignes, vides comprises",
        "Row 1,048,577: more than 1,048,576 rows, blank ones included",
    ),
    "open-quote": (
        "ancien.csv",
        (CSV + '07/03/2024;Davout;"2;;;\n08/03/2024;Davout;4;;;\n').encode(),
        'Ligne 4 : un guillemet (") ouvre une cellule',
        'Row 4: a quote (") opens a cell',
    ),
}


@pytest.mark.parametrize("lang", ["fr", "en"])
@pytest.mark.parametrize("case", HOSTILE)
def test_a_hostile_file_is_a_message_and_nothing_is_imported(ui, case, lang):
    name, data, french, english = HOSTILE[case]
    at = open_page(start(factories.user(ui, Role.lead), lang=lang), "import_pickups.py")
    at.file_uploader[0].upload(name, data, "application/octet-stream").run()
    assert not at.exception
    assert len(at.error) == 1 and at.error[0].value.startswith(french if lang == "fr" else english)
    assert not at.metric  # no preview
    assert not [b for b in at.button if b.label.startswith(("Importer", "Import"))]
    assert _lots(ui) == 0


def test_excel_unicode_text_is_imported_from_the_page(ui):
    lead = factories.user(ui, Role.lead)
    at = open_page(start(lead), "import_pickups.py")
    text = CSV.replace(";", "\t").replace("\n", "\r\n")
    at.file_uploader[0].upload("ancien.txt", text.encode("utf-16"), "text/plain").run()
    assert not at.exception and not at.error
    assert any("encodage utf-16" in c and "« TAB »" in c for c in texts(at.caption))
    next(b for b in at.button if b.label == "Importer 2 collecte(s)").click().run()
    assert texts(at.success) == ["2 collecte(s) importée(s), 0 déjà enregistrée(s)."]
    assert _lots(ui) == 2


def test_audit_log_filters_and_shows_json_as_text(ui):
    admin = factories.user(ui, Role.admin, display_name="Camille")
    lead = factories.user(ui, Role.lead, "lea", display_name="Léa")
    factories.lot(ui, lead, note="<script>alert(1)</script> **gras**")
    at = open_page(start(admin), "audit_log.py")
    assert not at.exception and texts(at.title) == ["Journal des modifications"]
    assert "1 modification(s)." in texts(at.caption)
    table = at.dataframe[0].value
    # The event in words, its code as printed (no raw action or entity names).
    [said] = list(table.iloc[:, 2])
    assert re.fullmatch(r"Léa \(lea\) a créé la collecte L-[0-9A-Z]+-[0-9A-Z]", said), said
    # The snapshot is shown as plain text (st.code), the note as typed.
    assert "<script>alert(1)</script> **gras**" in at.code[1].value
    assert at.code[0].value == "—"
    # Filter on someone who did nothing.
    who = next(s for s in at.selectbox if s.label == "Personne")
    who.set_value(admin.id).run()
    assert texts(at.info) == ["Aucune modification ne correspond à ces filtres."]
    who = next(s for s in at.selectbox if s.label == "Personne")
    who.set_value(lead.id).run()
    assert len(at.dataframe[0].value) == 1
    # A period in the past: nothing.
    at.date_input[0].set_value((date(2020, 1, 1), date(2020, 1, 31))).run()
    assert not at.exception
    assert texts(at.info) == ["Aucune modification ne correspond à ces filtres."]


def test_audit_log_in_english(ui):
    admin = factories.user(ui, Role.admin)
    at = open_page(start(admin, lang="en"), "audit_log.py")
    assert not at.exception and texts(at.title) == ["Audit log"]
    assert texts(at.info) == ["No change matches these filters."]

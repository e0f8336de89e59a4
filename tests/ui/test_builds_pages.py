"""Builds, designs, the scan session and the public passport (AppTest)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import select
from streamlit.testing.v1 import AppTest

from tests import factories
from tests.conftest import APP
from tests.ui.conftest import open_page, scan, start, texts
from workshop import builds, codes, db
from workshop.models import BuildStatus, Design, Role


def _button(at, label):
    return next(b for b in at.button if b.label == label)


def _design_id(engine, name="Étagère 3 cagettes"):
    with db.read_session(engine) as session:
        return next(d.id for d in builds.list_designs(session=session) if d.name == name)


def _finished_piece(engine, lead, n=3):
    crates = factories.crates_in_stock(engine, lead, n, on=date(2026, 5, 6))
    build = factories.build(engine, lead)
    with db.write_session(engine) as session:
        for code in crates:
            builds.attach_crate(session=session, actor=lead, build_id=build.id, text=code)
        builds.set_status(
            session=session, actor=lead, build_id=build.id, status=BuildStatus.finished
        )
    return build


def test_lead_starts_a_piece_and_scans_its_crates(ui):
    lead = factories.user(ui, Role.lead)
    first, second = factories.crates_in_stock(ui, lead, 2)
    at = open_page(start(lead), "builds.py")
    assert texts(at.info) == ["Aucun meuble pour l'instant."]
    design = next(s for s in at.selectbox if s.label == "Modèle")
    design.set_value(_design_id(ui))
    _button(at, "Créer le meuble et son code").click().run()
    [message] = texts(at.success)
    assert message.startswith("Meuble M-")
    # Planned, it has no public passport yet: no link to one, a word saying when.
    assert "Le passeport public de ce meuble s'ouvrira quand sa fabrication aura commencé." in (
        texts(at.caption)
    )
    assert not at.get("link_button")
    _button(at, "Scanner des cagettes dans ce meuble").click().run()
    assert texts(at.title) == ["Scanner"]
    assert texts(at.subheader)[0].startswith("Session de scan : meuble M-")
    # AppTest does not follow st.switch_page into later runs as a browser does.
    open_page(at, "scan.py")
    scan(at, codes.format_code(first))
    assert f"{codes.format_code(first)} ajoutée au meuble." in texts(at.success)
    scan(at, second)
    scan(at, first)  # after the double-read window in real life
    assert at.get("progress")[0].proto.text == "2 cagettes sur 3"
    _button(at, "Annuler la dernière").click().run()
    assert texts(at.success) == [f"{codes.format_code(second)} retirée du meuble."]
    _button(at, "Terminer la session").click().run()
    assert texts(at.title) == ["Meubles"]


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_a_crate_beyond_the_designs_need_warns_and_is_added_once_confirmed(ui, lang):
    """A 3-crate shelf: the 4th scan asks; "yes" adds it, and the 5th is not asked again."""
    lead = factories.user(ui, Role.lead)
    crates = factories.crates_in_stock(ui, lead, 5)
    build = factories.build(ui, lead)
    at = start(lead, lang=lang)
    at.session_state["open_build"] = build.id
    open_page(at, "scan.py")
    scan(at, crates[0])
    one = {"fr": "1 cagette sur 3", "en": "1 crate out of 3"}[lang]
    assert at.get("progress")[0].proto.text == one
    for code in crates[1:4]:
        scan(at, code)
    fourth = codes.format_code(crates[3])
    assert texts(at.warning) == [
        {
            "fr": f"{fourth} serait la cagette n° 4 d'un meuble qui en demande 3 : est-ce bien "
            "une cagette de ce meuble ?",
            "en": f"{fourth} would be crate no. 4 of a piece that needs 3: is it really a crate "
            "of this piece?",
        }[lang]
    ]
    with db.read_session(ui) as session:
        assert builds.crate_count(session=session, build_id=build.id) == 3
    at.button(key="scan_extra__yes").click().run()
    with db.read_session(ui) as session:
        assert builds.crate_count(session=session, build_id=build.id) == 4
    scan(at, crates[4])
    with db.read_session(ui) as session:
        assert builds.crate_count(session=session, build_id=build.id) == 5
    five = {"fr": "5 cagettes sur 3", "en": "5 crates out of 3"}[lang]
    assert five in texts(at.warning)  # the count stays marked as over the need


def test_a_crate_beyond_the_need_refused_is_not_added(ui):
    lead = factories.user(ui, Role.lead)
    crates = factories.crates_in_stock(ui, lead, 4)
    build = factories.build(ui, lead)
    for code in crates[:3]:
        factories.attach(ui, lead, build, code)
    at = start(lead)
    at.session_state["open_build"] = build.id
    open_page(at, "scan.py")
    scan(at, crates[3])
    assert at.warning
    at.button(key="scan_extra__no").click().run()
    assert not at.warning
    with db.read_session(ui) as session:
        assert builds.crate_count(session=session, build_id=build.id) == 3


def test_scanning_a_lot_into_a_piece_is_refused(ui):
    lead = factories.user(ui, Role.lead)
    lot = factories.lot(ui, lead)
    build = factories.build(ui, lead)
    at = start(lead)
    at.session_state["open_build"] = build.id
    open_page(at, "scan.py")
    scan(at, lot.code)
    # A lot code is not a crate: said plainly, nothing added.
    assert texts(at.error) == [
        f"{codes.format_code(lot.code)} est un code de type L ; ici il faut un code de type C "
        "(C cagette, L lot, M meuble, B badge)."
    ]
    with db.read_session(ui) as session:
        assert builds.crate_count(session=session, build_id=build.id) == 0


def test_crate_in_another_piece_is_explained(ui):
    lead = factories.user(ui, Role.lead)
    [crate] = factories.crates_in_stock(ui, lead, 1)
    one, other = factories.build(ui, lead), factories.build(ui, lead)
    with db.write_session(ui) as session:
        builds.attach_crate(session=session, actor=lead, build_id=one.id, text=crate)
    at = start(lead)
    at.session_state["open_build"] = other.id
    open_page(at, "scan.py")
    scan(at, crate)
    crate_code, build_code = codes.format_code(crate), codes.format_code(one.code)
    assert texts(at.error) == [f"La cagette {crate_code} est déjà dans le meuble {build_code}."]


def test_finish_short_then_deliver(ui):
    lead = factories.user(ui, Role.lead)
    [crate] = factories.crates_in_stock(ui, lead, 1)
    build = factories.build(ui, lead)
    with db.write_session(ui) as session:
        builds.attach_crate(session=session, actor=lead, build_id=build.id, text=crate)
    at = open_page(start(lead), "builds.py")
    at.radio[0].set_value(BuildStatus.finished)
    _button(at, "Enregistrer").click().run()
    assert texts(at.success) == ["Meuble terminé avec 1 cagette au lieu de 3 prévues."]
    at.radio[0].set_value(BuildStatus.donated)
    _button(at, "Enregistrer").click().run()
    assert texts(at.error) == ["Indiquez où va le meuble (lieu, association ou prénom)."]
    next(t for t in at.text_input if t.label.startswith("Destination")).input("Régie Saint-Blaise")
    _button(at, "Enregistrer").click().run()
    assert texts(at.success) == ["État enregistré : donné."]


def test_photo_upload_and_bad_photo(ui, tmp_path, monkeypatch):
    monkeypatch.setenv("WORKSHOP_DATA_DIR", str(tmp_path))
    lead = factories.user(ui, Role.lead)
    factories.build(ui, lead)
    at = open_page(start(lead), "builds.py")
    at.file_uploader[0].upload("pas-une-photo.jpg", b"hello", "image/jpeg").run()
    assert texts(at.error) == ["Ce fichier n'est pas une photo lisible (JPEG, PNG ou WebP)."]
    at.file_uploader[0].upload("meuble.jpg", factories.jpeg((2000, 1500)), "image/jpeg").run()
    assert texts(at.success) == ["Photo enregistrée."]
    assert len(list((tmp_path / "photos").rglob("*.jpg"))) == 1


BOMB_REFUSED = {
    "fr": "Image trop grande : plus de 40 mégapixels. Prenez la photo en mode normal, "
    "ou envoyez-en une copie plus petite.",
    "en": "Picture too big: more than 40 megapixels. Take the photo in the camera's normal "
    "mode, or send a smaller copy of it.",
}


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_a_decompression_bomb_is_a_message_and_nothing_is_kept(ui, tmp_path, monkeypatch, lang):
    monkeypatch.setenv("WORKSHOP_DATA_DIR", str(tmp_path))
    lead = factories.user(ui, Role.lead)
    build = factories.build(ui, lead)
    at = open_page(start(lead, lang=lang), "builds.py")
    at.file_uploader[0].upload("meuble.png", factories.png_bomb(), "image/png").run()
    assert not at.exception
    assert texts(at.error) == [BOMB_REFUSED[lang]]
    assert not at.success
    with db.read_session(ui) as session:
        assert builds.list_photos(session=session, build_id=build.id) == []
    assert not (tmp_path / "photos").exists()


def test_a_decompression_bomb_as_a_design_photo_is_a_message(ui, tmp_path, monkeypatch):
    monkeypatch.setenv("WORKSHOP_DATA_DIR", str(tmp_path))
    lead = factories.user(ui, Role.lead)
    at = open_page(start(lead, lang="en"), "designs.py")
    at.selectbox[0].set_value(_design_id(ui)).run()
    at.file_uploader[0].upload("etagere.png", factories.png_bomb(), "image/png").run()
    assert texts(at.error) == [BOMB_REFUSED["en"]] and not at.success
    with db.read_session(ui) as session:
        assert session.exec(select(Design.photo).where(Design.id == _design_id(ui))).one() == ""
    assert not (tmp_path / "photos").exists()


def test_trainee_views_builds_but_cannot_manage(ui):
    lead = factories.user(ui, Role.lead)
    trainee = factories.user(ui, Role.trainee)
    factories.build(ui, lead)
    at = open_page(start(trainee), "builds.py")
    assert not at.exception
    assert "Seul·es les encadrant·es changent l'état d'un meuble." in texts(at.info)
    assert not [b for b in at.button if b.label == "Créer le meuble et son code"]


def test_designs_page(ui):
    lead = factories.user(ui, Role.lead)
    at = open_page(start(lead), "designs.py")
    assert at.dataframe[0].value.shape[0] == 5
    at.text_input[0].input("Tabouret")
    next(f for f in at.text_input if (f.key or "").endswith("_crates")).input("2")
    _button(at, "Enregistrer").click().run()
    assert texts(at.success) == ["Modèle « Tabouret » enregistré."]
    at.text_input[0].input("")
    _button(at, "Enregistrer").click().run()
    assert texts(at.error) == ["Donnez un nom au modèle."]


def _visitor(code: str, lang: str | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=30)
    at.query_params["code"] = code
    if lang:
        at.session_state["lang"] = lang
    return at.run()


def test_a_piece_s_old_link_opened_in_the_app_goes_to_its_passport(ui):
    """`/?code=M…` (labels printed before `/p/M…`): the browser is sent to the plain page."""
    lead = factories.user(ui, Role.lead)
    [crate] = factories.crates_in_stock(ui, lead, 1)
    build = _finished_piece(ui, lead)
    for text, path in (
        (build.code, f"/p/{build.code}"),
        (codes.url_for(build.code), f"/p/{build.code}"),
        (codes.mint("M"), None),
        ("<script>alert(1)</script>", "/p/%3Cscript%3Ealert%281%29%3C%2Fscript%3E"),
    ):
        at = _visitor(text)
        assert not at.exception
        assert at.session_state["went_to"] == (path or f"/p/{text}")
        assert not at.title  # nothing of the app is drawn
    # A crate code is not a passport: a signed-out visitor is asked to sign in.
    assert texts(_visitor(crate).title) == ["Connexion"]


def test_build_page_lists_its_hours_for_leads_only(ui):
    from workshop.models import Activity, HourEntry, HourSource, HourStatus, Programme, Trainee

    lead = factories.user(ui, Role.lead)
    trainee_user = factories.user(ui, Role.trainee)
    build = factories.build(ui, lead)
    with db.write_session(ui) as session:
        programme = session.exec(select(Programme)).first()
        person = Trainee(
            display_name="Awa D.",
            programme_id=programme.id,
            start_date=date(2026, 1, 1),
            badge_code=codes.mint("B"),
        )
        session.add(person)
        session.flush()
        session.add(
            HourEntry(
                trainee_id=person.id,
                work_date=date(2026, 5, 7),
                minutes=150,
                activity=Activity.poncage,
                build_id=build.id,
                status=HourStatus.approved,
                source=HourSource.staff,
            )
        )
    at = open_page(start(lead), "builds.py")
    assert any(e.label == "Heures de travail sur ce meuble : 2,50 h" for e in at.expander)
    at = open_page(start(trainee_user), "builds.py")
    assert not any(e.label.startswith("Heures de travail") for e in at.expander)


def test_design_photo_upload(ui, tmp_path, monkeypatch):
    monkeypatch.setenv("WORKSHOP_DATA_DIR", str(tmp_path))
    lead = factories.user(ui, Role.lead)
    at = open_page(start(lead), "designs.py")
    at.selectbox[0].set_value(_design_id(ui)).run()
    at.file_uploader[0].upload("etagere.jpg", factories.jpeg((1200, 900)), "image/jpeg").run()
    assert texts(at.success) == ["Photo enregistrée."]
    assert len(at.get("image")) == 1

"""The labels page (sort a pickup, print sheets) and the scan page (three ways in)."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from sqlmodel import func, select

from tests import factories
from tests.ui.conftest import open_page, scan, start, texts
from workshop import codes, crates, db, labels
from workshop.models import AuditEvent, Crate, Outcome, Role


def _crate_count(engine) -> int:
    with db.read_session(engine) as session:
        return session.exec(select(func.count()).select_from(Crate)).one()


def _tagged(engine, lead, n=1, counts=(10,)):
    lot = factories.lot(engine, lead, counts=counts)
    with db.write_session(engine) as session:
        made = crates.sort_lot(
            session=session, actor=lead, lot_id=lot.id, tag={factories.kinds(engine)[0].id: n}
        )
    return lot, made


def _button(at, label):
    return next(b for b in at.button if b.label == label)


def test_sort_a_pickup_and_print_its_labels(ui):
    lead = factories.user(ui, Role.lead)
    factories.lot(ui, lead, counts=(10, 4))
    at = open_page(start(lead), "labels.py")
    assert not at.exception
    tag = [f for f in at.text_input if (f.key or "").startswith("tag_")]
    tag[0].input("11")
    _button(at, "Créer les codes et trier").click().run()
    assert texts(at.error) == [
        "Il ne reste que 10 cagettes de ce type à trier dans cette collecte."
    ]
    tag = [f for f in at.text_input if (f.key or "").startswith("tag_")]
    assert tag[0].value == "11" and _crate_count(ui) == 0
    tag[0].input("6")
    at.radio[0].set_value(Outcome.recycled)
    _button(at, "Créer les codes et trier").click().run()
    assert not at.error, texts(at.error)
    assert texts(at.success)[0] == "6 cagettes étiquetées : imprimez leurs étiquettes ci-dessous."
    assert "Toute la collecte est triée." in texts(at.success)
    assert _crate_count(ui) == 6
    assert len(at.get("image")) == 1  # the preview
    # Six labels: the PDF is one tap away (no "prepare" step), beside the thermal PNG.
    assert not [b for b in at.button if b.label == "Préparer le PDF"]
    download = at.get("download_button")
    assert len(download) == 2


def test_skip_out_of_range_is_refused_on_the_page(ui):
    lead = factories.user(ui, Role.lead)
    _tagged(ui, lead, n=2)
    at = open_page(start(lead), "labels.py")
    skip = next(n for n in at.text_input if n.label.startswith("Étiquettes déjà décollées"))
    skip.input("23").run()
    assert not at.error and len(at.get("image")) == 1


def test_many_labels_show_a_progress_bar(ui):
    lead = factories.user(ui, Role.lead)
    _tagged(ui, lead, n=120, counts=(150,))
    at = open_page(start(lead), "labels.py")
    _button(at, "Préparer le PDF").click().run()
    assert not at.exception
    assert len(at.get("progress")) == 1


def _scan(at, text):
    return scan(at, text)


def test_scan_a_crate_and_change_its_outcome(ui):
    lead = factories.user(ui, Role.lead)
    lot, [crate] = _tagged(ui, lead)
    at = _scan(open_page(start(lead), "scan.py"), codes.format_code(crate.code))
    assert not at.exception
    assert texts(at.subheader) == [f"Cagette {codes.format_code(crate.code)}"]
    assert any("Marché Davout" in m for m in texts(at.markdown))
    _button(at, "Bois de chauffage").click().run()
    assert texts(at.success) == [f"Cagette {codes.format_code(crate.code)} : bois de chauffage."]
    with db.read_session(ui) as session:
        assert (
            crates.resolve(session=session, actor=lead, text=crate.code).outcome == Outcome.firewood
        )


def test_a_scan_is_looked_up_once_per_run(ui, monkeypatch):
    lead = factories.user(ui, Role.lead)
    lot, [crate] = _tagged(ui, lead)
    at = open_page(start(lead), "scan.py")
    looked_up = []
    real = crates.resolve

    def counting(**kwargs):
        looked_up.append(kwargs["text"])
        return real(**kwargs)

    monkeypatch.setattr(crates, "resolve", counting)
    at = _scan(at, codes.format_code(crate.code))
    assert texts(at.subheader) == [f"Cagette {codes.format_code(crate.code)}"]
    assert looked_up == [crate.code]
    # A later run (no new scan) reads the crate again: it may have changed since.
    at.run()
    assert looked_up == [crate.code, crate.code]


def test_scanner_on_azerty_and_lot_codes(ui):
    lead = factories.user(ui, Role.lead)
    lot, [crate] = _tagged(ui, lead)
    at = open_page(start(lead), "scan.py")
    _scan(at, codes.us_on_azerty(codes.url_for(crate.code)) + "\n")
    assert texts(at.subheader) == [f"Cagette {codes.format_code(crate.code)}"]
    _scan(at, lot.code.lower())
    assert texts(at.subheader) == [f"Collecte {codes.format_code(lot.code)}"]
    assert "10 cagettes, 1 étiquetées, 9 à trier" in " ".join(texts(at.markdown))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("bonjour", "Caractère inattendu dans le code"),
        ("**C-12345-6**", "Caractère inattendu dans le code"),
        ("", None),
    ],
)
def test_bad_scans_are_explained_and_change_nothing(ui, text, message):
    lead = factories.user(ui, Role.lead)
    at = _scan(open_page(start(lead), "scan.py"), text)
    assert not at.exception
    if message:
        assert len(at.error) == 1 and message in at.error[0].value
    assert texts(at.info) == ["En attente d'un scan."]


def test_wrong_check_character_and_unknown_code(ui):
    lead = factories.user(ui, Role.lead)
    _, [crate] = _tagged(ui, lead)
    wrong = crate.code[:-1] + next(c for c in codes.ALPHABET if c != crate.code[-1])
    at = _scan(open_page(start(lead), "scan.py"), wrong)
    assert "le dernier caractère (contrôle) ne correspond pas" in at.error[0].value
    other = codes.mint("C")
    _scan(at, other)
    assert texts(at.error) == [
        f"Le code {codes.format_code(other)} est valide mais ne correspond à rien dans l'atelier."
    ]


def test_double_read_is_ignored(ui):
    lead = factories.user(ui, Role.lead)
    _, [crate] = _tagged(ui, lead)
    at = _scan(open_page(start(lead), "scan.py"), crate.code)
    _scan(at, crate.code)
    assert [t.value for t in at.toast] == [
        f"{codes.format_code(crate.code)} lu deux fois : ignoré."
    ]
    assert len(at.session_state["scan_history"]) == 1


def test_trainee_sees_the_crate_but_cannot_change_it(ui):
    lead = factories.user(ui, Role.lead)
    trainee = factories.user(ui, Role.trainee)
    _, [crate] = _tagged(ui, lead)
    at = _scan(open_page(start(trainee), "scan.py"), crate.code)
    assert texts(at.subheader) == [f"Cagette {codes.format_code(crate.code)}"]
    assert not [b for b in at.button if b.label == "Bois de chauffage"]


def _png_of(code: str) -> bytes:
    # A thermal label, scaled down to a phone-photo-like size.
    image = Image.open(io.BytesIO(labels.render_thermal(code))).convert("L").resize((480, 225))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def test_uploaded_photo_is_decoded(ui):
    lead = factories.user(ui, Role.lead)
    _, [crate] = _tagged(ui, lead)
    at = open_page(start(lead), "scan.py")
    at.file_uploader[0].upload("photo.png", _png_of(crate.code), "image/png").run()
    assert not at.exception
    assert texts(at.subheader) == [f"Cagette {codes.format_code(crate.code)}"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"not an image at all", "Ce fichier n'est pas une image lisible (JPEG, PNG ou WebP)."),
        ("blank", "Aucun QR code lisible sur la photo."),
        ("two", "2 codes différents sur la photo : cadrez une seule étiquette."),
    ],
)
def test_bad_photos_are_explained(ui, content, message):
    lead = factories.user(ui, Role.lead)
    if content == "blank":
        out = io.BytesIO()
        Image.new("RGB", (640, 480), "white").save(out, "PNG")
        content = out.getvalue()
    elif content == "two":
        page = Image.new("L", (1000, 260), 255)
        page.paste(Image.open(io.BytesIO(_png_of(codes.mint("C")))), (10, 10))
        page.paste(Image.open(io.BytesIO(_png_of(codes.mint("C")))), (510, 10))
        out = io.BytesIO()
        page.save(out, "PNG")
        content = out.getvalue()
    at = open_page(start(lead), "scan.py")
    at.file_uploader[0].upload("photo.png", content, "image/png").run()
    assert not at.exception
    assert len(at.error) == 1 and at.error[0].value.startswith(message)


@pytest.mark.parametrize(
    ("lang", "picture", "message"),
    [
        ("fr", "bomb", "Image trop grande : plus de 40 mégapixels."),
        ("en", "bomb", "Picture too big: more than 40 megapixels."),
        ("fr", "gif", "Les images GIF ne sont pas lues : envoyez une photo JPEG, PNG ou WebP."),
        ("en", "gif", "GIF pictures are not read: send a JPEG, PNG or WebP photo."),
    ],
)
def test_a_hostile_picture_is_a_message_and_changes_nothing(ui, lang, picture, message):
    lead = factories.user(ui, Role.lead)
    _tagged(ui, lead)
    if picture == "bomb":
        content = factories.png_bomb()  # 700 KB, 13 300 x 13 300 pixels
    else:
        out = io.BytesIO()
        Image.open(io.BytesIO(_png_of(codes.mint("C")))).save(out, "GIF")
        content = out.getvalue()
    with db.read_session(ui) as session:
        events = session.exec(select(func.count()).select_from(AuditEvent)).one()
    at = open_page(start(lead, lang=lang), "scan.py")
    at.file_uploader[0].upload("photo.png", content, "image/png").run()
    assert not at.exception
    assert len(at.error) == 1 and at.error[0].value.startswith(message)
    assert not at.subheader  # nothing scanned
    with db.read_session(ui) as session:
        assert session.exec(select(func.count()).select_from(AuditEvent)).one() == events


def test_code_link_from_a_phone_camera(ui):
    """`/?code=…` opens the scan page on the item, even across a sign-in."""
    lead = factories.user(ui, Role.lead, "lea")
    _, [crate] = _tagged(ui, lead)
    from streamlit.testing.v1 import AppTest

    from tests.conftest import APP

    at = AppTest.from_file(APP, default_timeout=30)
    at.query_params["code"] = crate.code
    at.run()
    assert texts(at.title) == ["Connexion"]
    at.text_input[0].input("lea")
    at.text_input[1].input(factories.PASSWORD)
    at.button[0].click().run()
    assert texts(at.title) == ["Scanner"]
    assert texts(at.subheader) == [f"Cagette {codes.format_code(crate.code)}"]


def test_market_manager_cannot_scan(ui):
    manager = factories.user(ui, Role.market_manager)
    at = start(manager)
    with pytest.raises(ValueError):
        open_page(at, "scan.py")
    with pytest.raises(ValueError):
        open_page(at, "labels.py")


def test_labels_pointing_to_localhost_are_announced_before_printing(ui, monkeypatch):
    """Issue 13, point 10: 240 labels pointing to localhost are a wasted sheet."""
    from workshop.ui import common

    lead = factories.user(ui, Role.lead)
    factories.lot(ui, lead, counts=(10,))
    monkeypatch.delenv("WORKSHOP_BASE_URL", raising=False)
    monkeypatch.setattr(common, "reached_host", lambda: "192.168.1.20:8501")
    at = open_page(start(lead), "labels.py")
    [warning] = texts(at.warning)
    assert "http://localhost:8501" in warning and "192.168.1.20:8501" in warning
    monkeypatch.setenv("WORKSHOP_BASE_URL", "http://192.168.1.20:8501")
    assert texts(open_page(start(lead), "labels.py").warning) == []


def test_after_tagging_the_counts_start_again_at_zero(ui):
    lead = factories.user(ui, Role.lead)
    factories.lot(ui, lead, counts=(10, 4))
    at = open_page(start(lead), "labels.py")
    [first, second] = [f for f in at.text_input if (f.key or "").startswith("tag_")]
    first.input("6")
    _button(at, "Créer les codes et trier").click().run()  # the rest: "later"
    assert not at.error and _crate_count(ui) == 6
    tags = [f for f in at.text_input if (f.key or "").startswith("tag_")]
    assert [f.value for f in tags] == ["0", "0"]  # not 6 again, ready for the next tagging
    assert tags[0].label.startswith("Cagette bois standard")

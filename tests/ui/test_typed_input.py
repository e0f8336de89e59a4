"""A control character typed in any form's text field (AppTest): refused in plain words, in
French and in English, with everything typed still in the form and nothing written.

One test per form that sends text to the domain; the domain's own tests
(tests/unit/test_typed_input.py and each module's) cover every character and field.
"""

from __future__ import annotations

from tests import factories
from tests.factories import MONDAY, add_hours, trainee, write
from tests.ui.conftest import open_page, start, texts
from workshop import codes, hours, i18n
from workshop.models import Activity, Role
from workshop.ui import common

LANGS = ("fr", "en")
TYPED = "Aw\x08a"  # a backspace pasted into a name: it broke the hour reports for everyone
MESSAGE = {
    "fr": "Un texte saisi contient un caractère invisible ou de contrôle (U+0008, caractère n°"
    " {position}) : retirez-le, puis réessayez.",
    "en": "Some text you typed contains an invisible or control character (U+0008, character"
    " {position}): remove it and try again.",
}


def _open(monkeypatch, user, lang: str, page: str | None):
    """`page` (None: the app's first page) for `user`, the session in `lang`."""
    # AppTest calls widgets' format functions outside the run too, where the session's
    # language is unknown (Streamlit's stand-in state keeps the first one it saw): the
    # session's language is `lang` everywhere, as it is in the browser.
    monkeypatch.setattr(common, "lang", lambda: lang)
    at = start(user, lang)
    return at if page is None else open_page(at, page)


def _label(key: str, lang: str, **params: object) -> str:
    return i18n.translate(key, lang, **params)


def _widget(at, kind: str, key: str, lang: str, **params: object):
    """The `kind` widget ("text_input", "checkbox"…) labelled with the message `key`."""
    label = _label(key, lang, **params)
    return next(w for w in getattr(at, kind) if w.label == label)


def _submit(at, form: str | None, key: str, lang: str):
    """Submit `form` by its button's message `key`, or (no form) click the button keyed `key`."""
    if form is None:
        return at.button(key=key).click().run()
    return at.button(key=f"FormSubmitter:{form}-{_label(key, lang)}").click().run()


Field = str | tuple[str, str]  # a text input's key, or (widget kind, its label's message key)


def _find(at, lang: str, field: Field):
    if isinstance(field, str):
        return at.text_input(key=field)
    return _widget(at, *field, lang)


def _typed_in(
    at,
    lang: str,
    field: Field,
    form: str | None,
    button: str,
    typed: str = TYPED,
    position: int = 3,
) -> None:
    """Type `typed` in `field` and submit `form`: the message in `lang`, the field as typed."""
    _find(at, lang, field).input(typed)
    _submit(at, form, button, lang)
    assert not at.exception
    assert texts(at.error) == [MESSAGE[lang].format(position=position)]
    assert not [s for s in at.success if s.icon == ":material/check_circle:"]  # no "saved"
    assert _find(at, lang, field).value == typed


def test_pickup_form(ui, monkeypatch):
    lead = factories.user(ui, Role.lead)
    count = f"new0_count_{factories.kinds(ui)[0].id}"
    with factories.unchanged(ui):
        for lang in LANGS:
            at = _open(monkeypatch, lead, lang, "pickups.py")
            at.text_input(key=count).input("3")
            _typed_in(at, lang, "new0_note", None, "new0_submit")
            assert at.text_input(key=count).value == "3"


def test_pickup_correction_and_deletion_forms(ui, monkeypatch):
    lead = factories.user(ui, Role.lead)
    lot = factories.lot(ui, lead)
    code = codes.format_code(lot.code)
    with factories.unchanged(ui):
        for lang in LANGS:
            at = _open(monkeypatch, lead, lang, "pickups.py")
            _widget(at, "selectbox", "pickups.choose", lang).set_value(lot.id).run()
            reason = f"edit_reason_{lot.id}"
            _typed_in(at, lang, reason, f"pickup_edit_{lot.id}", "pickups.save_changes")
            _widget(at, "checkbox", "pickups.delete_confirm", lang, code=code).check()
            reason = f"delete_reason_{lot.id}"
            _typed_in(at, lang, reason, f"pickup_delete_{lot.id}", "pickups.delete")


def test_new_trainee_form(ui, monkeypatch):
    lead = factories.user(ui, Role.lead)
    with factories.unchanged(ui):
        for lang in LANGS:
            at = _open(monkeypatch, lead, lang, "trainees.py")
            _widget(at, "text_input", "trainees.initial", lang).input("D")
            name = ("text_input", "trainees.first_name")
            _typed_in(at, lang, name, "trainee_add", "trainees.add")
            assert _widget(at, "text_input", "trainees.initial", lang).value == "D"


def test_new_piece_form(ui, monkeypatch):
    lead = factories.user(ui, Role.lead)
    with factories.unchanged(ui):
        for lang in LANGS:
            at = _open(monkeypatch, lead, lang, "builds.py")
            _typed_in(at, lang, ("text_input", "builds.note"), "new_build", "builds.create")


def test_piece_status_and_deletion_forms(ui, monkeypatch):
    lead = factories.user(ui, Role.lead)
    build = factories.build(ui, lead)
    code = codes.format_code(build.code)
    with factories.unchanged(ui):
        for lang in LANGS:
            at = _open(monkeypatch, lead, lang, "builds.py")
            where = ("text_input", "builds.destination")
            _typed_in(at, lang, where, f"status_{build.id}", "common.save")
            _widget(at, "checkbox", "builds.delete_confirm", lang, code=code, n=0).check()
            why = ("text_input", "builds.delete_reason")
            _typed_in(at, lang, why, f"delete_{build.id}", "builds.delete")


def test_design_form(ui, monkeypatch):
    lead = factories.user(ui, Role.lead)
    described = f"Trois cagettes.\n{TYPED}"  # a line break is fine here, the backspace is not
    with factories.unchanged(ui):
        for lang in LANGS:
            at = _open(monkeypatch, lead, lang, "designs.py")
            _widget(at, "text_input", "designs.name_fr", lang).input("Tabouret")
            description = ("text_area", "designs.description")
            _typed_in(at, lang, description, "design_0", "common.save", described, position=19)
            assert _widget(at, "text_input", "designs.name_fr", lang).value == "Tabouret"


def test_new_user_and_email_forms(ui, monkeypatch):
    admin = factories.user(ui, Role.admin, "admin")
    with factories.unchanged(ui):
        for lang in LANGS:
            at = _open(monkeypatch, admin, lang, "users.py")
            _widget(at, "text_input", "users.username", lang).input("camille")
            _widget(at, "text_input", "users.password", lang).input("long-enough")
            name = ("text_input", "users.display_name")
            _typed_in(at, lang, name, "user_add", "users.add")
            assert _widget(at, "text_input", "users.username", lang).value == "camille"
            email = f"{TYPED}@example.org"
            _typed_in(at, lang, "email_value", "user_email", "common.save", email)


def test_first_admin_form(ui, monkeypatch):
    with factories.unchanged(ui):
        for lang in LANGS:
            at = _open(monkeypatch, None, lang, None)
            _widget(at, "text_input", "users.username", lang).input("camille")
            _widget(at, "text_input", "users.password", lang).input("long-enough")
            _widget(at, "text_input", "users.password_confirm", lang).input("long-enough")
            name = ("text_input", "users.display_name")
            _typed_in(at, lang, name, "first_admin", "first_admin.submit")


def test_venue_figures_form(ui, monkeypatch):
    lead = factories.user(ui, Role.lead)
    with factories.unchanged(ui):
        for lang in LANGS:
            at = _open(monkeypatch, lead, lang, "venues.py")
            venue_id = at.selectbox(key="venue_pick").value
            [figure, *_] = [n for n in at.text_input if n.key.startswith("metric_")]
            figure.input("120")
            source = f"venue_source_{venue_id}"
            _typed_in(at, lang, source, f"venue_form_{venue_id}", "other_venues.save")


def test_hour_review_form(ui, monkeypatch):
    lead = factories.user(ui, Role.lead)
    entry = add_hours(ui, lead, trainee(ui), MONDAY, 120)
    with factories.unchanged(ui):
        for lang in LANGS:
            at = _open(monkeypatch, lead, lang, "hours_approval.py")
            at.date_input(key="hw_week").set_value(MONDAY).run()
            for button in ("hours.correct", "hours.reject"):
                _typed_in(at, lang, "hw_reason", f"hw_review_{entry.id}", button)


def test_reopen_week_form(ui, monkeypatch):
    admin = factories.user(ui, Role.admin)
    tr = trainee(ui)
    add_hours(ui, admin, tr, MONDAY, 120)
    write(ui, hours.approve_week, actor=admin, trainee_id=tr.id, week=MONDAY)
    with factories.unchanged(ui):
        for lang in LANGS:
            at = _open(monkeypatch, admin, lang, "hours_approval.py")
            at.date_input(key="hw_week").set_value(MONDAY).run()
            _typed_in(at, lang, "hw_reopen_why", "hw_reopen", "hours.reopen")


def test_add_hours_form(ui, monkeypatch):
    lead = factories.user(ui, Role.lead)
    trainee(ui)
    with factories.unchanged(ui):
        for lang in LANGS:
            at = _open(monkeypatch, lead, lang, "hours_approval.py")
            at.date_input(key="hw_week").set_value(MONDAY).run()
            _typed_in(at, lang, ("text_input", "hours.reason_add"), "hw_add", "hours.add")


def test_my_hours_form(ui, monkeypatch):
    account = factories.user(ui, Role.trainee)
    trainee(ui, user_id=account.id)
    with factories.unchanged(ui):
        for lang in LANGS:
            at = _open(monkeypatch, account, lang, "my_hours.py")
            at.selectbox(key="mh_minutes").set_value(90)
            at.selectbox(key="mh_activity").set_value(Activity.assemblage)
            _typed_in(at, lang, "mh_note", "mh_add", "my_hours.save")
            assert at.selectbox(key="mh_minutes").value == 90

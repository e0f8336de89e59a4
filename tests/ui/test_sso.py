"""Optional single sign-on: the provider says who, the app's own user table says what role."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests import factories
from tests.conftest import APP
from tests.ui.conftest import open_page, start, texts
from workshop import accounts, db
from workshop.errors import AuthenticationFailed, InvalidInput
from workshop.models import Role

AUTH = {
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "x" * 32,
    "client_id": "atelier",
    "client_secret": "secret",
    "server_metadata_url": "https://id.example.org/.well-known/openid-configuration",
}


def _with_provider(email: str | None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=30)
    at.secrets["auth"] = AUTH
    at.user = {"is_logged_in": email is not None, "email": email or ""}
    return at.run()


def test_set_email_rules(ui):
    admin = factories.user(ui, Role.admin, "admin")
    lead = factories.user(ui, Role.lead, "lea")
    with db.write_session(ui) as session:
        accounts.set_email(session=session, actor=admin, user_id=lead.id, email=" Lea@Example.org ")
    for bad in ("pas-une-adresse", "a@b", "x y@z.fr"):
        with pytest.raises(InvalidInput), db.write_session(ui) as session:
            accounts.set_email(session=session, actor=admin, user_id=admin.id, email=bad)
    with pytest.raises(InvalidInput) as err, db.write_session(ui) as session:
        accounts.set_email(session=session, actor=admin, user_id=admin.id, email="lea@example.org")
    assert err.value.key == "error.user.email_taken"
    with db.read_session(ui) as session:
        assert accounts.user_for_email(session=session, email="LEA@example.org").id == lead.id
        with pytest.raises(AuthenticationFailed):
            accounts.user_for_email(session=session, email="inconnu@example.org")


def test_provider_sign_in_takes_the_role_from_the_app(ui):
    admin = factories.user(ui, Role.admin, "admin")
    lead = factories.user(ui, Role.lead, "lea", display_name="Léa")
    with db.write_session(ui) as session:
        accounts.set_email(session=session, actor=admin, user_id=lead.id, email="lea@example.org")
    at = _with_provider("lea@example.org")
    assert texts(at.title) == ["Bonjour Léa"]
    with pytest.raises(ValueError):  # a lead, not an admin: no users page
        open_page(at, "users.py")
    # The provider's session ends: so does the app's, at the next run.
    at.user = {"is_logged_in": False}
    at.run()
    assert texts(at.title) == ["Connexion"]


def test_provider_sign_in_without_an_account_is_refused(ui):
    factories.user(ui, Role.admin, "admin")
    at = _with_provider("personne@example.org")
    assert texts(at.title) == ["Connexion"]
    assert texts(at.error) == [
        "Aucun compte de l'atelier n'est lié à l'adresse personne@example.org. "
        "Demandez à un·e administrateur·rice de l'ajouter."
    ]


def test_without_a_provider_there_is_no_sso_button(ui):
    factories.user(ui, Role.lead, "lea")
    at = start()
    assert not [b for b in at.button if b.label == "Se connecter avec le compte de la structure"]
    at = _with_provider(None)
    assert [b for b in at.button if b.label == "Se connecter avec le compte de la structure"]


def test_admin_sets_an_email_on_the_users_page(ui):
    admin = factories.user(ui, Role.admin, "admin")
    lead = factories.user(ui, Role.lead, "lea")
    at = open_page(start(admin), "users.py")
    next(s for s in at.selectbox if s.key == "email_who").set_value(lead.id).run()
    next(t for t in at.text_input if t.key == "email_value").input("pas une adresse")
    next(
        b for b in at.button if b.label == "Enregistrer" and "user_email" in str(b.form_id)
    ).click().run()
    assert texts(at.error) == ["Adresse e-mail incorrecte."]

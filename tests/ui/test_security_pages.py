"""Sign-in from the pages (AppTest): guessing throttled across browser sessions, and an open
tab (one AppTest session across runs) that stops as soon as its sign-in ends anywhere."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from sqlmodel import select

from tests import factories
from tests.ui.conftest import open_page, start, texts
from workshop import accounts, dates, db, signin_tokens, throttles
from workshop.models import AuditEvent, Role, User

THROTTLED = "Trop d'essais manqués. Réessayez dans 1 min (60 s)."
NOW = datetime(2026, 3, 10, 8, 0, tzinfo=UTC)


def _try(at, username: str, password: str):
    at.text_input[0].input(username)
    at.text_input[1].input(password)
    at.button[0].click().run()
    return at


def _open_tab(ui):
    """Léa signs in on the sign-in page; the AppTest session is her open tab."""
    lead = factories.user(ui, Role.lead, "lea", display_name="Léa")
    admin = factories.user(ui, Role.admin, "admin")
    at = _try(start(), "lea", factories.PASSWORD)
    assert texts(at.title) == ["Bonjour Léa"]
    return at, lead, admin


@pytest.fixture
def frozen():
    """A still clock: a wait is shown to the second, whatever the machine's speed."""
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def _signed_out(at) -> bool:
    return texts(at.title) == ["Connexion"] and "user_id" not in at.session_state


# --- Guessing --------------------------------------------------------------------------


def test_new_browser_sessions_trying_many_usernames_are_slowed_down(ui, frozen):
    """Hardening 5: a new websocket used to start a new count (≈ 6 tries a second)."""
    factories.user(ui, Role.lead, "lea", display_name="Léa")
    for n in range(throttles.CLIENT_FREE_TRIES):
        at = _try(start(), f"guess{n}", "wrong-password")  # a new session and username each time
        assert texts(at.error) == ["Identifiant ou mot de passe incorrect."]
    at = _try(start(), "lea", factories.PASSWORD)  # the right password, but this address waits
    assert texts(at.error) == [THROTTLED]
    assert _signed_out(at)


def test_a_username_is_throttled_across_sessions(ui, frozen):
    factories.user(ui, Role.lead, "lea")
    # The clock stands still: on a busy machine a second could pass before the last try.
    with time_machine.travel(dates.utcnow(), tick=False):
        for _ in range(throttles.FREE_TRIES):
            _try(start(), "lea", "wrong-password")  # a fresh browser session each time
        at = _try(start(), "lea", factories.PASSWORD)
    assert texts(at.error) == [THROTTLED]
    assert "user_id" not in at.session_state


def test_mistakes_then_the_right_password_sign_in(ui):
    factories.user(ui, Role.lead, "lea", display_name="Léa")
    at = start()
    for _ in range(throttles.FREE_TRIES - 1):
        _try(at, "lea", "wrong-password")
    _try(at, "lea", factories.PASSWORD)
    assert texts(at.title) == ["Bonjour Léa"]


def test_a_sign_in_holds_no_write_lock_while_the_password_is_checked(ui, monkeypatch):
    """Hardening 6: a sign-in flood held the write lock through argon2, stalling pickups."""
    factories.user(ui, Role.lead, "lea", display_name="Léa")
    seen = factories.lock_seen_by_password_checks(monkeypatch, ui)
    at = _try(start(), "lea", "wrong-password")
    _try(at, "lea", factories.PASSWORD)
    assert texts(at.title) == ["Bonjour Léa"]
    assert seen == [True, True]


# --- An open tab stops as soon as its sign-in ends -------------------------------------


def test_an_open_tab_stops_after_sign_out_everywhere(ui):
    """Hardening 2: the tab kept working; it is signed out at its next run."""
    at, lead, admin = _open_tab(ui)
    factories.write(ui, signin_tokens.sign_out_everywhere, actor=admin, user_id=lead.id)
    at.run()
    assert _signed_out(at)
    at.run()  # and stays signed out (the device's cookie is refused from now on)
    assert _signed_out(at)


def test_an_open_tab_stops_when_its_sign_in_expires(ui, monkeypatch, frozen):
    """Hardening 2: with a 36 s session, a tab still worked 45 s later."""
    monkeypatch.setenv("WORKSHOP_SESSION_HOURS", "0.01")
    at, _lead, _admin = _open_tab(ui)
    frozen.move_to(NOW + timedelta(seconds=30))
    at.run()
    assert texts(at.title) == ["Bonjour Léa"]
    frozen.move_to(NOW + timedelta(seconds=45))
    at.run()
    assert _signed_out(at)


@pytest.mark.parametrize("change", ["password reset", "disabled then re-enabled", "role changed"])
def test_an_open_tab_stops_after_a_change_to_its_user(ui, change):
    """Hardening 3: a password reset, a disable and re-enable, a role change end sign-ins."""
    at, lead, admin = _open_tab(ui)
    with db.write_session(ui) as session:
        if change == "password reset":
            accounts.reset_password(
                session=session, actor=admin, user_id=lead.id, password="tout-neuf-123"
            )
        elif change == "role changed":
            accounts.set_role(session=session, actor=admin, user_id=lead.id, role=Role.trainee)
        else:
            accounts.set_active(session=session, actor=admin, user_id=lead.id, active=False)
            accounts.set_active(session=session, actor=admin, user_id=lead.id, active=True)
    at.run()
    assert _signed_out(at)


def test_signing_out_ends_the_cookie_for_good(ui):
    """Hardening 4: a copied cookie kept working for 12 h after its owner signed out."""
    at, _lead, _admin = _open_tab(ui)
    # The browser was sent to the server for its cookie, with a one-time ticket.
    went_to = urlsplit(at.session_state["went_to"])
    assert went_to.path == "/session/start" and parse_qs(went_to.query)["next"] == ["/"]
    issued = signin_tokens.take(parse_qs(went_to.query)["ticket"][0])
    assert issued is not None
    cookie = issued.token  # what the browser keeps
    with db.read_session(ui) as session:
        assert signin_tokens.user_for(session=session, token=cookie) is not None
    next(b for b in at.sidebar.button if b.label == "Se déconnecter").click().run()
    assert _signed_out(at)
    with db.read_session(ui) as session:
        assert signin_tokens.user_for(session=session, token=cookie) is None


# --- The Users page: a role, an unlock ------------------------------------------------


def _form_button(at, label: str, form: str):
    return next(b for b in at.button if b.label == label and form in str(b.form_id))


def test_admin_changes_a_role_on_the_users_page(ui):
    admin = factories.user(ui, Role.admin, "admin")
    lead = factories.user(ui, Role.lead, "lea")
    at = open_page(start(admin), "users.py")
    at.selectbox(key="role_who").set_value(admin.id)
    at.selectbox(key="role_value").set_value(Role.lead)
    _form_button(at, "Enregistrer", "user_role").click().run()
    assert texts(at.error) == [
        "Vous ne pouvez pas changer votre propre rôle : demandez à un·e autre administrateur·rice."
    ]
    at.selectbox(key="role_who").set_value(lead.id)
    at.selectbox(key="role_value").set_value(Role.trainee)
    _form_button(at, "Enregistrer", "user_role").click().run()
    assert texts(at.success) == ["Rôle de lea enregistré."]
    with db.read_session(ui) as session:
        assert session.get(User, lead.id).role == Role.trainee


def test_admin_unlocks_a_sign_in_with_a_reason(ui, frozen):
    """Hardening 7: one wrong guess an hour kept an account locked for good."""
    admin = factories.user(ui, Role.admin, "admin")
    lead = factories.user(ui, Role.lead, "lea", display_name="Léa")
    for _ in range(throttles.FREE_TRIES):
        _try(start(), "lea", "wrong-password")
    assert texts(_try(start(), "lea", factories.PASSWORD).error) == [THROTTLED]
    at = open_page(start(admin), "users.py")
    at.selectbox(key="unlock_who").set_value(lead.id)
    _form_button(at, "Débloquer la connexion", "user_unlock").click().run()
    assert texts(at.error) == ["Indiquez pourquoi vous débloquez ce compte."]
    at.text_input(key="unlock_reason").input("Léa a appelé : c'était bien elle")
    _form_button(at, "Débloquer la connexion", "user_unlock").click().run()
    assert texts(at.success) == ["lea peut se connecter de nouveau tout de suite."]
    assert texts(_try(start(), "lea", factories.PASSWORD).title) == ["Bonjour Léa"]
    with db.read_session(ui) as session:
        unlock = session.exec(select(AuditEvent).where(AuditEvent.action == "sign_in_unlocked"))
        assert [(e.user_id, e.reason) for e in unlock] == [
            (admin.id, "Léa a appelé : c'était bien elle")
        ]

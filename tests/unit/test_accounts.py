"""Accounts: first admin, users, passwords, sign-in, the role matrix."""

from __future__ import annotations

import pytest
from sqlmodel import select

from tests import factories
from workshop import accounts, db, throttles, typed_input
from workshop.accounts import PERMISSIONS, Permission
from workshop.errors import AuthenticationFailed, DomainError, InvalidInput, PermissionDenied
from workshop.models import AuditEvent, Role, User


def test_first_admin_then_refused(engine):
    with db.write_session(engine) as session:
        admin = accounts.create_first_admin(
            session=session, username=" Camille ", display_name="Camille", password="long-enough"
        )
    assert admin.username == "camille" and admin.role == Role.admin
    with pytest.raises(PermissionDenied), db.write_session(engine) as session:
        accounts.create_first_admin(
            session=session, username="other", display_name="Other", password="long-enough"
        )
    with db.read_session(engine) as session:
        assert accounts.user_count(session=session) == 1
        stored = session.exec(select(User)).one()
    assert stored.password_hash.startswith("$argon2id$")
    assert "long-enough" not in stored.password_hash


@pytest.mark.parametrize(
    ("username", "name", "password", "key"),
    [
        ("", "Camille", "long-enough", "error.user.username_empty"),
        ("   ", "Camille", "long-enough", "error.user.username_empty"),
        ("ca mille", "Camille", "long-enough", "error.user.username_invalid"),
        ("x" * 61, "Camille", "long-enough", "error.user.username_invalid"),
        ("camille", " ", "long-enough", "error.user.display_name_empty"),
        ("camille", "Camille", "short", "error.user.password_short"),
    ],
)
def test_bad_new_user_writes_nothing(engine, username, name, password, key):
    with pytest.raises(InvalidInput) as err, db.write_session(engine) as session:
        accounts.create_first_admin(
            session=session, username=username, display_name=name, password=password
        )
    assert err.value.key == key
    with db.read_session(engine) as session:
        assert accounts.user_count(session=session) == 0
        assert session.exec(select(AuditEvent)).first() is None


def test_authenticate(engine):
    lead = factories.user(engine, Role.lead, "lea")
    signed_in = accounts.authenticate(engine=engine, username="LEA ", password=factories.PASSWORD)
    assert signed_in.id == lead.id
    with pytest.raises(AuthenticationFailed):
        accounts.authenticate(engine=engine, username="lea", password="wrong-password")
    with pytest.raises(AuthenticationFailed):
        accounts.authenticate(engine=engine, username="nobody", password=factories.PASSWORD)
    with pytest.raises(InvalidInput) as err:
        accounts.authenticate(engine=engine, username="", password="x")
    assert err.value.key == "error.user.username_empty"


def test_disabled_user_cannot_sign_in(engine):
    admin = factories.user(engine, Role.admin, "admin")
    lead = factories.user(engine, Role.lead, "lea")
    with db.write_session(engine) as session:
        accounts.set_active(session=session, actor=admin, user_id=lead.id, active=False)
    with pytest.raises(AuthenticationFailed):
        accounts.authenticate(engine=engine, username="lea", password=factories.PASSWORD)
    with pytest.raises(InvalidInput), db.write_session(engine) as session:
        accounts.set_active(session=session, actor=admin, user_id=admin.id, active=False)


def test_admin_changes_a_role(engine):
    admin = factories.user(engine, Role.admin, "admin")
    lead = factories.user(engine, Role.lead, "lea")
    davout = factories.market(engine)
    role = {"actor": admin, "user_id": lead.id, "market_id": davout.id}
    changed = factories.write(engine, accounts.set_role, role=Role.market_manager, **role)
    assert (changed.role, changed.market_id) == (Role.market_manager, davout.id)
    changed = factories.write(engine, accounts.set_role, role=Role.lead, **role)
    assert (changed.role, changed.market_id) == (Role.lead, None)  # a market for managers only
    with db.read_session(engine) as session:
        logged = session.exec(
            select(AuditEvent).where(AuditEvent.action == "update").order_by(AuditEvent.id)
        ).all()
    assert [(e.user_id, e.entity_id) for e in logged] == [(admin.id, str(lead.id))] * 2
    assert '"role": "lead"' in logged[0].before and '"role": "market_manager"' in logged[0].after
    for refused, key in [
        ({"user_id": admin.id, "role": Role.lead}, "error.user.cannot_change_own_role"),
        ({"user_id": 999, "role": Role.lead}, "error.user.unknown"),
        ({"user_id": lead.id, "role": Role.lead, "market_id": 999}, "error.market.unknown"),
    ]:
        with pytest.raises(DomainError) as err, db.write_session(engine) as session:
            accounts.set_role(session=session, actor=admin, **refused)
        assert err.value.key == key


def test_unlocking_a_sign_in_needs_a_reason_and_is_logged(engine):
    admin = factories.user(engine, Role.admin, "admin")
    lead = factories.user(engine, Role.lead, "lea")
    with pytest.raises(InvalidInput) as err, db.write_session(engine) as session:
        accounts.unlock_sign_in(session=session, actor=admin, user_id=lead.id, reason="  ")
    assert err.value.key == "error.user.unlock_reason"
    refused = {"Léa\x07 a appelé": typed_input.INVISIBLE, "x" * 501: "error.reason_too_long"}
    for reason, key in refused.items():
        with pytest.raises(InvalidInput) as err, db.write_session(engine) as session:
            accounts.unlock_sign_in(session=session, actor=admin, user_id=lead.id, reason=reason)
        assert err.value.key == key
    with db.write_session(engine) as session:
        accounts.unlock_sign_in(
            session=session, actor=admin, user_id=lead.id, reason="Léa a appelé"
        )
    with db.read_session(engine) as session:
        logged = session.exec(
            select(AuditEvent).where(AuditEvent.action == throttles.UNLOCKED)
        ).one()
    assert (logged.user_id, logged.entity, logged.entity_id) == (admin.id, "user", "lea")
    assert logged.reason == "Léa a appelé"


def test_admin_adds_user_and_resets_password(engine):
    admin = factories.user(engine, Role.admin, "admin")
    davout = factories.market(engine)
    with db.write_session(engine) as session:
        manager = accounts.create_user(
            session=session,
            actor=admin,
            username="placier",
            display_name="Placier",
            password="marche-davout",
            role=Role.market_manager,
            market_id=davout.id,
        )
    assert manager.market_id == davout.id
    with pytest.raises(InvalidInput) as err, db.write_session(engine) as session:
        accounts.create_user(
            session=session,
            actor=admin,
            username="placier",
            display_name="Twice",
            password="marche-davout",
            role=Role.lead,
        )
    assert err.value.key == "error.user.username_taken"
    with db.write_session(engine) as session:
        accounts.reset_password(
            session=session, actor=admin, user_id=manager.id, password="nouveau-mdp"
        )
    assert accounts.authenticate(engine=engine, username="placier", password="nouveau-mdp")
    with db.read_session(engine) as session:
        actions = [e.action for e in session.exec(select(AuditEvent))]
    assert actions == ["create", "reset_password", "sign_in"]


@pytest.mark.parametrize("role", [Role.lead, Role.trainee, Role.market_manager])
def test_only_admin_manages_users(engine, role):
    actor = factories.user(engine, role, "someone")
    with pytest.raises(PermissionDenied), db.write_session(engine) as session:
        accounts.create_user(
            session=session,
            actor=actor,
            username="new",
            display_name="New",
            password="long-enough",
            role=Role.admin,
        )
    with pytest.raises(PermissionDenied), db.write_session(engine) as session:
        accounts.reset_password(
            session=session, actor=actor, user_id=actor.id, password="long-enough"
        )
    with pytest.raises(PermissionDenied), db.write_session(engine) as session:
        accounts.set_role(session=session, actor=actor, user_id=actor.id, role=Role.admin)
    with pytest.raises(PermissionDenied), db.write_session(engine) as session:
        accounts.unlock_sign_in(session=session, actor=actor, user_id=actor.id, reason="moi")
    with pytest.raises(PermissionDenied), db.read_session(engine) as session:
        accounts.list_users(session=session, actor=actor)


def test_role_matrix_matches_design():
    assert set(factories.DESIGN_MATRIX) == set(Permission)
    for permission, roles in factories.DESIGN_MATRIX.items():
        assert {r for r in Role if permission in PERMISSIONS[r]} == roles, permission
    assert not accounts.can(None, Permission.dashboards)
    disabled = User(username="x", display_name="x", role=Role.admin, password_hash="", active=False)
    assert not accounts.can(disabled, Permission.dashboards)


@pytest.mark.parametrize("typed", factories.INVISIBLE)
def test_invisible_characters_in_a_new_user_or_an_email_are_refused_and_write_nothing(
    engine, typed
):
    new_user = {"username": "camille", "display_name": "Camille", "password": "long-enough"}
    for field in ("username", "display_name"):  # the first admin, on an empty database
        fields = {**new_user, field: typed}
        factories.refused(engine, "error.text.invisible", accounts.create_first_admin, **fields)
    admin = factories.user(engine, Role.admin, "admin")
    for field in ("username", "display_name"):
        fields = {**new_user, field: typed, "actor": admin, "role": Role.lead}
        factories.refused(engine, "error.text.invisible", accounts.create_user, **fields)
    factories.refused(
        engine,
        "error.text.invisible",
        accounts.set_email,
        actor=admin,
        user_id=admin.id,
        email=f"{typed}@example.org",
    )


def test_a_display_name_longer_than_its_column_is_refused(engine):
    admin = factories.user(engine, Role.admin, "admin")
    factories.refused(
        engine,
        "error.user.display_name_long",
        accounts.create_user,
        actor=admin,
        username="camille",
        display_name="C" * (accounts.MAX_DISPLAY_NAME + 1),
        password="long-enough",
        role=Role.lead,
    )


def test_bidirectional_controls_are_taken_out_of_a_display_name(engine):
    admin = factories.user(engine, Role.admin, "admin")
    made = factories.write(
        engine,
        accounts.create_user,
        actor=admin,
        username="camille",
        display_name="\u202eCamille D.\u202c",
        password="long-enough",
        role=Role.lead,
    )
    assert made.display_name == "Camille D."


def test_a_user_keeps_the_language_they_chose(engine):
    lead = factories.user(engine, Role.lead)
    assert lead.language is None
    factories.write(engine, accounts.set_language, actor=lead, language="en")
    with db.read_session(engine) as session:
        assert session.get(User, lead.id).language == "en"
    with factories.unchanged(engine):
        factories.refused(
            engine, "error.user.unknown_language", accounts.set_language, actor=lead, language="de"
        )

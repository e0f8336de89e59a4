"""Sign-in tokens: signature, expiry, the database that issued them, every way a sign-in ends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from alembic import command
from sqlalchemy import event, inspect, text
from sqlmodel import select

from tests import factories
from workshop import accounts, backup, db, restore, schema, signin_tokens, startup
from workshop.errors import PermissionDenied
from workshop.models import EndedToken, Installation, Role, User

T0 = datetime(2026, 3, 10, 8, 0, tzinfo=UTC)


def _user_for(engine, token, now=None):
    with db.read_session(engine) as session:
        return signin_tokens.user_for(session=session, token=token, now=now)


def _issue(engine, user, now=None) -> signin_tokens.Issued:
    with db.write_session(engine) as session:
        return signin_tokens.issue(session=session, user=user, now=now)


def _end(engine, token, now=None) -> None:
    with db.write_session(engine) as session:
        signin_tokens.end(session=session, token=token, now=now)


def test_a_token_signs_its_user_in_until_it_expires(engine, monkeypatch):
    monkeypatch.setenv("WORKSHOP_SESSION_HOURS", "12")
    lead = factories.user(engine, Role.lead)
    issued = _issue(engine, lead, T0)
    assert issued.lifetime_s == 12 * 3600
    assert _user_for(engine, issued.token, T0).id == lead.id
    assert _user_for(engine, issued.token, T0 + timedelta(hours=11, minutes=59)).id == lead.id
    assert _user_for(engine, issued.token, T0 + timedelta(hours=12, seconds=1)) is None


def _other_user(token: str) -> str:
    version, user_id, rest = token.split(".", 2)
    return f"{version}.{int(user_id) + 1}.{rest}"


def _other_generation(token: str) -> str:
    parts = token.split(".")
    parts[2] = str(int(parts[2]) + 1)
    return ".".join(parts)


@pytest.mark.parametrize(
    "tamper",
    [
        lambda t: "",
        lambda t: "garbage",
        lambda t: "1.2.3.4",
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),  # signature changed
        _other_user,  # another user id, same signature
        _other_generation,  # an older or newer generation, same signature
        lambda t: t.replace("v1.", "v2.", 1),
        lambda t: t + "." * 300,
        lambda t: t[:-2] + "é",
    ],
)
def test_a_forged_or_damaged_token_signs_nobody_in(engine, tamper):
    lead = factories.user(engine, Role.lead)
    factories.user(engine, Role.admin)  # the next user id exists
    token = _issue(engine, lead).token
    assert _user_for(engine, tamper(token)) is None


def test_a_token_signed_with_another_key_is_refused(engine, monkeypatch):
    lead = factories.user(engine, Role.lead)
    monkeypatch.setenv("WORKSHOP_SESSION_KEY", "one-key")
    token = _issue(engine, lead).token
    monkeypatch.setenv("WORKSHOP_SESSION_KEY", "another-key")
    assert _user_for(engine, token) is None


def test_a_token_opens_only_the_database_that_issued_it(engine, other_url, tmp_path, monkeypatch):
    """Hardening 1: two databases sharing one data folder (so one session key)."""
    monkeypatch.delenv("WORKSHOP_SESSION_KEY", raising=False)
    monkeypatch.setenv("WORKSHOP_DATA_DIR", str(tmp_path / "shared-data"))
    demo_admin = factories.user(engine, Role.admin, "admin")
    other = startup.open_database(other_url)
    try:
        their_admin = factories.user(other, Role.admin, "admin")
        assert their_admin.id == demo_admin.id  # same id, same name: only the database differs
        demo_cookie = factories.sign_in_token(engine, demo_admin)
        assert _user_for(engine, demo_cookie).id == demo_admin.id
        assert _user_for(other, demo_cookie) is None
        assert _user_for(other, factories.sign_in_token(other, their_admin)).id == their_admin.id
    finally:
        other.dispose()


def test_every_database_has_its_own_install_id_and_a_restored_copy_makes_its_own(
    engine, other_url, data_dir
):
    admin = factories.user(engine, Role.admin, "admin")
    token = factories.sign_in_token(engine, admin)
    restore.restore(backup.write_backup(engine), other_url)
    restored = db.make_engine(other_url)
    try:
        with db.read_session(engine) as session, db.read_session(restored) as copy:
            ours = session.exec(select(Installation.install_id)).one()
            theirs = copy.exec(select(Installation.install_id)).one()
        assert len(ours) == 32 and ours != theirs
        assert _user_for(restored, token) is None  # the copy is a new database
        assert _user_for(restored, factories.sign_in_token(restored, admin)).id == admin.id
    finally:
        restored.dispose()


def test_a_lost_install_id_is_made_again(engine):
    lead = factories.user(engine, Role.lead)
    with db.write_session(engine) as session:
        session.execute(text("DELETE FROM installation"))
    assert _user_for(engine, factories.sign_in_token(engine, lead)).id == lead.id


def _admin_does(engine, admin, user, change: str) -> None:
    with db.write_session(engine) as session:
        if change == "password reset":
            accounts.reset_password(
                session=session, actor=admin, user_id=user.id, password="tout-neuf-123"
            )
        elif change == "disabled then re-enabled":
            accounts.set_active(session=session, actor=admin, user_id=user.id, active=False)
            accounts.set_active(session=session, actor=admin, user_id=user.id, active=True)
        elif change == "role changed":
            accounts.set_role(session=session, actor=admin, user_id=user.id, role=Role.trainee)
        elif change == "e-mail changed":
            accounts.set_email(session=session, actor=admin, user_id=user.id, email="l@example.org")
        else:
            signin_tokens.sign_out_everywhere(session=session, actor=admin, user_id=user.id)


@pytest.mark.parametrize(
    "change",
    [
        "password reset",
        "disabled then re-enabled",
        "role changed",
        "e-mail changed",
        "signed out everywhere",
    ],
)
def test_a_change_to_a_user_ends_their_existing_sign_ins(engine, change):
    """Hardening 3: every sign-in made before stops; a new one works."""
    admin = factories.user(engine, Role.admin, "admin")
    lead = factories.user(engine, Role.lead, "lea")
    phone, laptop = factories.sign_in_token(engine, lead), factories.sign_in_token(engine, lead)
    admins = factories.sign_in_token(engine, admin)
    _admin_does(engine, admin, lead, change)
    assert _user_for(engine, phone) is None and _user_for(engine, laptop) is None
    assert _user_for(engine, factories.sign_in_token(engine, lead)).id == lead.id
    assert _user_for(engine, admins).id == admin.id  # nobody else is signed out


def test_saving_a_user_unchanged_ends_nothing(engine):
    admin = factories.user(engine, Role.admin, "admin")
    lead = factories.user(engine, Role.lead, "lea")
    token = factories.sign_in_token(engine, lead)
    with db.write_session(engine) as session:
        accounts.set_active(session=session, actor=admin, user_id=lead.id, active=True)
        accounts.set_role(session=session, actor=admin, user_id=lead.id, role=Role.lead)
        accounts.set_email(session=session, actor=admin, user_id=lead.id, email="")
    assert _user_for(engine, token).id == lead.id


def test_a_disabled_user_is_signed_out(engine):
    admin = factories.user(engine, Role.admin, "admin")
    lead = factories.user(engine, Role.lead, "lea")
    token = factories.sign_in_token(engine, lead)
    with db.write_session(engine) as session:
        accounts.set_active(session=session, actor=admin, user_id=lead.id, active=False)
    assert _user_for(engine, token) is None


def test_signing_out_ends_that_token_even_where_it_was_copied(engine):
    """Hardening 4: the cookie copied before the sign-out no longer signs anyone in."""
    lead = factories.user(engine, Role.lead, "lea")
    token = _issue(engine, lead, T0).token
    other_device = _issue(engine, lead, T0).token
    copied = str(token)
    _end(engine, token, T0 + timedelta(minutes=5))
    assert _user_for(engine, copied, T0 + timedelta(minutes=6)) is None
    assert _user_for(engine, other_device, T0 + timedelta(minutes=6)).id == lead.id
    _end(engine, token, T0 + timedelta(minutes=7))  # twice is harmless
    with db.read_session(engine) as session:
        assert len(session.exec(select(EndedToken)).all()) == 1


def test_ended_tokens_are_kept_only_until_they_would_have_expired(engine, monkeypatch):
    monkeypatch.setenv("WORKSHOP_SESSION_HOURS", "12")
    lead = factories.user(engine, Role.lead, "lea")
    first = _issue(engine, lead, T0).token
    _end(engine, first, T0)
    later = T0 + timedelta(hours=13)
    _end(engine, _issue(engine, lead, later).token, later)
    with db.read_session(engine) as session:
        kept = session.exec(select(EndedToken)).all()
    assert len(kept) == 1 and kept[0].expires_at > later
    # A token that signs nobody in (forged, expired) is not even written down.
    _end(engine, first, later)
    _end(engine, "v1.1.0.x.99999999999999.forged", later)
    with db.read_session(engine) as session:
        assert len(session.exec(select(EndedToken)).all()) == 1


def test_checking_a_token_is_one_read(engine):
    """Hardening 2: the check runs on every page run, so it stays one indexed query."""
    lead = factories.user(engine, Role.lead, "lea")
    token = factories.sign_in_token(engine, lead)
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        if not statement.startswith(("BEGIN", "ROLLBACK", "COMMIT")):
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        assert _user_for(engine, token).id == lead.id
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(statements) == 1, statements


def test_only_admins_or_the_user_sign_out_everywhere(engine):
    lead = factories.user(engine, Role.lead, "lea")
    other = factories.user(engine, Role.lead, "sam")
    with pytest.raises(PermissionDenied), db.write_session(engine) as session:
        signin_tokens.sign_out_everywhere(session=session, actor=other, user_id=lead.id)
    with db.write_session(engine) as session:
        signin_tokens.sign_out_everywhere(session=session, actor=lead, user_id=lead.id)


def test_sign_out_everywhere_without_an_actor_is_refused(engine):
    """Hardening 9: no actor (or a disabled one) is a refusal, not an AttributeError."""
    lead = factories.user(engine, Role.lead, "lea")
    disabled = factories.user(engine, Role.lead, "ex", active=False)
    for actor, target in ((None, lead.id), (disabled, disabled.id)):
        with pytest.raises(PermissionDenied), db.write_session(engine) as session:
            signin_tokens.sign_out_everywhere(session=session, actor=actor, user_id=target)


def test_migration_0009_keeps_the_data_and_goes_back(engine):
    admin = factories.user(engine, Role.admin, "admin")
    lead = factories.user(engine, Role.lead, "lea")
    with db.write_session(engine) as session:
        accounts.reset_password(session=session, actor=admin, user_id=lead.id, password="x" * 9)
    config = schema.alembic_config(engine)
    command.downgrade(config, "0008")
    with engine.connect() as conn:
        tables = set(inspect(conn).get_table_names())
        user_columns = {c["name"] for c in inspect(conn).get_columns("app_user")}
        event_columns = {c["name"] for c in inspect(conn).get_columns("auditevent")}
        events = conn.execute(text("SELECT count(*) FROM auditevent")).scalar()
    assert not {"installation", "ended_token"} & tables
    assert "sign_in_generation" not in user_columns and "client" not in event_columns
    command.upgrade(config, "head")
    assert schema.current_revision(engine) == schema.head_revision(engine)
    with db.read_session(engine) as session:
        users = {u.username: u.sign_in_generation for u in session.exec(select(User))}
        assert len(session.exec(select(Installation)).all()) == 1
        after = session.execute(text("SELECT count(*) FROM auditevent")).scalar()
    assert users == {"admin": 0, "lea": 0} and after == events
    assert _user_for(engine, factories.sign_in_token(engine, lead)).id == lead.id


def test_a_tablet_token_is_made_by_a_lead_and_checked_against_this_database(engine):
    lead = factories.user(engine, Role.lead, "lea-tablet")
    with db.write_session(engine) as session:
        token = signin_tokens.tablet_token(session=session, actor=lead)
    with db.read_session(engine) as session:
        assert signin_tokens.is_tablet_token(session=session, token=token)
        payload, _, signature = token.rpartition(".")
        for forged in (f"{payload}.{signature[::-1]}", f"t1.other.{signature}", "", None, "x.y"):
            assert not signin_tokens.is_tablet_token(session=session, token=forged)
    trainee_user = factories.user(engine, Role.trainee, "sam-tablet")
    with db.write_session(engine) as session, pytest.raises(PermissionDenied):
        signin_tokens.tablet_token(session=session, actor=trainee_user)

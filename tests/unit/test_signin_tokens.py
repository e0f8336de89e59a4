"""Sign-in tokens: signature, expiry, disabled users, sign out everywhere."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests import factories
from workshop import accounts, dates, db, signin_tokens
from workshop.errors import PermissionDenied
from workshop.models import Role


def _user_for(engine, token, now=None):
    with db.read_session(engine) as session:
        return signin_tokens.user_for(session=session, token=token, now=now)


def test_a_token_signs_its_user_in_until_it_expires(engine, monkeypatch):
    monkeypatch.setenv("WORKSHOP_SESSION_HOURS", "12")
    lead = factories.user(engine, Role.lead)
    now = dates.utcnow()
    token, lifetime = signin_tokens.issue(lead, now=now)
    assert lifetime == 12 * 3600
    assert _user_for(engine, token, now).id == lead.id
    assert _user_for(engine, token, now + timedelta(hours=11, minutes=59)).id == lead.id
    assert _user_for(engine, token, now + timedelta(hours=12, seconds=1)) is None


@pytest.mark.parametrize(
    "tamper",
    [
        lambda t: "",
        lambda t: "garbage",
        lambda t: "1.2.3",
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),  # signature changed
        lambda t: "999." + t.split(".", 1)[1],  # another user id, same signature
        lambda t: t + "." * 300,
    ],
)
def test_a_forged_or_damaged_token_signs_nobody_in(engine, tamper):
    lead = factories.user(engine, Role.lead)
    token, _ = signin_tokens.issue(lead)
    assert _user_for(engine, tamper(token)) is None


def test_a_token_signed_with_another_key_is_refused(engine, monkeypatch):
    lead = factories.user(engine, Role.lead)
    monkeypatch.setenv("WORKSHOP_SESSION_KEY", "one-key")
    token, _ = signin_tokens.issue(lead)
    monkeypatch.setenv("WORKSHOP_SESSION_KEY", "another-key")
    assert _user_for(engine, token) is None


def test_disabled_user_and_sign_out_everywhere(engine):
    admin = factories.user(engine, Role.admin, "admin")
    lead = factories.user(engine, Role.lead, "lea")
    old, _ = signin_tokens.issue(lead)
    with db.write_session(engine) as session:
        signin_tokens.sign_out_everywhere(session=session, actor=admin, user_id=lead.id)
    assert _user_for(engine, old) is None
    fresh, _ = signin_tokens.issue(lead)  # a new sign-in after the revocation works
    assert _user_for(engine, fresh).id == lead.id
    with db.write_session(engine) as session:
        accounts.set_active(session=session, actor=admin, user_id=lead.id, active=False)
    assert _user_for(engine, fresh) is None


def test_only_admins_or_the_user_sign_out_everywhere(engine):
    lead = factories.user(engine, Role.lead, "lea")
    other = factories.user(engine, Role.lead, "sam")
    with pytest.raises(PermissionDenied), db.write_session(engine) as session:
        signin_tokens.sign_out_everywhere(session=session, actor=other, user_id=lead.id)
    with db.write_session(engine) as session:
        signin_tokens.sign_out_everywhere(session=session, actor=lead, user_id=lead.id)

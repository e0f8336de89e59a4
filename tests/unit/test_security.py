"""Cross-cutting: guessing throttle, failed sign-ins counted in the audit log (issue 8, item 3)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from tests import factories
from workshop import accounts, db, passwords, startup
from workshop.errors import AuthenticationFailed, TooManyAttempts
from workshop.models import AuditEvent, Role

T0 = datetime(2026, 3, 10, 8, 0, tzinfo=UTC)


def attempt(engine, username: str, password: str, now: datetime):
    """One sign-in attempt in its own write transaction, as the sign-in page makes it."""
    with db.write_session(engine) as session:
        return accounts.authenticate(session=session, username=username, password=password, now=now)


def fail(engine, username: str, now: datetime, times: int = 1) -> None:
    for _ in range(times):
        with pytest.raises(AuthenticationFailed):
            attempt(engine, username, "wrong-password", now)


def events(engine, key: str) -> list[str]:
    with db.read_session(engine) as session:
        found = session.exec(
            select(AuditEvent)
            .where(AuditEvent.entity == "user", AuditEvent.entity_id == key)
            .order_by(AuditEvent.id)
        )
        return [e.action for e in found]


@pytest.fixture
def verifications(monkeypatch):
    """Count password checks: a throttled attempt must not even check the password."""
    calls: list[str] = []
    real = passwords.matches

    def spy(stored_hash, secret):
        calls.append(secret)
        return real(stored_hash, secret)

    monkeypatch.setattr(passwords, "matches", spy)
    return calls


def test_the_sixth_attempt_is_refused_without_checking_even_the_right_password(
    engine, verifications
):
    factories.user(engine, Role.admin, "camille")
    fail(engine, "camille", T0, times=accounts.FREE_TRIES)
    assert len(verifications) == accounts.FREE_TRIES
    with pytest.raises(TooManyAttempts) as err:
        attempt(engine, "camille", factories.PASSWORD, T0 + timedelta(seconds=1))
    assert err.value.key == "error.auth.throttled"
    assert err.value.params == {"seconds": 59, "minutes": 1}
    assert len(verifications) == accounts.FREE_TRIES  # the password was not checked
    # Every failure was committed although the sign-in failed; the refusal adds nothing.
    assert events(engine, "camille") == ["sign_in_failed"] * accounts.FREE_TRIES
    with db.read_session(engine) as session:
        logged = session.exec(select(AuditEvent).where(AuditEvent.entity_id == "camille")).all()
    assert {e.user_id for e in logged} == {None}


def test_the_wait_grows_then_a_success_resets_it(engine):
    factories.user(engine, Role.lead, "lea")
    fail(engine, "lea", T0, times=accounts.FREE_TRIES)
    # After the first minute one more try; failing it doubles the wait to 2 minutes.
    t1 = T0 + timedelta(seconds=60)
    fail(engine, "lea", t1)
    with pytest.raises(TooManyAttempts) as err:
        attempt(engine, "lea", factories.PASSWORD, t1 + timedelta(seconds=61))
    assert err.value.params["seconds"] == 59
    t2 = t1 + timedelta(seconds=120)
    fail(engine, "lea", t2)
    with pytest.raises(TooManyAttempts) as err:
        attempt(engine, "lea", factories.PASSWORD, t2 + timedelta(seconds=1))
    assert err.value.params["seconds"] == 239  # 4 minutes after the 7th failure
    t3 = t2 + timedelta(seconds=240)
    assert attempt(engine, " LEA ", factories.PASSWORD, t3).username == "lea"
    # A success starts the count again: the next mistake is not throttled.
    fail(engine, "lea", t3)
    assert attempt(engine, "lea", factories.PASSWORD, t3).username == "lea"
    assert events(engine, "lea")[-3:] == ["sign_in", "sign_in_failed", "sign_in"]


def test_wait_schedule_is_capped_at_an_hour():
    now = T0
    waits = [accounts.throttle_wait(n, now, now) for n in range(4, 14)]
    assert waits == [0, 60, 120, 240, 480, 960, 1920, 3600, 3600, 3600]
    assert accounts.throttle_wait(10_000, now, now) == 3600
    assert accounts.throttle_wait(5, now - timedelta(seconds=60), now) == 0


def test_old_failures_fall_out_of_the_window(engine):
    factories.user(engine, Role.lead, "lea")
    fail(engine, "lea", T0, times=accounts.FREE_TRIES)
    later = T0 + accounts.WINDOW + timedelta(seconds=1)
    fail(engine, "lea", later)  # counted alone: no wait after it
    assert attempt(engine, "lea", factories.PASSWORD, later).username == "lea"


def test_unknown_usernames_are_throttled_and_logged_as_typed(engine):
    typed = "  Quel-Qu'Un " + "x" * 100
    key = typed.strip().lower()[:60]
    fail(engine, typed, T0, times=accounts.FREE_TRIES)
    with pytest.raises(TooManyAttempts):
        attempt(engine, typed, "anything", T0)
    assert events(engine, key) == ["sign_in_failed"] * accounts.FREE_TRIES


def test_other_usernames_are_not_slowed_down(engine):
    factories.user(engine, Role.lead, "lea")
    fail(engine, "mallory", T0, times=accounts.FREE_TRIES)
    with pytest.raises(TooManyAttempts):
        attempt(engine, "mallory", "guess", T0)
    assert attempt(engine, "lea", factories.PASSWORD, T0).username == "lea"


def test_the_count_survives_a_restart(engine, database_url):
    factories.user(engine, Role.lead, "lea")
    fail(engine, "lea", T0, times=accounts.FREE_TRIES)
    engine.dispose()
    other = startup.open_database(database_url)  # another instance, or after a restart
    try:
        with pytest.raises(TooManyAttempts):
            attempt(other, "lea", factories.PASSWORD, T0 + timedelta(seconds=30))
    finally:
        other.dispose()

"""The guessing throttles (`workshop/throttles.py`), counted in the audit log (hardening 5-7).

Per username, per client address, every client together per minute; failed sign-ins
logged; the password checked outside any write transaction, one at a time.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from tests import factories
from workshop import accounts, db, passwords, startup, throttles
from workshop.errors import AuthenticationFailed, TooManyAttempts
from workshop.models import AuditEvent, Role

T0 = datetime(2026, 3, 10, 8, 0, tzinfo=UTC)
GUESSER = "203.0.113.7"
OWNER = "198.51.100.20"


def attempt(engine, username: str, password: str, now: datetime, client: str = GUESSER):
    """One sign-in attempt, as the sign-in page makes it (its own transactions)."""
    return accounts.authenticate(
        engine=engine, username=username, password=password, client=client, now=now
    )


def fail(engine, username: str, now: datetime, times: int = 1, client: str = GUESSER) -> None:
    for _ in range(times):
        with pytest.raises(AuthenticationFailed):
            attempt(engine, username, "wrong-password", now, client)


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
    fail(engine, "camille", T0, times=throttles.FREE_TRIES)
    assert len(verifications) == throttles.FREE_TRIES
    with pytest.raises(TooManyAttempts) as err:
        attempt(engine, "camille", factories.PASSWORD, T0 + timedelta(seconds=1))
    assert err.value.key == "error.auth.throttled"
    assert err.value.params == {"seconds": 59, "minutes": 1}
    assert len(verifications) == throttles.FREE_TRIES  # the password was not checked
    # Every failure was committed although the sign-in failed; the refusal adds nothing.
    assert events(engine, "camille") == ["sign_in_failed"] * throttles.FREE_TRIES
    with db.read_session(engine) as session:
        logged = session.exec(select(AuditEvent).where(AuditEvent.entity_id == "camille")).all()
    assert {e.user_id for e in logged} == {None} and {e.client for e in logged} == {GUESSER}


def test_the_wait_grows_then_a_success_resets_it(engine):
    factories.user(engine, Role.lead, "lea")
    fail(engine, "lea", T0, times=throttles.FREE_TRIES)
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
    waits = [throttles.throttle_wait(n, now, now) for n in range(4, 14)]
    assert waits == [0, 60, 120, 240, 480, 960, 1920, 3600, 3600, 3600]
    assert throttles.throttle_wait(10_000, now, now) == 3600
    assert throttles.throttle_wait(5, now - timedelta(seconds=60), now) == 0
    assert throttles.throttle_wait(10, now, now, free=10) == 60


def test_old_failures_fall_out_of_the_window(engine):
    factories.user(engine, Role.lead, "lea")
    fail(engine, "lea", T0, times=throttles.FREE_TRIES)
    later = T0 + throttles.WINDOW + timedelta(seconds=1)
    fail(engine, "lea", later)  # counted alone: no wait after it
    assert attempt(engine, "lea", factories.PASSWORD, later).username == "lea"


def test_unknown_usernames_are_throttled_and_logged_as_typed(engine):
    typed = "  Quel-Qu'Un " + "x" * 100
    key = typed.strip().lower()[:60]
    fail(engine, typed, T0, times=throttles.FREE_TRIES)
    with pytest.raises(TooManyAttempts):
        attempt(engine, typed, "anything", T0)
    assert events(engine, key) == ["sign_in_failed"] * throttles.FREE_TRIES


def test_other_usernames_are_not_slowed_down(engine):
    factories.user(engine, Role.lead, "lea")
    fail(engine, "mallory", T0, times=throttles.FREE_TRIES)
    with pytest.raises(TooManyAttempts):
        attempt(engine, "mallory", "guess", T0)
    assert attempt(engine, "lea", factories.PASSWORD, T0).username == "lea"


def test_the_count_survives_a_restart(engine, database_url):
    factories.user(engine, Role.lead, "lea")
    fail(engine, "lea", T0, times=throttles.FREE_TRIES)
    engine.dispose()
    other = startup.open_database(database_url)  # another instance, or after a restart
    try:
        with pytest.raises(TooManyAttempts):
            attempt(other, "lea", factories.PASSWORD, T0 + timedelta(seconds=30))
    finally:
        other.dispose()


# --- Hardening 5: one address, many usernames; many addresses, one minute -----------------


def test_one_address_trying_many_usernames_is_throttled(engine, verifications):
    factories.user(engine, Role.lead, "lea")
    for n in range(throttles.CLIENT_FREE_TRIES):
        fail(engine, f"guess{n}", T0)  # a new username (and browser session) each time
    with pytest.raises(TooManyAttempts):  # even the right password, not even checked
        attempt(engine, "lea", factories.PASSWORD, T0 + timedelta(seconds=1))
    assert len(verifications) == throttles.CLIENT_FREE_TRIES
    # Another address is not slowed down; the guesser waits a minute, then two…
    assert attempt(engine, "lea", factories.PASSWORD, T0, client=OWNER).username == "lea"
    fail(engine, "guess-again", T0 + timedelta(seconds=60))
    with pytest.raises(TooManyAttempts) as err:
        attempt(engine, "guess-more", "x", T0 + timedelta(seconds=61))
    assert err.value.params["seconds"] == 119


def test_many_addresses_together_meet_a_ceiling_per_minute(engine):
    factories.user(engine, Role.lead, "lea")
    for n in range(throttles.GLOBAL_FAILURES_PER_MINUTE):
        fail(engine, f"guess{n}", T0 + timedelta(seconds=n), client=f"192.0.2.{n}")
    last = T0 + timedelta(seconds=throttles.GLOBAL_FAILURES_PER_MINUTE - 1)
    with pytest.raises(TooManyAttempts) as err:
        attempt(engine, "lea", factories.PASSWORD, last, client=OWNER)
    assert err.value.params["seconds"] == 60 - (throttles.GLOBAL_FAILURES_PER_MINUTE - 1)
    # Once the first of them is a minute old, there is room again.
    assert attempt(engine, "lea", factories.PASSWORD, T0 + timedelta(seconds=61), client=OWNER)


@pytest.mark.parametrize(
    ("direct", "forwarded", "behind_proxy", "key"),
    [
        (None, [], False, throttles.LOCAL_CLIENT),  # the same machine
        ("203.0.113.7", [], False, "203.0.113.7"),
        ("203.0.113.7", ["1.2.3.4"], False, "203.0.113.7"),  # anyone can write the header
        (None, ["1.2.3.4"], False, throttles.LOCAL_CLIENT),
        (None, ["1.2.3.4"], True, "1.2.3.4"),  # the proxy writes it
        (None, ["9.9.9.9, 1.2.3.4"], True, "1.2.3.4"),  # the client wrote the first one
        (None, ["9.9.9.9", "1.2.3.4 "], True, "1.2.3.4"),
        (None, ["not an address"], True, throttles.LOCAL_CLIENT),
        ("2001:db8:1:2:3:4:5:6", [], False, "2001:db8:1:2::/64"),  # one machine's /64
        ("::ffff:192.0.2.1", [], False, "192.0.2.1"),
    ],
)
def test_the_client_address_counted(monkeypatch, direct, forwarded, behind_proxy, key):
    monkeypatch.setenv("WORKSHOP_BEHIND_PROXY", "1" if behind_proxy else "")
    assert throttles.client_key(direct, forwarded) == key


# --- Hardening 6: the password is checked outside any write transaction -------------------


def test_the_password_is_checked_while_others_can_write(engine, monkeypatch):
    factories.user(engine, Role.lead, "lea")
    seen = factories.lock_seen_by_password_checks(monkeypatch, engine)
    fail(engine, "lea", T0)
    assert attempt(engine, "lea", factories.PASSWORD, T0).username == "lea"
    assert seen == [True, True]


def test_tries_at_the_same_moment_cannot_slip_past_the_count_together(engine, verifications):
    factories.user(engine, Role.lead, "lea")
    start = threading.Barrier(12)

    def one_try(_: int) -> str:
        start.wait()
        try:
            attempt(engine, "lea", "wrong-password", T0)
        except (AuthenticationFailed, TooManyAttempts) as err:
            return type(err).__name__
        return "signed in"

    with ThreadPoolExecutor(max_workers=12) as pool:
        outcomes = sorted(pool.map(one_try, range(12)))
    failed = ["AuthenticationFailed"] * throttles.FREE_TRIES
    assert outcomes == failed + ["TooManyAttempts"] * (12 - throttles.FREE_TRIES)
    assert len(verifications) == throttles.FREE_TRIES


# --- Hardening 7: the owner still gets in; an admin can unlock ----------------------------


def test_the_owner_gets_in_from_an_address_that_has_not_failed(engine):
    factories.user(engine, Role.lead, "lea")
    fail(engine, "lea", T0, times=throttles.FREE_TRIES)  # someone keeps Léa's account waiting
    hour = T0 + timedelta(seconds=30)
    with pytest.raises(TooManyAttempts):
        attempt(engine, "lea", factories.PASSWORD, hour)  # not from the guesser's address
    assert attempt(engine, "lea", factories.PASSWORD, hour, client=OWNER).username == "lea"
    # Her success wipes nothing the guesser did: the guesser still waits.
    with pytest.raises(TooManyAttempts):
        attempt(engine, "lea", factories.PASSWORD, hour + timedelta(seconds=1))
    # A wrong password from her address is a failure like any other, and then she waits too.
    fail(engine, "lea", hour, client=OWNER)
    with pytest.raises(TooManyAttempts):
        attempt(engine, "lea", factories.PASSWORD, hour, client=OWNER)


def test_an_admin_unlocks_an_account_and_its_failures_stop_counting(engine):
    admin = factories.user(engine, Role.admin, "admin")
    lead = factories.user(engine, Role.lead, "lea")
    others = throttles.CLIENT_FREE_TRIES - throttles.FREE_TRIES - 1
    fail(engine, "lea", T0, times=throttles.FREE_TRIES)
    for n in range(others):
        fail(engine, f"guess{n}", T0)
    with pytest.raises(TooManyAttempts):
        attempt(engine, "lea", factories.PASSWORD, T0)
    with db.write_session(engine) as session:
        accounts.unlock_sign_in(session=session, actor=admin, user_id=lead.id, reason="appel")
    assert attempt(engine, "lea", factories.PASSWORD, T0).username == "lea"
    # The address's failures for other usernames still count.
    for n in range(others, throttles.CLIENT_FREE_TRIES):
        fail(engine, f"guess{n}", T0)
    with pytest.raises(TooManyAttempts):
        attempt(engine, "lea", factories.PASSWORD, T0)

"""Throttled tries of every secret: passwords, shop-floor PINs and badges (hardening 5-8).

Each try is an audit event with the client address it came from; the throttles count
those events, so the counts survive a restart, hold across app instances and need no
table of their own. `check_secret` is the one path a secret is checked through.
"""

from __future__ import annotations

import contextlib
import ipaddress
import math
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import Engine, and_, case, or_
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, func, select

from workshop import audit, config, db, passwords
from workshop.errors import TooManyAttempts
from workshop.models import AuditEvent, User

T = TypeVar("T")

# Guessing throttle (issue 8, hardening 5-8): after FREE_TRIES failures for one key
# (a username, a trainee's PIN), or CLIENT_FREE_TRIES from one client address, the
# next attempt waits FIRST_WAIT_S, doubled for each further failure, at most
# MAX_WAIT_S; past GLOBAL_FAILURES_PER_MINUTE failed sign-ins in a minute, from every
# address together, every sign-in waits for the minute to pass. Failures are counted
# from the audit log within WINDOW (`check_throttle` says which still count), so the
# counts survive a restart and hold across app instances without a table of their own.
FREE_TRIES = 5
CLIENT_FREE_TRIES = 10
GLOBAL_FAILURES_PER_MINUTE = 30
FIRST_WAIT_S = 60
MAX_WAIT_S = 3600
WINDOW = timedelta(hours=24)
SIGN_IN = "sign_in"
SIGN_IN_FAILED = "sign_in_failed"
UNLOCKED = "sign_in_unlocked"
# The client of a try when the connection's address is unknown (the same machine).
LOCAL_CLIENT = "local"


def throttle_wait(
    failures: int, last_failure: datetime | None, now: datetime, *, free: int = FREE_TRIES
) -> int:
    """Seconds to wait before another attempt after `failures` (0: go ahead)."""
    if failures < free or last_failure is None:
        return 0
    wait = min(FIRST_WAIT_S * 2 ** min(failures - free, 16), MAX_WAIT_S)
    remaining = (last_failure + timedelta(seconds=wait) - now).total_seconds()
    return max(0, math.ceil(remaining))


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def client_key(direct: str | None, forwarded: list[str] | None = None) -> str:
    """The address a client's tries are counted under.

    `direct` is the connection's peer (None on the same machine); `forwarded` the
    X-Forwarded-For headers, believed only when `config.behind_proxy()` says the app
    is reached through the proxy, which writes the last address of the last header.
    An IPv6 address counts as its /64: one machine usually holds a whole one.
    """
    candidates = [direct]
    if forwarded and config.behind_proxy():
        candidates.insert(0, forwarded[-1].split(",")[-1].strip())
    for candidate in candidates:
        try:
            address = ipaddress.ip_address((candidate or "").strip())
        except ValueError:
            continue
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
            return str(address.ipv4_mapped)
        if isinstance(address, ipaddress.IPv6Address):
            return str(ipaddress.IPv6Network(f"{address}/64", strict=False))
        return str(address)
    return LOCAL_CLIENT


@dataclass(frozen=True)
class Attempt:
    """One try of a secret: what for (`entity` and `key` in the audit log), from where, when."""

    entity: str
    key: str
    client: str
    now: datetime


@dataclass(frozen=True)
class Limits:
    """Failures a throttle lets through before each wait begins (then as `throttle_wait`)."""

    per_key: int | None  # for one key (a username, a trainee's PIN)
    per_client: int  # from one client address, over `client_entities`
    client_entities: tuple[str, ...]
    per_minute: int | None = None  # of `entity`, every client together
    message: str | None = None  # the TooManyAttempts message (None: the default)


PASSWORD_LIMITS = Limits(FREE_TRIES, CLIENT_FREE_TRIES, ("user",), GLOBAL_FAILURES_PER_MINUTE)


def _counted_failures(since: datetime) -> tuple[Any, Any]:
    """Failures since `since`, and the condition that leaves out those no longer counted.

    A failure stops counting once the same client succeeds for the same key after it
    (whoever typed it there knew the secret), or once an admin unlocks the key; a
    success elsewhere wipes nothing, so a guesser's count survives the owner's sign-in.
    """
    failure, later = aliased(AuditEvent), aliased(AuditEvent)
    wiped = (
        select(later.id)
        .where(
            later.entity == failure.entity,
            later.entity_id == failure.entity_id,
            col(later.id) > col(failure.id),
            or_(
                and_(col(later.action) == SIGN_IN, col(later.client) == col(failure.client)),
                col(later.action) == UNLOCKED,
            ),
        )
        .exists()
    )
    counted = and_(col(failure.action) == SIGN_IN_FAILED, col(failure.at) >= since, ~wiped)
    return failure, counted


def key_failures(*, session: Session, attempt: Attempt) -> tuple[int, datetime | None, int]:
    """The key's counted failures: how many, the last one's time, how many from this client."""
    failure, counted = _counted_failures(attempt.now - WINDOW)
    here = func.coalesce(func.sum(case((failure.client == attempt.client, 1), else_=0)), 0)
    count, last, from_here = session.exec(
        select(func.count(), func.max(failure.at), here).where(
            failure.entity == attempt.entity, failure.entity_id == attempt.key, counted
        )
    ).one()
    return int(count), _aware(last) if last is not None else None, int(from_here)


def client_failures(
    *, session: Session, attempt: Attempt, entities: tuple[str, ...]
) -> tuple[int, datetime | None]:
    """The client's counted failures over `entities`: how many, and the last one's time."""
    failure, counted = _counted_failures(attempt.now - WINDOW)
    count, last = session.exec(
        select(func.count(), func.max(failure.at)).where(
            failure.client == attempt.client, col(failure.entity).in_(entities), counted
        )
    ).one()
    return int(count), _aware(last) if last is not None else None


def _minute_wait(session: Session, attempt: Attempt, ceiling: int | None) -> int:
    """Seconds until fewer than `ceiling` failures of the entity fall in the last minute."""
    if ceiling is None:
        return 0
    recent = session.exec(
        select(AuditEvent.at)
        .where(
            AuditEvent.entity == attempt.entity,
            AuditEvent.action == SIGN_IN_FAILED,
            AuditEvent.at > attempt.now - timedelta(minutes=1),
        )
        .order_by(col(AuditEvent.at).desc())
        .limit(ceiling)
    ).all()
    if len(recent) < ceiling:
        return 0
    oldest = _aware(recent[-1]) + timedelta(minutes=1)
    return max(1, math.ceil((oldest - attempt.now).total_seconds()))


def check_throttle(*, session: Session, attempt: Attempt, limits: Limits) -> None:
    """Raise TooManyAttempts while the attempt must wait, its secret not even checked.

    Three counts: its client's failures, every client's in the last minute, and its
    key's. The key's wait holds only for a client that failed for that key itself:
    the owner, from anywhere else, still gets in with the right secret while a
    guesser keeps the account waiting (the guesser's own address stays throttled).
    """
    count, last = client_failures(session=session, attempt=attempt, entities=limits.client_entities)
    waits = [
        throttle_wait(count, last, attempt.now, free=limits.per_client),
        _minute_wait(session, attempt, limits.per_minute),
    ]
    if limits.per_key is not None:
        failures, last_failure, from_here = key_failures(session=session, attempt=attempt)
        if from_here:
            waits.append(throttle_wait(failures, last_failure, attempt.now, free=limits.per_key))
    if seconds := max(waits):
        raise throttled(seconds, limits.message)


def throttled(seconds: int, message: str | None = None) -> TooManyAttempts:
    """The error telling someone to wait `seconds` (shown rounded up to minutes too)."""
    return TooManyAttempts(message, seconds=seconds, minutes=math.ceil(seconds / 60))


def record_attempt(
    *, session: Session, attempt: Attempt, ok: bool, actor: User | None = None
) -> None:
    """Log one attempt (the throttles count them) in the caller's transaction."""
    event = audit.record(
        session=session,
        actor=actor,
        action=SIGN_IN if ok else SIGN_IN_FAILED,
        entity=attempt.entity,
        entity_id=attempt.key,
    )
    event.at = attempt.now  # the attempt's time (a test's clock), set before the insert
    event.client = attempt.client


# One secret checked at a time in this process, throttle check to record: tries at the
# same moment cannot slip past a count together, and a flood cannot run argon2 (64 MiB
# and four threads each) on every core at once: 16 guessers doing so made pickups
# 50 times slower (benchmarks/bench_signin_flood.py).
_ONE_AT_A_TIME = threading.Lock()


def _lowest_priority() -> None:
    # Even one check at a time, argon2's four threads took the cores from a pickup
    # running beside them (its p95 3 to 5 times longer): the checking thread, and the
    # threads argon2 starts from it, run at the lowest priority (Linux: per thread).
    with contextlib.suppress(AttributeError, OSError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)


_CHECKER = ThreadPoolExecutor(1, thread_name_prefix="secret-check", initializer=_lowest_priority)


def check_secret(
    *,
    engine: Engine,
    attempt: Attempt,
    limits: Limits,
    secret: str,
    load: Callable[[Session], tuple[T | None, str | None]],
) -> T | None:
    """What `load` finds if `secret` matches its hash, else None; throttled, and recorded.

    `load` returns what the secret opens (None when nothing may be opened) and the
    hash to check (None: a dummy one, so every failure takes as long). Its own
    transactions: the throttle and `load` read, the hash is checked outside any
    transaction (a write lock held through argon2 stalled every pickup), then the
    attempt is recorded in a short write.
    """
    with _ONE_AT_A_TIME:
        with db.read_session(engine) as session:
            # A refused (throttled) attempt is not logged: the failures that caused the
            # wait are, and logging refusals would let a guesser grow the log for free.
            check_throttle(session=session, attempt=attempt, limits=limits)
            found, stored_hash = load(session)
        matched = _CHECKER.submit(passwords.matches, stored_hash, secret).result()
        ok = matched and found is not None
        with db.write_session(engine) as session:
            actor = found if ok and isinstance(found, User) else None
            record_attempt(session=session, attempt=attempt, ok=ok, actor=actor)
    return found if ok else None

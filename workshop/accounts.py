"""Users, roles, password hashing and permission checks (DESIGN §7).

`PERMISSIONS` is the one place the role matrix lives: pages are shown by it and
domain functions call `require()` with it, so hiding a page is never the only guard.
"""

from __future__ import annotations

import contextlib
import enum
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

from workshop import audit, config, db, i18n, passwords, typed_input
from workshop.errors import (
    AuthenticationFailed,
    InvalidInput,
    NotFound,
    PermissionDenied,
    TooManyAttempts,
)
from workshop.models import AuditEvent, Market, Role, User, utcnow

T = TypeVar("T")

MIN_PASSWORD_LENGTH = 8
MAX_DISPLAY_NAME = 120  # app_user.display_name's size

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


class Permission(enum.StrEnum):
    """Something a role may do."""

    pickups = "pickups"  # log, edit, delete pickups; tagging; labels; crate outcomes
    scan = "scan"  # look up scanned codes; scan crates into builds
    builds = "builds"  # create builds and designs, change status, photos, delete
    builds_view = "builds_view"  # see builds and their crates
    dashboards = "dashboards"
    manage_users = "manage_users"
    settings = "settings"  # markets, crate kinds
    hours = "hours"  # trainees, everyone's hours, approval, hour reports, shop-floor mode
    own_hours = "own_hours"  # a trainee's own hours and personal data
    locked_hours = "locked_hours"  # change an approved (locked) week, with a reason
    backup = "backup"  # make and download backups
    audit_log = "audit_log"  # read the audit log (who changed what and when)
    venues = "venues"  # enter and import the other venues' monthly figures
    venues_view = "venues_view"  # see the other venues' figures beside the workshop's


PERMISSIONS: dict[Role, frozenset[Permission]] = {
    # Admins do everything except having hours of their own (DESIGN §7).
    Role.admin: frozenset(Permission) - {Permission.own_hours},
    Role.lead: frozenset(
        {
            Permission.pickups,
            Permission.scan,
            Permission.builds,
            Permission.builds_view,
            Permission.dashboards,
            Permission.hours,
            Permission.venues,
            Permission.venues_view,
        }
    ),
    Role.trainee: frozenset({Permission.scan, Permission.builds_view, Permission.own_hours}),
    Role.market_manager: frozenset({Permission.dashboards, Permission.venues_view}),
}


def can(user: User | None, permission: Permission) -> bool:
    """True when `user` is active and their role grants `permission`."""
    return bool(user and user.active and permission in PERMISSIONS[Role(user.role)])


def require(user: User | None, permission: Permission) -> User:
    """Return `user`, or raise PermissionDenied when their role lacks `permission`."""
    if user is None or not can(user, permission):
        raise PermissionDenied(permission=permission.value)
    return user


def hash_password(password: str) -> str:
    """Argon2id hash of `password`."""
    return passwords.hash_secret(password)


def _check_new_user_fields(username: str, display_name: str, password: str) -> tuple[str, str]:
    """The username and display name as kept; InvalidInput when one of the three is wrong."""
    username = typed_input.text(username).lower()
    if not username:
        raise InvalidInput("error.user.username_empty")
    if len(username) > 60 or not all(c.isalnum() or c in "._-" for c in username):
        raise InvalidInput("error.user.username_invalid")
    display_name = typed_input.text(display_name)
    if not display_name:
        raise InvalidInput("error.user.display_name_empty")
    if len(display_name) > MAX_DISPLAY_NAME:
        raise InvalidInput("error.user.display_name_long", max=MAX_DISPLAY_NAME)
    check_password(password)
    return username, display_name


def check_password(password: str) -> None:
    """Raise InvalidInput when a new password is too weak."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput("error.user.password_short", min=MIN_PASSWORD_LENGTH)


def user_count(*, session: Session) -> int:
    """Number of users (0 means the first-admin screen is due)."""
    return session.exec(select(func.count()).select_from(User)).one()


def _insert_user(
    *,
    session: Session,
    username: str,
    display_name: str,
    password: str,
    role: Role,
    market_id: int | None,
) -> User:
    username, display_name = _check_new_user_fields(username, display_name, password)
    if session.exec(select(User).where(User.username == username)).first():
        raise InvalidInput("error.user.username_taken", username=username)
    if market_id is not None and session.get(Market, market_id) is None:
        raise NotFound("error.market.unknown")
    user = User(
        username=username,
        display_name=display_name,
        role=role,
        password_hash=hash_password(password),
        market_id=market_id if role == Role.market_manager else None,
    )
    session.add(user)
    session.flush()
    return user


def create_first_admin(
    *, session: Session, username: str, display_name: str, password: str
) -> User:
    """Create the first admin; refused once any user exists."""
    if user_count(session=session) > 0:
        raise PermissionDenied("error.user.first_admin_exists")
    user = _insert_user(
        session=session,
        username=username,
        display_name=display_name,
        password=password,
        role=Role.admin,
        market_id=None,
    )
    audit.record(
        session=session,
        actor=user,
        action="create",
        entity="user",
        entity_id=user.id,
        after=audit.snapshot(user),
    )
    return user


def create_user(
    *,
    session: Session,
    actor: User,
    username: str,
    display_name: str,
    password: str,
    role: Role,
    market_id: int | None = None,
) -> User:
    """Add a user (admin only)."""
    require(actor, Permission.manage_users)
    user = _insert_user(
        session=session,
        username=username,
        display_name=display_name,
        password=password,
        role=role,
        market_id=market_id,
    )
    audit.record(
        session=session,
        actor=actor,
        action="create",
        entity="user",
        entity_id=user.id,
        after=audit.snapshot(user),
    )
    return user


def _user_to_change(session: Session, actor: User, user_id: int) -> User:
    """The user an admin is about to change, or PermissionDenied / NotFound."""
    require(actor, Permission.manage_users)
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("error.user.unknown")
    return user


def reset_password(*, session: Session, actor: User, user_id: int, password: str) -> User:
    """Set a new password for a user (admin only); their sign-ins end."""
    user = _user_to_change(session, actor, user_id)
    check_password(password)
    user.password_hash = hash_password(password)
    end_sign_ins(user)
    session.add(user)
    audit.record(
        session=session, actor=actor, action="reset_password", entity="user", entity_id=user.id
    )
    return user


def set_active(*, session: Session, actor: User, user_id: int, active: bool) -> User:
    """Disable or re-enable a user's sign-in (admin only; never oneself); their sign-ins end."""
    user = _user_to_change(session, actor, user_id)
    if user.id == actor.id:
        raise InvalidInput("error.user.cannot_disable_self")
    with audit.change(session=session, actor=actor, obj=user, entity="user", entity_id=user.id):
        if user.active != active:
            user.active = active
            end_sign_ins(user)
    return user


def set_role(
    *, session: Session, actor: User, user_id: int, role: Role, market_id: int | None = None
) -> User:
    """Give a user another role (admin only; never oneself); their sign-ins end."""
    user = _user_to_change(session, actor, user_id)
    if user.id == actor.id:
        raise InvalidInput("error.user.cannot_change_own_role")
    role = Role(role)
    if market_id is not None and session.get(Market, market_id) is None:
        raise NotFound("error.market.unknown")
    market = market_id if role == Role.market_manager else None
    with audit.change(session=session, actor=actor, obj=user, entity="user", entity_id=user.id):
        if (user.role, user.market_id) != (role, market):
            user.role, user.market_id = role, market
            end_sign_ins(user)
    return user


def set_language(*, session: Session, actor: User | None, language: str) -> User:
    """Keep the language a signed-in user chose, for all their devices (their own only)."""
    user = session.get(User, actor.id) if actor is not None else None
    if user is None or not user.active:
        raise PermissionDenied()
    if language not in i18n.LANGUAGES:
        raise InvalidInput("error.user.unknown_language")
    user.language = language
    session.add(user)
    return user


def end_sign_ins(user: User) -> None:
    """End every sign-in `user` has now: tokens carry the generation this moves past."""
    user.sign_in_generation += 1


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


def authenticate(
    *,
    engine: Engine,
    username: str,
    password: str,
    client: str = LOCAL_CLIENT,
    now: datetime | None = None,
) -> User:
    """The active user with these credentials, or AuthenticationFailed / TooManyAttempts.

    Takes the engine, not a session: never call it inside a write transaction (see
    `check_secret`). `client` is `client_key()` of the browser's address.
    """
    typed = username.strip().lower()
    if not typed:
        raise InvalidInput("error.user.username_empty")
    # Unknown usernames are throttled and logged as typed (60 characters at most).
    attempt = Attempt("user", typed[:60], client, now or utcnow())

    def load(session: Session) -> tuple[User | None, str | None]:
        user = session.exec(select(User).where(User.username == typed)).first()
        return (user if user and user.active else None), (user.password_hash if user else None)

    user = check_secret(
        engine=engine, attempt=attempt, limits=PASSWORD_LIMITS, secret=password, load=load
    )
    if user is None:
        raise AuthenticationFailed()
    return user


def unlock_sign_in(*, session: Session, actor: User, user_id: int, reason: str) -> User:
    """Let a user whose sign-in waits after failures try again at once (admin, with a reason).

    Their failures stop counting, for their username and for the addresses they came
    from; an address that failed for other usernames too stays throttled.
    """
    user = _user_to_change(session, actor, user_id)
    reason = typed_input.text(reason)
    if not reason:
        raise InvalidInput("error.user.unlock_reason")
    if len(reason) > audit.MAX_REASON:
        raise InvalidInput("error.reason_too_long", max=audit.MAX_REASON)
    audit.record(
        session=session,
        actor=actor,
        action=UNLOCKED,
        entity="user",
        entity_id=user.username,
        reason=reason,
    )
    return user


def _clean_email(email: str) -> str | None:
    email = typed_input.text(email).lower()
    if not email:
        return None
    local, _, domain = email.partition("@")
    if not local or "." not in domain or len(email) > 200 or " " in email:
        raise InvalidInput("error.user.bad_email")
    return email


def set_email(*, session: Session, actor: User, user_id: int, email: str) -> User:
    """Set (or clear, with "") the e-mail a user signs in with through single sign-on (admin)."""
    user = _user_to_change(session, actor, user_id)
    clean = _clean_email(email)
    if clean and session.exec(select(User).where(User.email == clean, User.id != user_id)).first():
        raise InvalidInput("error.user.email_taken", email=clean)
    with audit.change(session=session, actor=actor, obj=user, entity="user", entity_id=user.id):
        if user.email != clean:
            # A single-sign-on session was opened by the old address: it ends.
            user.email = clean
            end_sign_ins(user)
    return user


def user_for_email(*, session: Session, email: str | None) -> User:
    """The active user whose single-sign-on e-mail this is, or AuthenticationFailed."""
    clean = (email or "").strip().lower()
    user = session.exec(select(User).where(User.email == clean)).first() if clean else None
    if user is None or not user.active:
        raise AuthenticationFailed("error.auth.no_account_for_email")
    return user


def list_users(*, session: Session, actor: User) -> list[User]:
    """Every user, by name (admin only)."""
    require(actor, Permission.manage_users)
    return list(session.exec(select(User).order_by(User.display_name)))

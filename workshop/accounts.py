"""Users, roles, password hashing and permission checks (DESIGN §7).

`PERMISSIONS` is the one place the role matrix lives: pages are shown by it and
domain functions call `require()` with it, so hiding a page is never the only guard.
"""

from __future__ import annotations

import enum
import math
from datetime import UTC, datetime, timedelta

from sqlmodel import Session, col, func, select

from workshop import audit, passwords
from workshop.errors import (
    AuthenticationFailed,
    InvalidInput,
    NotFound,
    PermissionDenied,
    TooManyAttempts,
)
from workshop.models import AuditEvent, Market, Role, User, utcnow

MIN_PASSWORD_LENGTH = 8

# Guessing throttle (issue 8): after FREE_TRIES failures the next attempt waits
# FIRST_WAIT_S, doubled for each further failure, at most MAX_WAIT_S. Failures are
# counted from the audit log (since the last success, within WINDOW), so the count
# survives a restart and holds across app instances without a table of its own.
FREE_TRIES = 5
FIRST_WAIT_S = 60
MAX_WAIT_S = 3600
WINDOW = timedelta(hours=24)
SIGN_IN = "sign_in"
SIGN_IN_FAILED = "sign_in_failed"


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


def _check_new_user_fields(username: str, display_name: str, password: str) -> str:
    username = username.strip().lower()
    if not username:
        raise InvalidInput("error.user.username_empty")
    if len(username) > 60 or not all(c.isalnum() or c in "._-" for c in username):
        raise InvalidInput("error.user.username_invalid")
    if not display_name.strip():
        raise InvalidInput("error.user.display_name_empty")
    check_password(password)
    return username


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
    username = _check_new_user_fields(username, display_name, password)
    if session.exec(select(User).where(User.username == username)).first():
        raise InvalidInput("error.user.username_taken", username=username)
    if market_id is not None and session.get(Market, market_id) is None:
        raise NotFound("error.market.unknown")
    user = User(
        username=username,
        display_name=display_name.strip(),
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


def end_sign_ins(user: User) -> None:
    """End every sign-in `user` has now: tokens carry the generation this moves past."""
    user.sign_in_generation += 1


def throttle_wait(failures: int, last_failure: datetime | None, now: datetime) -> int:
    """Seconds to wait before another attempt after `failures` in a row (0: go ahead)."""
    if failures < FREE_TRIES or last_failure is None:
        return 0
    wait = min(FIRST_WAIT_S * 2 ** min(failures - FREE_TRIES, 16), MAX_WAIT_S)
    remaining = (last_failure + timedelta(seconds=wait) - now).total_seconds()
    return max(0, math.ceil(remaining))


def failures_since_success(
    *, session: Session, entity: str, key: str, now: datetime
) -> tuple[int, datetime | None]:
    """Failed attempts logged for (`entity`, `key`) since its last success within WINDOW."""
    since = now - WINDOW
    # Events in insertion order (id), not by time: a success and a failure can share
    # a timestamp (a test's clock, a coarse one).
    last_ok = session.exec(
        select(func.max(AuditEvent.id)).where(
            AuditEvent.entity == entity,
            AuditEvent.entity_id == key,
            AuditEvent.action == SIGN_IN,
            AuditEvent.at >= since,  # the `at` index keeps this short on a long log
        )
    ).one()
    count, last = session.exec(
        select(func.count(), func.max(AuditEvent.at)).where(
            AuditEvent.entity == entity,
            AuditEvent.entity_id == key,
            AuditEvent.action == SIGN_IN_FAILED,
            AuditEvent.at >= since,
            col(AuditEvent.id) > (last_ok or 0),
        )
    ).one()
    return int(count), _aware(last) if last is not None else None


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def check_throttle(
    *, session: Session, entity: str, key: str, now: datetime, message: str | None = None
) -> None:
    """Raise TooManyAttempts while (`entity`, `key`) must wait after too many failures."""
    failures, last = failures_since_success(session=session, entity=entity, key=key, now=now)
    if seconds := throttle_wait(failures, last, now):
        raise throttled(seconds, message)


def throttled(seconds: int, message: str | None = None) -> TooManyAttempts:
    """The error telling someone to wait `seconds` (shown rounded up to minutes too)."""
    return TooManyAttempts(message, seconds=seconds, minutes=math.ceil(seconds / 60))


def record_attempt(
    *, session: Session, entity: str, key: str, ok: bool, now: datetime, actor: User | None = None
) -> None:
    """Log one attempt; a failure is committed at once, since the caller then raises."""
    event = audit.record(
        session=session,
        actor=actor,
        action=SIGN_IN if ok else SIGN_IN_FAILED,
        entity=entity,
        entity_id=key,
    )
    event.at = now  # the attempt's time (a test's clock), set before the insert
    if not ok:
        # The write session rolls back on the error the caller raises next: commit
        # first, so a failed attempt is counted (and kept as evidence) all the same.
        session.commit()


def authenticate(
    *, session: Session, username: str, password: str, now: datetime | None = None
) -> User:
    """Return the active user with these credentials, or raise AuthenticationFailed.

    A write: every attempt is audit-logged (a failure committed before the error is
    raised). After FREE_TRIES failures for a username the next attempt is refused
    with TooManyAttempts, the password not even checked, until the wait is over.
    """
    now = now or utcnow()
    typed = username.strip().lower()
    if not typed:
        raise InvalidInput("error.user.username_empty")
    key = typed[:60]
    # A refused (throttled) attempt is not logged: the failures that caused the wait
    # are, and logging refusals would let a guesser grow the log for free.
    check_throttle(session=session, entity="user", key=key, now=now)
    user = session.exec(select(User).where(User.username == typed)).first()
    # An unknown username is checked against a dummy hash: both failures take as long.
    ok = passwords.matches(user.password_hash if user else None, password)
    if not ok or user is None or not user.active:
        record_attempt(session=session, entity="user", key=key, ok=False, now=now)
        raise AuthenticationFailed()
    record_attempt(session=session, entity="user", key=key, ok=True, now=now, actor=user)
    return user


def _clean_email(email: str) -> str | None:
    email = email.strip().lower()
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

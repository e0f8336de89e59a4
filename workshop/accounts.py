"""Users, roles, password hashing and permission checks (DESIGN §7).

`PERMISSIONS` is the one place the role matrix lives: pages are shown by it and
domain functions call `require()` with it, so hiding a page is never the only guard.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Engine
from sqlmodel import Session, func, select

from workshop import audit, i18n, passwords, throttles, typed_input
from workshop.errors import (
    AuthenticationFailed,
    InvalidInput,
    NotFound,
    PermissionDenied,
)
from workshop.models import Market, Role, User, utcnow

MIN_PASSWORD_LENGTH = 8
MAX_DISPLAY_NAME = 120  # app_user.display_name's size


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
    documents = "documents"  # the yearly wood attestations and activity report (admin)


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


def authenticate(
    *,
    engine: Engine,
    username: str,
    password: str,
    client: str = throttles.LOCAL_CLIENT,
    now: datetime | None = None,
) -> User:
    """The active user with these credentials, or AuthenticationFailed / TooManyAttempts.

    Takes the engine, not a session: never call it inside a write transaction (see
    `throttles.check_secret`). `client` is `throttles.client_key()` of the browser's address.
    """
    typed = username.strip().lower()
    if not typed:
        raise InvalidInput("error.user.username_empty")
    # Unknown usernames are throttled and logged as typed (60 characters at most).
    attempt = throttles.Attempt("user", typed[:60], client, now or utcnow())

    def load(session: Session) -> tuple[User | None, str | None]:
        user = session.exec(select(User).where(User.username == typed)).first()
        return (user if user and user.active else None), (user.password_hash if user else None)

    user = throttles.check_secret(
        engine=engine, attempt=attempt, limits=throttles.PASSWORD_LIMITS, secret=password, load=load
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
        action=throttles.UNLOCKED,
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

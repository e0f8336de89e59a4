"""Sign-in tokens kept in a cookie, so a reload or a locked phone does not sign a lead out.

A token is `user id . issued at . expires at (ms) . signature`, the signature an
HMAC-SHA256 over the rest with `config.session_key()` (standard library: no
dependency needed for 20 lines). It is checked on every page run: signature,
expiry, the user still active, and not issued before the user's last "sign out
everywhere" (an audit event, so revoking needs no extra table).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime, timedelta

from sqlmodel import Session, col, select

from workshop import audit, config, dates
from workshop.accounts import Permission, can
from workshop.errors import NotFound, PermissionDenied
from workshop.models import AuditEvent, User

COOKIE = "atelier_session"
REVOKE = "sign_out_everywhere"


def _sign(payload: str) -> str:
    digest = hmac.new(config.session_key(), payload.encode("ascii"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def issue(user: User, *, now: datetime | None = None) -> tuple[str, int]:
    """A signed token for `user` and its lifetime in seconds."""
    now = now or dates.utcnow()
    lifetime = int(timedelta(hours=config.session_hours()).total_seconds())
    issued_ms = int(now.timestamp() * 1000)
    payload = f"{user.id}.{issued_ms}.{issued_ms + lifetime * 1000}"
    return f"{payload}.{_sign(payload)}", lifetime


def _read(token: str, now: datetime) -> tuple[int, datetime] | None:
    parts = token.split(".")
    if len(parts) != 4 or not all(parts):
        return None
    payload = ".".join(parts[:3])
    if not hmac.compare_digest(parts[3], _sign(payload)):
        return None
    try:
        user_id, issued, expires = (int(p) for p in parts[:3])
    except ValueError:
        return None
    if expires <= now.timestamp() * 1000:
        return None
    return user_id, datetime.fromtimestamp(issued / 1000, UTC)


def user_for(*, session: Session, token: str | None, now: datetime | None = None) -> User | None:
    """The active user a cookie's token signs in, or None (bad, expired or revoked token)."""
    if not token or len(token) > 200:
        return None
    read = _read(token, now or dates.utcnow())
    if read is None:
        return None
    user_id, issued = read
    user = session.get(User, user_id)
    if user is None or not user.active:
        return None
    revoked = session.exec(
        select(AuditEvent.at)
        .where(AuditEvent.action == REVOKE, AuditEvent.entity_id == str(user_id))
        .order_by(col(AuditEvent.at).desc())
    ).first()
    if revoked is not None and issued <= _aware(revoked):
        return None
    return user


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def sign_out_everywhere(*, session: Session, actor: User, user_id: int) -> User:
    """End every sign-in of a user on every device (an admin, or the user themself)."""
    if actor.id != user_id and not can(actor, Permission.manage_users):
        raise PermissionDenied(permission=Permission.manage_users.value)
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("error.user.unknown")
    audit.record(session=session, actor=actor, action=REVOKE, entity="user", entity_id=user_id)
    return user

"""Sign-in tokens: what a browser session holds (and the device's cookie keeps) to stay signed in.

A token is `v1 . user id . sign-in generation . token id . expires at (ms) . signature`,
the signature an HMAC-SHA256 with `config.session_key()` over this database's
install id (`Installation`) and the rest (standard library: no dependency needed).
The session keeps its token and `user_for` checks it on every page run, in one
indexed read, so a sign-in ends everywhere at once when:

- it expires;
- it was made for another database, even one sharing the data folder and its key
  (the install id is that database's own);
- the user's sign-in generation moved on (password reset, role or e-mail changed,
  disabled or re-enabled, "sign out everywhere": `accounts.end_sign_ins`);
- its holder signed out (`end`): the token id is kept in `ended_token` until the
  token would have expired, so a copy of the cookie is refused too;
- the account is disabled.

Issuing and checking never touch the browser. The cookie is set by the server
(workshop/web/session.py, HttpOnly): the page that signed someone in hands the new
token over as a one-time **ticket** (`hand_over`), sends the browser to
`/session/start?ticket=…`, and that route takes it back (`take`) into the cookie.
A ticket lives in this process's memory for TICKET_S seconds and opens once: Streamlit's
sessions live in one process too, so a deployment already sends a browser to one.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete
from sqlmodel import Session, col, select

from workshop import accounts, audit, config, dates
from workshop.accounts import Permission, can
from workshop.errors import NotFound, PermissionDenied
from workshop.models import EndedToken, Installation, User

COOKIE = "atelier_session"
REVOKE = "sign_out_everywhere"
VERSION = "v1"
MAX_LENGTH = 200
TICKET_S = 60.0


@dataclass(frozen=True)
class Issued:
    """A new token and how long it lasts (the cookie's Max-Age)."""

    token: str
    lifetime_s: int


@dataclass(frozen=True)
class _Claims:
    """What a token says, before it is checked against the database."""

    user_id: int
    generation: int
    token_id: str
    expires: datetime
    payload: str
    signature: str


def _sign(install_id: str, payload: str) -> str:
    message = f"{install_id}|{payload}".encode("ascii")
    digest = hmac.new(config.session_key(), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def _install_id(session: Session) -> str | None:
    return session.exec(select(Installation.install_id).order_by(col(Installation.id))).first()


def _install_id_or_new(session: Session) -> str:
    # Migration 0009 makes it; made again only if someone deleted it by hand.
    if (known := _install_id(session)) is not None:
        return known
    made = Installation(install_id=secrets.token_hex(16))
    session.add(made)
    session.flush()
    return made.install_id


def issue(*, session: Session, user: User, now: datetime | None = None) -> Issued:
    """A new signed token for `user` (a write session: see `_install_id_or_new`)."""
    now = now or dates.utcnow()
    current = session.get(User, user.id)
    if current is None:
        raise NotFound("error.user.unknown")
    lifetime = int(timedelta(hours=config.session_hours()).total_seconds())
    expires_ms = int(now.timestamp() * 1000) + lifetime * 1000
    token_id = secrets.token_urlsafe(16)
    payload = f"{VERSION}.{current.id}.{current.sign_in_generation}.{token_id}.{expires_ms}"
    return Issued(f"{payload}.{_sign(_install_id_or_new(session), payload)}", lifetime)


TABLET_VERSION = "t1"


def tablet_token(*, session: Session, actor: User) -> str:
    """The shop-floor tablet's own address token: signed, so only a lead can make one.

    The tablet keeps it in its address (`?tablet=…`): a reload, a power cut or a locked
    screen opens the badge screen again, with nobody signed in."""
    accounts.require(actor, Permission.hours)
    tablet_id = secrets.token_urlsafe(12)
    payload = f"{TABLET_VERSION}.{tablet_id}"
    token = f"{payload}.{_sign(_install_id_or_new(session), payload)}"
    # Who turned which tablet into the shop-floor kiosk, and when (never the token itself).
    audit.record(
        session=session, actor=actor, action="create", entity="tablet", entity_id=tablet_id
    )
    return token


def is_tablet_token(*, session: Session, token: str | None) -> bool:
    """True for a token `tablet_token` made for this database."""
    if not token or len(token) > MAX_LENGTH or token.count(".") != 2:
        return False
    payload, _, signature = token.rpartition(".")
    install_id = _install_id(session)
    if not payload.startswith(f"{TABLET_VERSION}.") or install_id is None:
        return False
    return hmac.compare_digest(_sign(install_id, payload), signature)


def _claims(token: str | None) -> _Claims | None:
    if not token or len(token) > MAX_LENGTH or not token.isascii():
        return None
    parts = token.split(".")
    if len(parts) != 6 or parts[0] != VERSION or not all(parts):
        return None
    try:
        user_id, generation, expires_ms = int(parts[1]), int(parts[2]), int(parts[4])
        expires = datetime.fromtimestamp(expires_ms / 1000, UTC)
    except (ValueError, OverflowError, OSError):
        return None
    return _Claims(user_id, generation, parts[3], expires, ".".join(parts[:5]), parts[5])


def _signed_here(claims: _Claims, install_id: str | None) -> bool:
    return install_id is not None and hmac.compare_digest(
        claims.signature, _sign(install_id, claims.payload)
    )


def user_for(*, session: Session, token: str | None, now: datetime | None = None) -> User | None:
    """The user a token signs in, or None: bad, expired, ended, outdated or another database's."""
    claims = _claims(token)
    if claims is None or claims.expires <= (now or dates.utcnow()):
        return None
    # One read: the user, this database's install id and whether the token was ended.
    install = select(Installation.install_id).order_by(col(Installation.id)).limit(1)
    ended = select(EndedToken.token_id).where(EndedToken.token_id == claims.token_id)
    row = session.exec(
        select(User, install.scalar_subquery(), ended.exists()).where(User.id == claims.user_id)
    ).first()
    if row is None:
        return None
    user, install_id, was_ended = row
    if not _signed_here(claims, install_id) or was_ended:
        return None
    if not user.active or user.sign_in_generation != claims.generation:
        return None
    return user


def end(*, session: Session, token: str | None, now: datetime | None = None) -> None:
    """Sign out: this token is refused from now on, wherever it was copied to."""
    now = now or dates.utcnow()
    claims = _claims(token)
    if claims is None or claims.expires <= now or not _signed_here(claims, _install_id(session)):
        return  # nothing that could sign anyone in
    # Ended tokens are only kept while they could still be used.
    session.execute(delete(EndedToken).where(col(EndedToken.expires_at) <= now))
    if session.get(EndedToken, claims.token_id) is None:
        session.add(EndedToken(token_id=claims.token_id, expires_at=claims.expires))


def sign_out_everywhere(*, session: Session, actor: User | None, user_id: int) -> User:
    """End every sign-in of a user on every device (an admin, or the user themself)."""
    own = actor is not None and actor.active and actor.id == user_id
    if not (own or can(actor, Permission.manage_users)):
        raise PermissionDenied(permission=Permission.manage_users.value)
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("error.user.unknown")
    with audit.change(
        session=session, actor=actor, obj=user, action=REVOKE, entity="user", entity_id=user_id
    ):
        accounts.end_sign_ins(user)
    return user


_tickets: dict[str, tuple[float, Issued]] = {}
_tickets_lock = threading.Lock()


def hand_over(issued: Issued) -> str:
    """A one-time ticket for `issued`, good for TICKET_S seconds (see `take`)."""
    ticket = secrets.token_urlsafe(24)
    now = time.monotonic()
    with _tickets_lock:
        for old in [k for k, (until, _) in _tickets.items() if until <= now]:
            del _tickets[old]
        _tickets[ticket] = (now + TICKET_S, issued)
    return ticket


def take(ticket: str | None) -> Issued | None:
    """The token a ticket was handed over for, once; None if unknown, used or too old."""
    with _tickets_lock:
        until, issued = _tickets.pop(ticket or "", (0.0, None))
    return issued if until > time.monotonic() else None

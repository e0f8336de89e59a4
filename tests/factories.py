"""Small factories for tests: one call makes one object, committed."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import Engine
from sqlmodel import select

from workshop import db, intake
from workshop.accounts import hash_password
from workshop.models import CrateKind, Lot, Market, Role, User

PASSWORD = "correct-horse"
# Hashed once: argon2 is slow on purpose, and every test makes users.
_PASSWORD_HASH = hash_password(PASSWORD)


def user(
    engine: Engine, role: Role = Role.lead, username: str | None = None, **extra: object
) -> User:
    """A user with password PASSWORD."""
    with db.write_session(engine) as session:
        u = User(
            username=username or f"{role.value}-{uuid.uuid4().hex[:6]}",
            display_name=extra.pop("display_name", f"Test {role.value}"),  # type: ignore[arg-type]
            role=role,
            password_hash=_PASSWORD_HASH,
            **extra,
        )
        session.add(u)
        session.flush()
        return u


def market(engine: Engine, name: str = "Marché Davout") -> Market:
    """A seeded market by name."""
    with db.read_session(engine) as session:
        return session.exec(select(Market).where(Market.name == name)).one()


def kinds(engine: Engine) -> list[CrateKind]:
    """The seeded crate kinds (standard, tray, large)."""
    with db.read_session(engine) as session:
        return intake.crate_kinds(session=session)


def lot(
    engine: Engine,
    actor: User,
    *,
    market_name: str = "Marché Davout",
    on: date | None = None,
    counts: tuple[int, ...] = (10,),
    sample: tuple[int, float] | None = None,
    note: str = "",
) -> Lot:
    """A pickup: `counts` per crate kind in seed order; `sample` = (n standard crates, kg)."""
    ks = kinds(engine)
    with db.write_session(engine) as session:
        return intake.log_pickup(
            session=session,
            actor=actor,
            market_id=market(engine, market_name).id or 0,
            pickup_date=on or date.today(),
            counts={k.id or 0: n for k, n in zip(ks, counts, strict=False)},
            sample=intake.Sample(ks[0].id or 0, sample[0], sample[1]) if sample else None,
            note=note,
        )

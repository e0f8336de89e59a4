"""Small factories for tests: one call makes one object, committed."""

from __future__ import annotations

import io
import uuid
from datetime import date
from typing import TYPE_CHECKING

from PIL import Image
from sqlalchemy import Engine
from sqlmodel import select

from workshop import dates, db, pickups
from workshop.accounts import hash_password
from workshop.models import (
    Build,
    BuildStatus,
    Crate,
    CrateKind,
    Design,
    Lot,
    Market,
    Outcome,
    Role,
    User,
)

if TYPE_CHECKING:
    from workshop.builds import Attached

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
        return pickups.crate_kinds(session=session)


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
        return pickups.log_pickup(
            session=session,
            actor=actor,
            market_id=market(engine, market_name).id or 0,
            pickup_date=on or dates.today(),
            counts={k.id or 0: n for k, n in zip(ks, counts, strict=False)},
            sample=pickups.Sample(ks[0].id or 0, sample[0], sample[1]) if sample else None,
            note=note,
        )


def crates_in_stock(engine: Engine, actor: User, n: int = 3, **lot_args: object) -> list[str]:
    """Codes of `n` new tagged crates (standard kind) from a new pickup."""
    from workshop import crates

    made_lot = lot(engine, actor, counts=(max(n, 1),), **lot_args)  # type: ignore[arg-type]
    with db.write_session(engine) as session:
        made = crates.sort_lot(
            session=session, actor=actor, lot_id=made_lot.id or 0, tag={kinds(engine)[0].id or 0: n}
        )
    return [c.code for c in made]


def build(engine: Engine, actor: User, design_name: str = "Étagère 3 cagettes") -> Build:
    """A planned build of a seeded design."""
    from workshop import builds

    with db.write_session(engine) as session:
        design = session.exec(select(Design).where(Design.name == design_name)).one()
        return builds.create_build(session=session, actor=actor, design_id=design.id or 0)


def attach(engine: Engine, actor: User, build: Build, text: str) -> Attached:
    """Scan a crate (its code in any form a scanner reads) into a build."""
    from workshop import builds

    with db.write_session(engine) as session:
        return builds.attach_crate(session=session, actor=actor, build_id=build.id or 0, text=text)


def set_build_status(
    engine: Engine, actor: User, build: Build, status: BuildStatus, **extra: object
) -> Build:
    """Move a build to `status`; `extra` are set_status's own (on, destination, price_eur)."""
    from workshop import builds

    with db.write_session(engine) as session:
        return builds.set_status(
            session=session,
            actor=actor,
            build_id=build.id or 0,
            status=status,
            **extra,  # type: ignore[arg-type]
        )


def crate_outcome(engine: Engine, code: str) -> Outcome:
    """What became of a crate, as stored."""
    with db.read_session(engine) as session:
        return session.exec(select(Crate.outcome).where(Crate.code == code)).one()


def jpeg(size: tuple[int, int] = (3000, 2000)) -> bytes:
    """A plain JPEG photo, `size` pixels wide and high (the default: a phone's, to resize)."""
    out = io.BytesIO()
    Image.new("RGB", size, (180, 120, 60)).save(out, "JPEG")
    return out.getvalue()

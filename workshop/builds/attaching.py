"""Scanning crates into a build: the Core statements of the hot path, counts, undo."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import bindparam, insert, update
from sqlalchemy import select as core_select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from workshop import audit, codes, crates, dates, fastpath
from workshop.accounts import Permission, require
from workshop.builds.lifecycle import OPEN, _detach, get_build
from workshop.errors import InvalidInput, NotFound, Unlikely
from workshop.models import Build, BuildCrate, BuildStatus, Crate, Design, Outcome, User, utcnow

_BUILD, _BUILDCRATE, _CRATE, _DESIGN = (
    fastpath.table(m) for m in (Build, BuildCrate, Crate, Design)
)
_OTHER_BUILD = _BUILD.alias("other_build")

# Scanning a crate into a build runs these with Core: the SQL the ORM would send,
# without building and tracking ORM rows (most of the time of an attach was that).
_COUNT = (
    core_select(func.count())
    .select_from(_BUILDCRATE)
    .where(_BUILDCRATE.c.build_id == bindparam("build_id"))
)
# The build, the crates its design needs, and how many it has (the build_id index).
_BUILD_FOR_ATTACH = (
    core_select(
        _BUILD.c.code,
        _BUILD.c.status,
        _DESIGN.c.crates_needed,
        core_select(func.count())
        .select_from(_BUILDCRATE)
        .where(_BUILDCRATE.c.build_id == _BUILD.c.id)
        .scalar_subquery()
        .label("n_crates"),
    )
    .select_from(_BUILD.outerjoin(_DESIGN, _DESIGN.c.id == _BUILD.c.design_id))
    .where(_BUILD.c.id == bindparam("build_id"))
)
# The crate, and the build it is already in, if any (the unique crate_id index).
_CRATE_FOR_ATTACH = (
    core_select(
        _CRATE.c.id,
        _CRATE.c.outcome,
        _BUILDCRATE.c.build_id,
        _OTHER_BUILD.c.code.label("other_code"),
    )
    .select_from(
        _CRATE.outerjoin(_BUILDCRATE, _BUILDCRATE.c.crate_id == _CRATE.c.id).outerjoin(
            _OTHER_BUILD, _OTHER_BUILD.c.id == _BUILDCRATE.c.build_id
        )
    )
    .where(_CRATE.c.code == bindparam("code"))
)
_INSERT_LINK = insert(_BUILDCRATE)
_BUILD_STARTED = (
    update(_BUILD)
    .where(_BUILD.c.id == bindparam("build_id"))
    .values(status=bindparam("status"), started_on=bindparam("started_on"))
)


def crate_count(*, session: Session, build_id: int) -> int:
    """Number of crates in a build."""
    fastpath.autoflush(session)
    return int(session.connection().execute(_COUNT, {"build_id": build_id}).scalar_one())


@dataclass(frozen=True)
class Progress:
    """How far a build's scan session has got: crates in it, crates its design needs."""

    count: int
    needed: int


def progress(*, session: Session, build_id: int) -> Progress:
    """The crates a build holds and the crates its design needs (0: no design)."""
    fastpath.autoflush(session)
    build = session.connection().execute(_BUILD_FOR_ATTACH, {"build_id": build_id}).first()
    if build is None:
        raise NotFound("error.build.unknown")
    return Progress(count=build.n_crates, needed=build.crates_needed or 0)


@dataclass(frozen=True)
class Attached:
    """What scanning a crate into a build did."""

    code: str
    added: bool  # False: it was already in this build (reported, not counted twice)
    count: int
    needed: int


def attach_crate(
    *, session: Session, actor: User, build_id: int, text: str, confirmed: bool = False
) -> Attached:
    """Put a scanned crate into a build; a crate belongs to one build at most. A crate
    beyond the design's need is `Unlikely` (a crate of another build?) unless `confirmed`."""
    require(actor, Permission.scan)
    code = fastpath.stored_code(text, expect="C")
    fastpath.autoflush(session)
    conn = session.connection()
    build = conn.execute(_BUILD_FOR_ATTACH, {"build_id": build_id}).first()
    if build is None:
        raise NotFound("error.build.unknown")
    if build.status not in OPEN:
        raise InvalidInput("error.build.closed", status=build.status.value)
    needed = build.crates_needed if build.crates_needed is not None else 0
    crate = conn.execute(_CRATE_FOR_ATTACH, {"code": code}).first()
    if crate is None:
        raise NotFound("error.scan.unknown_code", code=codes.format_code(code))
    if crate.build_id == build_id:
        return Attached(code, False, build.n_crates, needed)
    if crate.build_id is not None:
        raise InvalidInput(
            "error.build.crate_in_other_build",
            code=codes.format_code(code),
            build=codes.format_code(crate.other_code or ""),
        )
    if crate.outcome != Outcome.in_stock:
        raise InvalidInput(
            "error.build.crate_not_available",
            code=codes.format_code(code),
            outcome=crate.outcome.value,
        )
    if needed and build.n_crates >= needed and not confirmed:
        raise Unlikely(
            "error.build.more_than_needed",
            code=codes.format_code(code),
            n=build.n_crates + 1,
            needed=needed,
        )
    now = utcnow()
    try:
        conn.execute(
            _INSERT_LINK,
            {"build_id": build_id, "crate_id": crate.id, "added_at": now, "added_by_id": actor.id},
        )
    except IntegrityError:
        # Another lead attached the same crate a moment ago: the unique index won.
        raise InvalidInput("error.build.crate_taken", code=codes.format_code(code)) from None
    in_build = {"outcome": Outcome.in_build, "outcome_at": now, "outcome_by_id": actor.id}
    crates.store_outcome(session, crate.id, in_build)
    if build.status == BuildStatus.planned:
        started = {"status": BuildStatus.in_progress, "started_on": dates.today()}
        conn.execute(_BUILD_STARTED, {"build_id": build_id, **started})
        fastpath.written(session, Build, build_id, started)
    audit.append(
        session=session,
        actor=actor,
        action="attach",
        entity="build",
        entity_id=build.code,
        after={"crate": code},
    )
    # One write transaction (db.write_session: SQLite BEGIN IMMEDIATE, PostgreSQL
    # advisory lock): no other writer between the count above and this insert, so
    # the build now holds exactly one crate more.
    return Attached(code, True, build.n_crates + 1, needed)


def undo_last(*, session: Session, actor: User, build_id: int) -> str:
    """Take out the crate scanned last into this build; returns its code."""
    require(actor, Permission.scan)
    build = get_build(session=session, build_id=build_id)
    if build.status not in OPEN:
        raise InvalidInput("error.build.closed", status=build.status.value)
    link = session.exec(
        select(BuildCrate)
        .where(BuildCrate.build_id == build_id)
        .order_by(col(BuildCrate.added_at).desc(), col(BuildCrate.id).desc())
    ).first()
    if link is None:
        raise InvalidInput("error.build.no_crate_to_undo")
    return _detach(session, actor, build, link)

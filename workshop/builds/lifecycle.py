"""A piece's life from planned to delivered: its M… code, statuses, deletion, lists."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, col, func, select

from workshop import audit, codes, dates, typed_input
from workshop.accounts import Permission, require
from workshop.errors import InvalidInput, NotFound
from workshop.models import (
    Build,
    BuildCrate,
    BuildPhoto,
    BuildStatus,
    Crate,
    Design,
    HourEntry,
    HourStatus,
    Outcome,
    Trainee,
    User,
    utcnow,
)

MAX_NOTE = 1000
MAX_PRICE_EUR = 100_000

# Allowed status changes. Going back one step corrects a mistake.
NEXT_STATUS: dict[BuildStatus, frozenset[BuildStatus]] = {
    BuildStatus.planned: frozenset({BuildStatus.in_progress}),
    BuildStatus.in_progress: frozenset({BuildStatus.finished, BuildStatus.planned}),
    BuildStatus.finished: frozenset(
        {BuildStatus.sold, BuildStatus.donated, BuildStatus.installed, BuildStatus.in_progress}
    ),
    BuildStatus.sold: frozenset({BuildStatus.finished}),
    BuildStatus.donated: frozenset({BuildStatus.finished}),
    BuildStatus.installed: frozenset({BuildStatus.finished}),
}
DELIVERED = frozenset({BuildStatus.sold, BuildStatus.donated, BuildStatus.installed})
OPEN = frozenset({BuildStatus.planned, BuildStatus.in_progress})


def _new_build_code(session: Session) -> str:
    while True:
        code = codes.mint("M")
        if session.exec(select(Build.id).where(Build.code == code)).first() is None:
            return code


def create_build(*, session: Session, actor: User, design_id: int, note: str = "") -> Build:
    """Start a new piece from a design; it gets its own M… code."""
    require(actor, Permission.builds)
    design = session.get(Design, design_id)
    if design is None or not design.active:
        raise NotFound("error.build.unknown_design")
    note = typed_input.text(note)
    if len(note) > MAX_NOTE:
        raise InvalidInput("error.build.note_too_long", max=MAX_NOTE)
    build = Build(
        code=_new_build_code(session),
        design_id=design_id,
        note=note,
        created_by_id=actor.id,
    )
    session.add(build)
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="create",
        entity="build",
        entity_id=build.code,
        after=audit.snapshot(build),
    )
    return build


def get_build(*, session: Session, build_id: int) -> Build:
    """The build with this id, or NotFound."""
    build = session.get(Build, build_id)
    if build is None:
        raise NotFound("error.build.unknown")
    return build


def get_build_by_code(*, session: Session, code: str) -> Build:
    """The build with this (canonical) code, or NotFound."""
    build = session.exec(select(Build).where(Build.code == code)).first()
    if build is None:
        raise NotFound("error.scan.unknown_code", code=codes.format_code(code))
    return build


def set_status(
    *,
    session: Session,
    actor: User,
    build_id: int,
    status: BuildStatus,
    on: date | None = None,
    destination: str = "",
    price_eur: float | None = None,
) -> Build:
    """Move a build along planned → in progress → finished → sold / donated / installed."""
    require(actor, Permission.builds)
    build = get_build(session=session, build_id=build_id)
    if status not in NEXT_STATUS[build.status]:
        raise InvalidInput(
            "error.build.bad_status_change", current=build.status.value, wanted=status.value
        )
    today = dates.today()
    on = on or today
    if on > today:
        raise InvalidInput("error.build.future_date")
    if on < dates.EARLIEST:
        raise InvalidInput("error.build.too_old", earliest=dates.EARLIEST)
    destination = typed_input.text(destination)
    if status in DELIVERED and not destination:
        raise InvalidInput("error.build.destination_required")
    if len(destination) > 200:
        raise InvalidInput("error.build.destination_long", max=200)
    price_eur = None if price_eur is None else _check_price(price_eur)
    with audit.change(
        session=session,
        actor=actor,
        obj=build,
        action="status",
        entity="build",
        entity_id=build.code,
    ):
        build.status = status
        if status == BuildStatus.in_progress and build.started_on is None:
            build.started_on = on
        if status == BuildStatus.finished:
            build.finished_on = build.finished_on or on
        if status in DELIVERED:
            build.delivered_on, build.destination = on, destination
            build.price_eur = price_eur
    return build


def _check_price(price_eur: float) -> float:
    """A price in euros and whole cents, rounded to the cent; InvalidInput otherwise."""
    if not typed_input.is_number(price_eur) or not 0 <= price_eur <= MAX_PRICE_EUR:
        raise InvalidInput("error.build.bad_price", max=MAX_PRICE_EUR)
    cents = price_eur * 100
    # Float noise aside (19.99 * 100 is 1998.9999…), a price has no fraction of a cent.
    if abs(cents - round(cents)) > 1e-6 or 0 < price_eur < 0.01:
        raise InvalidInput("error.build.price_cents")
    return round(price_eur, 2)


# The step undo_last (attaching) and delete_build share; their callers check the
# permission. It lives here, not with the scanning, because attaching reads OPEN and
# get_build from this part: the other way round would be an import cycle.
def _detach(session: Session, actor: User, build: Build, link: BuildCrate) -> str:
    crate = session.get(Crate, link.crate_id)
    session.delete(link)
    if crate is not None:
        crate.outcome, crate.outcome_at, crate.outcome_by_id = Outcome.in_stock, utcnow(), actor.id
        session.add(crate)
    code = crate.code if crate else ""
    audit.record(
        session=session,
        actor=actor,
        action="detach",
        entity="build",
        entity_id=build.code,
        before={"crate": code},
    )
    return code


def delete_build(*, session: Session, actor: User, build_id: int, reason: str) -> str:
    """Delete a build; its crates go back in stock. Returns its code."""
    require(actor, Permission.builds)
    reason = typed_input.text(reason)
    if not reason:
        raise InvalidInput("error.build.reason_required")
    if len(reason) > audit.MAX_REASON:
        raise InvalidInput("error.reason_too_long", max=audit.MAX_REASON)
    build = get_build(session=session, build_id=build_id)
    before = audit.snapshot(build)
    links = list(session.exec(select(BuildCrate).where(BuildCrate.build_id == build_id)))
    before["crates"] = [_detach(session, actor, build, link) for link in links]
    for photo in session.exec(select(BuildPhoto).where(BuildPhoto.build_id == build_id)):
        session.delete(photo)  # the files stay on disk: nothing is lost by mistake
    session.flush()
    session.delete(build)
    audit.record(
        session=session,
        actor=actor,
        action="delete",
        entity="build",
        entity_id=build.code,
        before=before,
        reason=reason,
    )
    return build.code


@dataclass(frozen=True)
class BuildRow:
    """A build as lists show it."""

    id: int
    code: str
    design: Design
    status: BuildStatus
    crates: int
    created_on: date
    destination: str


def list_builds(
    *,
    session: Session,
    actor: User,
    statuses: list[BuildStatus] | None = None,
    design_id: int | None = None,
) -> list[BuildRow]:
    """Builds, newest first, optionally filtered by status and design."""
    require(actor, Permission.builds_view)
    counts = (
        select(BuildCrate.build_id, func.count().label("n"))
        .group_by(col(BuildCrate.build_id))
        .subquery()
    )
    query = (
        select(Build, Design, counts.c.n)
        .join(Design, col(Design.id) == Build.design_id)
        .outerjoin(counts, counts.c.build_id == Build.id)
        .order_by(col(Build.created_at).desc(), col(Build.id).desc())
    )
    if statuses:
        query = query.where(col(Build.status).in_(statuses))
    if design_id is not None:
        query = query.where(Build.design_id == design_id)
    return [
        BuildRow(
            id=build.id or 0,
            code=build.code,
            design=design,
            status=build.status,
            crates=int(n or 0),
            created_on=dates.local(build.created_at).date(),
            destination=build.destination,
        )
        for build, design, n in session.exec(query)
    ]


@dataclass(frozen=True)
class BuildHours:
    """One hour entry on a build, as the lead's build page lists it."""

    work_date: date
    trainee: str
    activity: str
    minutes: int
    status: HourStatus


def hours_of_build(*, session: Session, actor: User, build_id: int) -> list[BuildHours]:
    """The hour entries recorded on a build (leads and admins only: they are per person)."""
    require(actor, Permission.hours)
    rows = session.exec(
        select(HourEntry, Trainee.display_name)
        .join(Trainee, col(Trainee.id) == HourEntry.trainee_id)
        .where(HourEntry.build_id == build_id, HourEntry.status != HourStatus.open)
        .order_by(col(HourEntry.work_date), col(HourEntry.id))
    ).all()
    return [
        BuildHours(entry.work_date, name, entry.activity.value, entry.minutes, entry.status)
        for entry, name in rows
    ]

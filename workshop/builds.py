"""Furniture: designs, builds, crates scanned into a build, photos, and the public passport."""

from __future__ import annotations

import io
import uuid
from dataclasses import dataclass
from datetime import date

from PIL import Image, ImageOps, UnidentifiedImageError
from PIL.JpegImagePlugin import JpegImageFile
from sqlalchemy import bindparam, insert, update
from sqlalchemy import select as core_select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from workshop import audit, codes, config, dates, fastpath
from workshop.accounts import Permission, require
from workshop.errors import InvalidInput, NotFound
from workshop.models import (
    Build,
    BuildCrate,
    BuildPhoto,
    BuildStatus,
    Crate,
    CrateKind,
    Design,
    HourEntry,
    HourStatus,
    Lot,
    Market,
    Outcome,
    Programme,
    Trainee,
    User,
    utcnow,
)

MAX_PHOTO_BYTES = 25 * 1024 * 1024
PHOTO_MAX_SIDE = 1600  # px; a phone screen never needs more, and it keeps files < 1 MB
MAX_NOTE = 1000
MAX_PRICE_EUR = 100_000

# (name, English name, crates needed, typical hours): what the workshop makes most.
DESIGNS = (
    ("Étagère 3 cagettes", "3-crate shelf", 3, 4.0),
    ("Banc", "Bench", 6, 8.0),
    ("Jardinière", "Planter", 4, 5.0),
    ("Table basse", "Low table", 5, 6.0),
    ("Bibliothèque", "Bookcase", 8, 10.0),
)

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


def seed_designs(*, session: Session) -> None:
    """Add the usual designs once."""
    if session.exec(select(Design)).first() is None:
        for name, name_en, crates, hours in DESIGNS:
            session.add(
                Design(name=name, name_en=name_en, crates_needed=crates, typical_hours=hours)
            )


def designs(*, session: Session, active_only: bool = True) -> list[Design]:
    """Designs by name."""
    query = select(Design).order_by(Design.name)
    if active_only:
        query = query.where(Design.active)
    return list(session.exec(query))


def _check_design_fields(name: str, crates_needed: int, typical_hours: float) -> str:
    name = name.strip()
    if not name:
        raise InvalidInput("error.build.design_name_empty")
    if len(name) > 120:
        raise InvalidInput("error.build.design_name_long", max=120)
    if not isinstance(crates_needed, int) or not 1 <= crates_needed <= 200:
        raise InvalidInput("error.build.bad_crates_needed", max=200)
    if not 0 < typical_hours <= 500:
        raise InvalidInput("error.build.bad_hours", max=500)
    return name


def save_design(
    *,
    session: Session,
    actor: User,
    name: str,
    name_en: str = "",
    crates_needed: int,
    typical_hours: float,
    description: str = "",
    design_id: int | None = None,
    active: bool = True,
) -> Design:
    """Add a design, or change one (`design_id`)."""
    require(actor, Permission.builds)
    name = _check_design_fields(name, crates_needed, typical_hours)
    clash = session.exec(select(Design).where(Design.name == name)).first()
    if clash is not None and clash.id != design_id:
        raise InvalidInput("error.build.design_name_taken", name=name)
    design = Design(name=name, crates_needed=crates_needed, typical_hours=typical_hours)
    before: dict[str, object] | None = None
    if design_id is not None:
        found = session.get(Design, design_id)
        if found is None:
            raise NotFound("error.build.unknown_design")
        design, before = found, audit.snapshot(found)
    design.name, design.name_en = name, name_en.strip()[:120]
    design.crates_needed, design.typical_hours = crates_needed, typical_hours
    design.description, design.active = description.strip()[:1000], active
    session.add(design)
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="update" if before else "create",
        entity="design",
        entity_id=design.id,
        before=before,
        after=audit.snapshot(design),
    )
    return design


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
    if len(note) > MAX_NOTE:
        raise InvalidInput("error.build.note_too_long", max=MAX_NOTE)
    build = Build(
        code=_new_build_code(session),
        design_id=design_id,
        note=note.strip(),
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
_CRATE_IN_BUILD = (
    update(_CRATE)
    .where(_CRATE.c.id == bindparam("crate_id"))
    .values(
        outcome=bindparam("outcome"),
        outcome_at=bindparam("outcome_at"),
        outcome_by_id=bindparam("outcome_by_id"),
    )
)
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


def attach_crate(*, session: Session, actor: User, build_id: int, text: str) -> Attached:
    """Put a scanned crate into a build; a crate belongs to one build at most."""
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
    conn.execute(_CRATE_IN_BUILD, {"crate_id": crate.id, **in_build})
    fastpath.written(session, Crate, crate.id, in_build)
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
    if status in DELIVERED and not destination.strip():
        raise InvalidInput("error.build.destination_required")
    if len(destination) > 200:
        raise InvalidInput("error.build.destination_long", max=200)
    if price_eur is not None and not 0 <= price_eur <= MAX_PRICE_EUR:
        raise InvalidInput("error.build.bad_price", max=MAX_PRICE_EUR)
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
            build.delivered_on, build.destination = on, destination.strip()
            build.price_eur = price_eur
    return build


def delete_build(*, session: Session, actor: User, build_id: int, reason: str) -> str:
    """Delete a build; its crates go back in stock. Returns its code."""
    require(actor, Permission.builds)
    if not reason.strip():
        raise InvalidInput("error.build.reason_required")
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
        reason=reason.strip(),
    )
    return build.code


def _resized_jpeg(data: bytes) -> bytes:
    if len(data) > MAX_PHOTO_BYTES:
        raise InvalidInput("error.photo.too_large", max_mb=MAX_PHOTO_BYTES // (1024 * 1024))
    try:
        image: Image.Image = Image.open(io.BytesIO(data))
        if isinstance(image, JpegImageFile):
            image.draft("RGB", (PHOTO_MAX_SIDE, PHOTO_MAX_SIDE))  # fast JPEG downscale on load
        image = ImageOps.exif_transpose(image).convert("RGB")
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        raise InvalidInput("error.photo.not_an_image") from None
    image.thumbnail((PHOTO_MAX_SIDE, PHOTO_MAX_SIDE))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=82, optimize=True)
    return out.getvalue()


def add_photo(*, session: Session, actor: User, build_id: int, data: bytes) -> BuildPhoto:
    """Resize a photo of a build and keep it under the data directory (never in the database)."""
    require(actor, Permission.builds)
    build = get_build(session=session, build_id=build_id)
    jpeg = _resized_jpeg(data)
    relative = f"{build.code}/{uuid.uuid4().hex[:12]}.jpg"
    _store(relative, jpeg)
    photo = BuildPhoto(build_id=build_id, path=relative)
    session.add(photo)
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="photo",
        entity="build",
        entity_id=build.code,
        after={"photo": relative},
    )
    return photo


def set_design_photo(*, session: Session, actor: User, design_id: int, data: bytes) -> Design:
    """Give a design its catalogue photo (resized, kept under the data directory)."""
    require(actor, Permission.builds)
    design = session.get(Design, design_id)
    if design is None:
        raise NotFound("error.build.unknown_design")
    relative = f"designs/{design_id}-{uuid.uuid4().hex[:8]}.jpg"
    _store(relative, _resized_jpeg(data))
    with audit.change(
        session=session,
        actor=actor,
        obj=design,
        action="photo",
        entity="design",
        entity_id=design.id,
    ):
        design.photo = relative
    return design


def _store(relative: str, jpeg: bytes) -> None:
    path = config.photos_dir() / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(jpeg)


def stored_photo(relative: str) -> bytes | None:
    """A stored JPEG by its path under the photos directory, or None if it is gone."""
    if not relative:
        return None
    path = config.photos_dir() / relative
    return path.read_bytes() if path.is_file() else None


def photo_bytes(photo: BuildPhoto) -> bytes | None:
    """The stored JPEG of a build photo, or None if its file is gone."""
    return stored_photo(photo.path)


def photos(*, session: Session, build_id: int) -> list[BuildPhoto]:
    """Photos of a build, oldest first."""
    return list(
        session.exec(
            select(BuildPhoto).where(BuildPhoto.build_id == build_id).order_by(col(BuildPhoto.id))
        )
    )


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
class CrateOrigin:
    """A crate of a build and where it came from (traceability)."""

    code: str
    kind: CrateKind
    market: str
    pickup_date: date
    lot_code: str
    kg: float


def _unit_kg(lot: Lot, kind: CrateKind) -> float:
    # The same rule as the dashboard: a weighed sample of this kind wins over the default.
    if lot.sample_kind_id == kind.id and lot.sample_count and lot.sample_kg:
        return lot.sample_kg / lot.sample_count
    return kind.default_weight_kg


def crate_origins(*, session: Session, build_id: int) -> list[CrateOrigin]:
    """The crates of a build with their market, pickup date and weight, in scan order."""
    rows = session.exec(
        select(Crate, CrateKind, Lot, Market.name)
        .join(BuildCrate, col(BuildCrate.crate_id) == Crate.id)
        .join(CrateKind, col(CrateKind.id) == Crate.crate_kind_id)
        .join(Lot, col(Lot.id) == Crate.lot_id)
        .join(Market, col(Market.id) == Lot.market_id)
        .where(BuildCrate.build_id == build_id)
        .order_by(col(BuildCrate.id))
    ).all()
    return [
        CrateOrigin(
            code=crate.code,
            kind=kind,
            market=market,
            pickup_date=lot.pickup_date,
            lot_code=lot.code,
            kg=_unit_kg(lot, kind),
        )
        for crate, kind, lot, market in rows
    ]


@dataclass(frozen=True)
class MarketShare:
    """How many crates of a piece came from one market, and when."""

    market: str
    crates: int
    first: date
    last: date


@dataclass(frozen=True)
class Passport:
    """What anyone scanning a piece may see: its story, and no personal data."""

    code: str
    status: BuildStatus
    design: Design
    photo: BuildPhoto | None
    crates: int
    markets: list[MarketShare]
    kg: float
    co2e_kg: float
    co2e_factor: float
    co2e_source: str
    finished_on: date | None
    training_hours: float
    programmes: list[Programme]
    makers: list[str]  # first names of trainees who agreed to be named

    @property
    def finished(self) -> bool:
        """True once the piece is made (finished, sold, donated or installed)."""
        return self.status not in OPEN


def passport(*, session: Session, text: str) -> Passport:
    """The public story of a piece from its scanned code; NotFound for anything else.

    No sign-in: the same neutral NotFound answers a malformed code, a code of
    another kind and an unknown build, so nothing is learnt about other codes.
    """
    try:
        code = codes.parse(text, expect="M")
    except InvalidInput:
        raise NotFound("error.passport.not_found") from None
    build = session.exec(select(Build).where(Build.code == code)).first()
    design = session.get(Design, build.design_id) if build else None
    if build is None or design is None:
        raise NotFound("error.passport.not_found")
    origins = crate_origins(session=session, build_id=build.id or 0)
    shares: dict[str, list[date]] = {}
    for origin in origins:
        shares.setdefault(origin.market, []).append(origin.pickup_date)
    kg = sum(o.kg for o in origins)
    hours, programmes, makers = training(session=session, build_id=build.id or 0)
    first_photo = photos(session=session, build_id=build.id or 0)[:1]
    return Passport(
        code=build.code,
        status=build.status,
        design=design,
        photo=first_photo[0] if first_photo else None,
        crates=len(origins),
        markets=sorted(
            (MarketShare(m, len(ds), min(ds), max(ds)) for m, ds in shares.items()),
            key=lambda share: (-share.crates, share.market),
        ),
        kg=kg,
        co2e_kg=kg * config.co2e_factor(),
        co2e_factor=config.co2e_factor(),
        co2e_source=config.co2e_source(),
        finished_on=build.finished_on,
        training_hours=hours,
        programmes=programmes,
        makers=makers,
    )


def training(*, session: Session, build_id: int) -> tuple[float, list[Programme], list[str]]:
    """Approved training hours in a build, its programmes, and the first names of consenting makers.

    Never hours per person, and nothing about a trainee who did not consent.
    """
    rows = session.exec(
        select(HourEntry.minutes, Trainee, Programme)
        .join(Trainee, col(Trainee.id) == HourEntry.trainee_id)
        # The programme the hours were worked under (the trainee's for older rows).
        .join(
            Programme,
            col(Programme.id) == func.coalesce(HourEntry.programme_id, Trainee.programme_id),
        )
        .where(HourEntry.build_id == build_id, HourEntry.status == HourStatus.approved)
    ).all()
    programmes = {programme.id: programme for _, _, programme in rows}
    makers = {
        trainee.display_name.split()[0]
        for _, trainee, _ in rows
        if trainee.consent_name and trainee.anonymised_at is None and trainee.display_name.strip()
    }
    return (
        sum(minutes for minutes, _, _ in rows) / 60,
        sorted(programmes.values(), key=lambda p: p.name),
        sorted(makers),
    )


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

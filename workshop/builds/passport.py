"""What the public sees of a piece: where its crates came from, its passport, its training."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import NamedTuple

from sqlmodel import Session, col, func, select

from workshop import codes, config
from workshop.builds.lifecycle import OPEN
from workshop.builds.photos import list_photos
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
    Programme,
    Trainee,
)

# Below this many trainees on a piece, its hours are one or two people's own: not public.
MIN_MAKERS_FOR_HOURS = 3


@dataclass(frozen=True)
class CrateOrigin:
    """A crate of a build and where it came from (traceability)."""

    code: str
    kind: CrateKind
    market: str
    pickup_date: date
    lot_code: str
    kg: float
    added_at: datetime | None = None  # when it was scanned into the build


def _unit_kg(lot: Lot, kind: CrateKind) -> float:
    # The same rule as the dashboard: a weighed sample of this kind wins over the default.
    if lot.sample_kind_id == kind.id and lot.sample_count and lot.sample_kg:
        return lot.sample_kg / lot.sample_count
    return kind.default_weight_kg


def crate_origins(*, session: Session, build_id: int) -> list[CrateOrigin]:
    """The crates of a build with their market, pickup date and weight, in scan order."""
    rows = session.exec(
        select(  # type: ignore[call-overload]  # sqlmodel types select() up to 4 columns
            Crate, CrateKind, Lot, Market.name, BuildCrate.added_at
        )
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
            added_at=added_at,
        )
        for crate, kind, lot, market, added_at in rows
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
    # None below MIN_MAKERS_FOR_HOURS trainees: a sole maker's total is their own hours.
    training_hours: float | None
    programmes: list[Programme]
    makers: list[str]  # first names of trainees who agreed to be named
    # The last time anything shown here was written (the HTTP page's Last-Modified).
    changed_at: datetime | None = None

    @property
    def photo_path(self) -> str:
        """The stored photo to show: the piece's own, else its design's catalogue photo ("")."""
        return self.photo.path if self.photo else self.design.photo

    @property
    def finished(self) -> bool:
        """True once the piece is made (finished, sold, donated or installed)."""
        return self.status not in OPEN


def public_passport(*, session: Session, text: str) -> Passport:
    """The public story of a piece from its scanned code; NotFound for anything else.

    No sign-in: the same neutral NotFound answers a malformed code, a code of
    another kind, an unknown build and a piece only planned (nothing made yet, its
    label maybe printed ahead), so nothing is learnt about other codes.
    """
    try:
        code = codes.parse(text, expect="M")
    except InvalidInput:
        raise NotFound("error.passport.not_found") from None
    found = session.exec(
        select(Build, Design)
        .join(Design, col(Design.id) == Build.design_id)
        .where(Build.code == code)
    ).first()
    if found is None or found[0].status == BuildStatus.planned:
        raise NotFound("error.passport.not_found")
    build, design = found
    origins = crate_origins(session=session, build_id=build.id or 0)
    shares: dict[str, list[date]] = {}
    for origin in origins:
        shares.setdefault(origin.market, []).append(origin.pickup_date)
    kg = sum(o.kg for o in origins)
    work = _approved_work(session=session, build_id=build.id or 0)
    hours, programmes, makers = _training_of(work)
    people = len({w.trainee.id for w in work})
    first_photo = list_photos(session=session, build_id=build.id or 0)[:1]
    moments: list[datetime | None] = [build.created_at, *(p.created_at for p in first_photo)]
    moments += [o.added_at for o in origins] + [w.reviewed_at for w in work]
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
        training_hours=hours if people >= MIN_MAKERS_FOR_HOURS else None,
        programmes=programmes,
        makers=makers,
        changed_at=max(m for m in moments if m is not None),
    )


def training(*, session: Session, build_id: int) -> tuple[float, list[Programme], list[str]]:
    """Approved training hours in a build, its programmes, and the first names of consenting makers.

    Never hours per person, and nothing about a trainee who did not consent.
    """
    return _training_of(_approved_work(session=session, build_id=build_id))


class _Work(NamedTuple):
    minutes: int
    trainee: Trainee
    programme: Programme
    reviewed_at: datetime | None


def _approved_work(*, session: Session, build_id: int) -> list[_Work]:
    """Minutes, trainee, programme and approval time of every approved hour entry in a build."""
    rows = session.exec(
        select(HourEntry.minutes, Trainee, Programme, HourEntry.reviewed_at)
        .join(Trainee, col(Trainee.id) == HourEntry.trainee_id)
        # The programme the hours were worked under (the trainee's for older rows).
        .join(
            Programme,
            col(Programme.id) == func.coalesce(HourEntry.programme_id, Trainee.programme_id),
        )
        .where(HourEntry.build_id == build_id, HourEntry.status == HourStatus.approved)
    ).all()
    return [_Work(*row) for row in rows]


def _training_of(work: list[_Work]) -> tuple[float, list[Programme], list[str]]:
    programmes = {w.programme.id: w.programme for w in work}
    makers = {
        w.trainee.display_name.split()[0]
        for w in work
        if w.trainee.consent_name
        and w.trainee.anonymised_at is None
        and w.trainee.display_name.strip()
    }
    return (
        sum(w.minutes for w in work) / 60,
        sorted(programmes.values(), key=lambda p: p.name),
        sorted(makers),
    )

"""Crates: tagging a sorted lot, crate outcomes, and resolving a scanned code to its item."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import bindparam, update
from sqlalchemy import select as core_select
from sqlmodel import Session, col, select

from workshop import audit, codes, fastpath, typed_input
from workshop.accounts import Permission, require
from workshop.errors import InvalidInput, NotFound
from workshop.models import Crate, CrateKind, Lot, LotRemainder, Market, Outcome, User, utcnow
from workshop.pickups import LotSorting, get_lot, lot_sorting

# What the untagged rest of a lot can become in the sorting step.
REMAINDER_OUTCOMES = (Outcome.recycled, Outcome.firewood, Outcome.reused)
# What a lead may set by scanning a crate; "in a build" is set by the builds only.
MANUAL_OUTCOMES = (Outcome.in_stock, Outcome.reused, Outcome.recycled, Outcome.firewood)
MAX_TAG_AT_ONCE = 2000

_CRATE, _KIND, _LOT, _MARKET = (fastpath.table(m) for m in (Crate, CrateKind, Lot, Market))
_CRATE_FIELDS = ("outcome", "outcome_at", "outcome_by_id")

# The hot paths of a scan run these with Core: the same SQL the ORM would send,
# without building and tracking ORM rows (most of the time of a scan was that).
# A crate as a scan shows it: crate, its kind (all columns), lot date and market.
_CRATE_VIEW = (
    core_select(
        _CRATE.c.code,
        _CRATE.c.outcome,
        _CRATE.c.outcome_at,
        _LOT.c.code.label("lot_code"),
        _LOT.c.pickup_date,
        _MARKET.c.name.label("market"),
        *(c.label(f"kind_{c.name}") for c in _KIND.c),
    )
    .select_from(
        _CRATE.join(_KIND, _KIND.c.id == _CRATE.c.crate_kind_id)
        .join(_LOT, _LOT.c.id == _CRATE.c.lot_id)
        .join(_MARKET, _MARKET.c.id == _LOT.c.market_id)
    )
    .where(_CRATE.c.code == bindparam("code"))
)
_CRATE_BY_CODE = core_select(_CRATE).where(_CRATE.c.code == bindparam("code"))
_SET_OUTCOME = (
    update(_CRATE)
    .where(_CRATE.c.id == bindparam("crate_id"))
    .values(
        outcome=bindparam("outcome"),
        outcome_at=bindparam("outcome_at"),
        outcome_by_id=bindparam("outcome_by_id"),
    )
)


def _new_crate_codes(session: Session, n: int) -> list[str]:
    # Draw, then drop the (rare) ones already used, until n fresh codes remain.
    fresh: set[str] = set()
    while len(fresh) < n:
        batch = {codes.mint("C") for _ in range(n - len(fresh))} - fresh
        taken = set(session.exec(select(Crate.code).where(col(Crate.code).in_(batch))))
        fresh |= batch - taken
    return sorted(fresh)


def sort_lot(
    *,
    session: Session,
    actor: User,
    lot_id: int,
    tag: Mapping[int, int],
    remainder: Outcome | None = None,
) -> list[Crate]:
    """Tag `tag[kind]` crates of a lot with new codes; if given, send the rest to `remainder`."""
    require(actor, Permission.pickups)
    lot = get_lot(session=session, lot_id=lot_id)
    state = lot_sorting(session=session, lot_id=lot_id)
    if remainder is not None and remainder not in REMAINDER_OUTCOMES:
        raise InvalidInput("error.crate.bad_remainder")
    total = 0
    for kind_id, n in tag.items():
        if not typed_input.is_whole_number(n) or n < 0:
            raise InvalidInput("error.crate.bad_tag_count")
        if n > max(state.unsorted(kind_id), 0):
            raise InvalidInput("error.crate.more_than_left", left=max(state.unsorted(kind_id), 0))
        total += n
    if total > MAX_TAG_AT_ONCE:
        raise InvalidInput("error.crate.too_many_labels", max=MAX_TAG_AT_ONCE)
    if total == 0 and remainder is None:
        raise InvalidInput("error.crate.nothing_to_do")
    created: list[Crate] = []
    for kind_id, n in tag.items():
        for code in _new_crate_codes(session, n):
            crate = Crate(code=code, lot_id=lot_id, crate_kind_id=kind_id, outcome_by_id=actor.id)
            session.add(crate)
            created.append(crate)
    if remainder is not None:
        for kind_id in state.counts:
            rest = state.unsorted(kind_id) - tag.get(kind_id, 0)
            if rest <= 0:
                continue
            row = session.exec(
                select(LotRemainder).where(
                    LotRemainder.lot_id == lot_id, LotRemainder.crate_kind_id == kind_id
                )
            ).first()
            if row is None:
                row = LotRemainder(lot_id=lot_id, crate_kind_id=kind_id, outcome=remainder, count=0)
            row.outcome, row.count = remainder, row.count + rest
            row.sorted_by_id, row.sorted_at = actor.id, utcnow()
            session.add(row)
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="sort",
        entity="lot",
        entity_id=lot.code,
        after={
            "tagged": [c.code for c in created],
            "remainder": remainder.value if remainder else None,
        },
    )
    return created


def store_outcome(session: Session, crate_id: int, values: Mapping[str, Any]) -> None:
    """Write a crate's outcome, its time and who set it in one Core UPDATE (scan hot paths)."""
    session.connection().execute(_SET_OUTCOME, {"crate_id": crate_id, **values})
    fastpath.written(session, Crate, crate_id, values)


def set_outcome(*, session: Session, actor: User, code: str, outcome: Outcome) -> Crate:
    """Record where a tagged crate went (by scanning it), with when and who."""
    require(actor, Permission.pickups)
    if outcome not in MANUAL_OUTCOMES:
        raise InvalidInput("error.crate.bad_outcome")
    code = fastpath.stored_code(code, expect="C")
    fastpath.autoflush(session)
    conn = session.connection()
    row = conn.execute(_CRATE_BY_CODE, {"code": code}).mappings().first()
    if row is None:
        raise NotFound("error.scan.unknown_code", code=codes.format_code(code))
    if row["outcome"] == Outcome.in_build:
        raise InvalidInput("error.crate.in_build")
    if row["outcome"] == outcome:
        return fastpath.loaded(session, Crate, row)
    # One write transaction (db.write_session): nothing else writes between the
    # select and this update (SQLite BEGIN IMMEDIATE, PostgreSQL advisory lock).
    before = {name: row[name] for name in _CRATE_FIELDS}
    after = {"outcome": outcome, "outcome_at": utcnow(), "outcome_by_id": actor.id}
    store_outcome(session, row["id"], after)
    audit.append(
        session=session,
        actor=actor,
        action="outcome",
        entity="crate",
        entity_id=code,
        before=before,
        after=after,
    )
    return fastpath.loaded(session, Crate, {**row, **after})


@dataclass(frozen=True)
class CrateView:
    """A crate as a scan shows it."""

    code: str
    kind: CrateKind
    market: str
    pickup_date: date
    lot_code: str
    outcome: Outcome
    outcome_at: datetime


@dataclass(frozen=True)
class LotView:
    """A lot as a scan shows it."""

    lot: Lot
    market: str
    sorting: LotSorting
    kinds: dict[int, CrateKind] = field(default_factory=dict)


def resolve(*, session: Session, actor: User, text: str) -> CrateView | LotView:
    """Read a scanned or typed text and return the crate or lot it names."""
    require(actor, Permission.scan)
    code = fastpath.stored_code(text)
    kind = code[0]
    if kind == codes.CRATE:
        fastpath.autoflush(session)
        row = session.connection().execute(_CRATE_VIEW, {"code": code}).mappings().first()
        if row is None:
            raise NotFound("error.scan.unknown_code", code=codes.format_code(code))
        crate_kind = fastpath.loaded(
            session, CrateKind, {c.name: row[f"kind_{c.name}"] for c in _KIND.c}
        )
        return CrateView(
            code=row["code"],
            kind=crate_kind,
            market=row["market"],
            pickup_date=row["pickup_date"],
            lot_code=row["lot_code"],
            outcome=row["outcome"],
            outcome_at=row["outcome_at"],
        )
    if kind == codes.LOT:
        found = session.exec(
            select(Lot, Market.name)
            .join(Market, col(Market.id) == Lot.market_id)
            .where(Lot.code == code)
        ).first()
        if found is None:
            raise NotFound("error.scan.unknown_code", code=codes.format_code(code))
        lot, market = found
        kinds = {k.id or 0: k for k in session.exec(select(CrateKind))}
        return LotView(
            lot=lot,
            market=market,
            sorting=lot_sorting(session=session, lot_id=lot.id or 0),
            kinds=kinds,
        )
    raise NotFound("error.scan.not_yet", code=codes.format_code(code))


def crates_of_lot(*, session: Session, lot_id: int) -> list[Crate]:
    """The tagged crates of a lot, in code order."""
    return list(session.exec(select(Crate).where(Crate.lot_id == lot_id).order_by(Crate.code)))


@dataclass(frozen=True)
class LabelRow:
    """What a label says about one code: its crate kind (None for the lot), market and date."""

    code: str
    kind: CrateKind | None
    market: str
    pickup_date: date


def label_rows(
    *, session: Session, actor: User, lot_id: int, with_lot: bool = False
) -> list[LabelRow]:
    """The labels of a lot's tagged crates (and of the lot itself when `with_lot`)."""
    require(actor, Permission.pickups)
    lot = get_lot(session=session, lot_id=lot_id)
    market = session.get(Market, lot.market_id)
    market_name = market.name if market else ""
    kinds = {k.id: k for k in session.exec(select(CrateKind))}
    rows = [LabelRow(lot.code, None, market_name, lot.pickup_date)] if with_lot else []
    rows += [
        LabelRow(c.code, kinds.get(c.crate_kind_id), market_name, lot.pickup_date)
        for c in crates_of_lot(session=session, lot_id=lot_id)
    ]
    return rows

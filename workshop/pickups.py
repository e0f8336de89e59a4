"""Markets, crate kinds and pickups (lots): what was collected where and when."""

from __future__ import annotations

import csv
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

from sqlmodel import Session, col, delete, func, select

from workshop import audit, codes, config, dates, impact, typed_input
from workshop.accounts import Permission, require
from workshop.errors import InvalidInput, NotFound, Unlikely
from workshop.models import Crate, CrateKind, Lot, LotLine, LotRemainder, Market, Outcome, User

MAX_CRATES_PER_PICKUP = 2000
MAX_KG_PER_CRATE = 30.0
# 50 g: lighter than any wooden crate or tray; below it, a weight typed in the wrong unit.
MIN_KG_PER_CRATE = 0.05
# A sample heavier per crate than this many times the market's usual weight (calibrated
# from its samples, else the kind's default) is possible (wet wood) but more often a
# typing slip: it is kept only once the lead confirms it.
UNLIKELY_WEIGHT_FACTOR = 3
MAX_NOTE_LENGTH = 500
MAX_OPERATOR = 200  # the column's length
WEEKDAYS = ("lun", "mar", "mer", "jeu", "ven", "sam", "dim")

# Default unit weights: a standard wooden cagette (60×40 cm, fruit and vegetables)
# weighs about 1.2 kg, a flat tray about 0.6 kg, a large crate about 3 kg. An
# admin corrects them; weighed samples override them for the lots they cover.
CRATE_KINDS = (
    ("Cagette bois standard", "Standard wooden crate", 1.2),
    ("Plateau bois", "Flat wooden tray", 0.6),
    ("Grande caisse bois", "Large wooden crate", 3.0),
)


def seed_reference(*, session: Session) -> None:
    """Add the markets of `data/markets-20e.csv` and the crate kinds, once."""
    if session.exec(select(Market)).first() is None:
        with open(config.PACKAGE_DATA / "markets-20e.csv", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                session.add(
                    Market(
                        name=row["name"],
                        location=row["location"],
                        arrondissement=row["arrondissement"],
                        in_20e=row["in_20e"] == "yes",
                        days=row["days"],
                    )
                )
    if session.exec(select(CrateKind)).first() is None:
        for name, name_en, weight in CRATE_KINDS:
            session.add(CrateKind(name=name, name_en=name_en, default_weight_kg=weight))


def market_days(market: Market) -> set[int]:
    """Weekdays (Monday = 0) the market is held."""
    return {WEEKDAYS.index(d) for d in market.days.split(";") if d in WEEKDAYS}


def markets_for_pickup(*, session: Session, on: date, lot: Lot | None = None) -> list[Market]:
    """Active markets, those held on `on` first, then by name; and `lot`'s own market."""
    markets = list(session.exec(select(Market).where(Market.active).order_by(Market.name)).all())
    # A lot's market taken out of the list since stays offered for its corrections.
    if lot is not None and lot.market_id not in {m.id for m in markets}:
        if (own := session.get(Market, lot.market_id)) is not None:
            markets.append(own)
    return sorted(markets, key=lambda m: on.weekday() not in market_days(m))


def all_markets(*, session: Session) -> list[Market]:
    """Every market, in the list or taken out of it, by name."""
    return list(session.exec(select(Market).order_by(Market.name)))


def crate_kinds(*, session: Session, active_only: bool = True) -> list[CrateKind]:
    """Crate kinds in the order they were created."""
    query = select(CrateKind).order_by(col(CrateKind.id))
    if active_only:
        query = query.where(CrateKind.active)
    return list(session.exec(query))


@dataclass(frozen=True)
class Sample:
    """A weighed sample: `count` crates of kind `kind_id` weighed `kg` in all."""

    kind_id: int
    count: int
    kg: float


@dataclass(frozen=True)
class PickupFields:
    """What a pickup says: where, when, how many crates of each kind, a weighed sample, a note."""

    market_id: int
    pickup_date: date
    counts: Mapping[int, int]
    sample: Sample | None = None
    note: str = ""


def _validate(
    session: Session,
    fields: PickupFields,
    today: date,
    own_market_id: int | None = None,
    confirmed: bool = False,
) -> PickupFields:
    """The fields as kept (non-zero counts, the note cleaned) once every rule holds."""
    market_id, pickup_date, counts = fields.market_id, fields.pickup_date, fields.counts
    sample, note = fields.sample, typed_input.text(fields.note)
    market = session.get(Market, market_id)
    # A market taken out of the list stays valid for the corrections of its own lots.
    if market is None or not (market.active or market.id == own_market_id):
        raise InvalidInput("error.pickup.unknown_market")
    if pickup_date > today:
        raise InvalidInput("error.pickup.future_date")
    if pickup_date < dates.EARLIEST:
        raise InvalidInput("error.pickup.too_old")
    kinds = {k.id: k for k in crate_kinds(session=session, active_only=False)}
    clean: dict[int, int] = {}
    for kind_id, count in counts.items():
        if kind_id not in kinds:
            raise InvalidInput("error.pickup.unknown_kind")
        if not typed_input.is_whole_number(count):
            raise InvalidInput("error.pickup.count_not_whole")
        if count < 0:
            raise InvalidInput("error.pickup.negative_count")
        if count:
            clean[kind_id] = count
    total = sum(clean.values())
    if total == 0:
        raise InvalidInput("error.pickup.no_crates")
    if total > MAX_CRATES_PER_PICKUP:
        raise InvalidInput("error.pickup.too_many", max=MAX_CRATES_PER_PICKUP, total=total)
    if sample is not None:
        _check_sample(sample, clean)
    if len(note) > MAX_NOTE_LENGTH:
        raise InvalidInput("error.pickup.note_too_long", max=MAX_NOTE_LENGTH)
    if sample is not None and not confirmed:
        _check_likely_sample(session, sample, market_id, pickup_date)
    return replace(fields, counts=clean, note=note)


def _check_likely_sample(session: Session, sample: Sample, market_id: int, on: date) -> None:
    """Unlikely when the sample weighs over 3× the market's usual weight per crate."""
    month = on.replace(day=1)
    usual = (
        impact.load_weights(session=session, start=month, end=on, market_ids=[market_id])
        .unit(market_id, sample.kind_id, month)
        .kg
    )
    per_crate = sample.kg / sample.count
    # Rounded to the gram: exactly 3 times (3 × 1,2 kg) is not "over".
    if usual > 0 and round(per_crate, 3) > round(UNLIKELY_WEIGHT_FACTOR * usual, 3):
        raise Unlikely(
            "error.pickup.sample_unlikely",
            kg=sample.kg,
            count=sample.count,
            per_crate=round(per_crate, 1),
            usual=round(usual, 1),
        )


def _check_sample(sample: Sample, counts: dict[int, int]) -> None:
    """Refuse a sample that is not a whole number of the lot's crates of a plausible weight."""
    if not typed_input.is_whole_number(sample.count):
        raise InvalidInput("error.pickup.count_not_whole")
    if sample.count <= 0 or not typed_input.is_number(sample.kg) or sample.kg <= 0:
        raise InvalidInput("error.pickup.sample_empty")
    if sample.count > counts.get(sample.kind_id, 0):
        raise InvalidInput("error.pickup.sample_more_than_counted")
    if sample.kg / sample.count > MAX_KG_PER_CRATE:
        raise InvalidInput("error.pickup.sample_too_heavy", max=MAX_KG_PER_CRATE)
    if sample.kg / sample.count < MIN_KG_PER_CRATE:
        raise InvalidInput("error.pickup.sample_too_light", min_g=round(MIN_KG_PER_CRATE * 1000))


def _new_lot_code(session: Session) -> str:
    # 27^5 codes: a clash is rare, but the unique index would turn it into an error.
    while True:
        code = codes.mint("L")
        if session.exec(select(Lot.id).where(Lot.code == code)).first() is None:
            return code


def _write_lines(session: Session, lot: Lot, counts: Mapping[int, int]) -> None:
    """Replace the lot's lines by `counts` (the lot gets its id on flush)."""
    session.flush()
    lot_id = lot.id
    assert lot_id is not None
    session.exec(delete(LotLine).where(col(LotLine.lot_id) == lot_id))
    for kind_id, count in counts.items():
        session.add(LotLine(lot_id=lot_id, crate_kind_id=kind_id, count=count))
    session.flush()


def _counts_snapshot(session: Session, lot: Lot) -> dict[str, int]:
    return {str(k): v for k, v in lot_counts(session=session, lot_id=lot.id).items()}


def _lot_snapshot(session: Session, lot: Lot) -> dict[str, object]:
    return {**audit.snapshot(lot), "counts": _counts_snapshot(session, lot)}


def log_pickup(
    *,
    session: Session,
    actor: User,
    fields: PickupFields,
    today: date | None = None,
    confirmed: bool = False,
) -> Lot:
    """Record one pickup (a lot with its counts per crate kind) and give it a lot code;
    `Unlikely` for a surprising sample weight unless `confirmed`."""
    require(actor, Permission.pickups)
    clean = _validate(session, fields, today or dates.today(), confirmed=confirmed)
    lot = Lot(code=_new_lot_code(session), collected_by_id=actor.id, **_columns(clean))
    session.add(lot)
    _write_lines(session, lot, clean.counts)
    audit.record(
        session=session,
        actor=actor,
        action="create",
        entity="lot",
        entity_id=lot.code,
        after=_lot_snapshot(session, lot),
    )
    return lot


def _columns(fields: PickupFields) -> dict[str, Any]:
    """The lot's columns a pickup (checked by `_validate`) sets; its counts are its lines."""
    sample = fields.sample
    return {
        "market_id": fields.market_id,
        "pickup_date": fields.pickup_date,
        "note": fields.note,
        "sample_kind_id": sample.kind_id if sample else None,
        "sample_count": sample.count if sample else None,
        "sample_kg": sample.kg if sample else None,
    }


def get_lot(*, session: Session, lot_id: int) -> Lot:
    """The lot with this id, or NotFound."""
    lot = session.get(Lot, lot_id)
    if lot is None:
        raise NotFound("error.pickup.unknown")
    return lot


def lot_counts(*, session: Session, lot_id: int | None) -> dict[int, int]:
    """Crate counts of a lot, by crate kind id."""
    lines = session.exec(select(LotLine).where(LotLine.lot_id == lot_id)).all()
    return {line.crate_kind_id: line.count for line in lines}


def update_pickup(
    *,
    session: Session,
    actor: User,
    lot_id: int,
    fields: PickupFields,
    reason: str,
    today: date | None = None,
    confirmed: bool = False,
) -> Lot:
    """Correct a pickup; the reason and the values before are kept in the audit log;
    `Unlikely` for a surprising sample weight unless `confirmed`."""
    require(actor, Permission.pickups)
    reason = _reason(reason)
    lot = get_lot(session=session, lot_id=lot_id)
    clean = _validate(
        session,
        fields,
        today or dates.today(),
        own_market_id=lot.market_id,
        confirmed=confirmed,
    )
    state = lot_sorting(session=session, lot_id=lot_id)
    for kind_id in state.counts:
        if clean.counts.get(kind_id, 0) < state.sorted(kind_id):
            raise InvalidInput("error.pickup.below_sorted", sorted=state.sorted(kind_id))
    with audit.change(
        session=session,
        actor=actor,
        obj=lot,
        entity="lot",
        entity_id=lot.code,
        reason=reason,
    ) as change:
        change.before["counts"] = _counts_snapshot(session, lot)
        for column, value in _columns(clean).items():
            setattr(lot, column, value)
        _write_lines(session, lot, clean.counts)
        change.extra_after["counts"] = _counts_snapshot(session, lot)
    return lot


def delete_pickup(*, session: Session, actor: User, lot_id: int, reason: str) -> str:
    """Delete a pickup logged by mistake, keeping its record in the audit log; returns its code."""
    require(actor, Permission.pickups)
    reason = _reason(reason)
    lot = get_lot(session=session, lot_id=lot_id)
    state = lot_sorting(session=session, lot_id=lot_id)
    if any(state.sorted(kind_id) for kind_id in state.counts):
        raise InvalidInput("error.pickup.has_crates")
    before = _lot_snapshot(session, lot)
    session.exec(delete(LotLine).where(col(LotLine.lot_id) == lot.id))
    session.delete(lot)
    audit.record(
        session=session,
        actor=actor,
        action="delete",
        entity="lot",
        entity_id=lot.code,
        before=before,
        reason=reason,
    )
    return lot.code


def _reason(typed: str) -> str:
    """The reason given for a correction or a deletion, as kept; refused when empty."""
    reason = typed_input.text(typed)
    if not reason:
        raise InvalidInput("error.pickup.reason_required")
    if len(reason) > audit.MAX_REASON:
        raise InvalidInput("error.reason_too_long", max=audit.MAX_REASON)
    return reason


@dataclass(frozen=True)
class LotSorting:
    """How far a lot is sorted, per crate kind id."""

    counts: dict[int, int]
    tagged: dict[int, int]
    remainder: dict[int, tuple[Outcome, int]]

    def sorted(self, kind_id: int) -> int:
        """Crates of this kind tagged or given an outcome."""
        return self.tagged.get(kind_id, 0) + self.remainder.get(kind_id, (Outcome.in_stock, 0))[1]

    def unsorted(self, kind_id: int) -> int:
        """Crates of this kind neither tagged nor given an outcome yet."""
        return self.counts.get(kind_id, 0) - self.sorted(kind_id)

    @property
    def done(self) -> bool:
        """True when every crate of the lot is tagged or has an outcome."""
        return all(self.unsorted(k) <= 0 for k in self.counts)


def lot_sorting(*, session: Session, lot_id: int) -> LotSorting:
    """Counts, tagged crates and remainders of a lot."""
    tagged = session.exec(
        select(Crate.crate_kind_id, func.count())
        .where(Crate.lot_id == lot_id)
        .group_by(col(Crate.crate_kind_id))
    ).all()
    rests = session.exec(select(LotRemainder).where(LotRemainder.lot_id == lot_id)).all()
    return LotSorting(
        counts=lot_counts(session=session, lot_id=lot_id),
        tagged=dict(tagged),
        remainder={r.crate_kind_id: (r.outcome, r.count) for r in rests},
    )


@dataclass(frozen=True)
class PickupRow:
    """One pickup as the list shows it."""

    lot_id: int
    code: str
    market: str
    pickup_date: date
    crates: int
    weighed: bool
    note: str


def recent_pickups(
    *, session: Session, actor: User, days: int = 60, limit: int = 200
) -> list[PickupRow]:
    """Pickups of the last `days` days, newest first."""
    require(actor, Permission.pickups)
    since = dates.today() - timedelta(days=days)
    lots = session.exec(
        select(Lot, Market.name)
        .join(Market, col(Market.id) == Lot.market_id)
        .where(Lot.pickup_date >= since)
        .order_by(col(Lot.pickup_date).desc(), col(Lot.id).desc())
        .limit(limit)
    ).all()
    totals: dict[int, int] = {}
    if lots:
        ids = [lot.id for lot, _ in lots]
        for line in session.exec(select(LotLine).where(col(LotLine.lot_id).in_(ids))):
            totals[line.lot_id] = totals.get(line.lot_id, 0) + line.count
    return [
        PickupRow(
            lot_id=lot.id or 0,
            code=lot.code,
            market=market_name,
            pickup_date=lot.pickup_date,
            crates=totals.get(lot.id or 0, 0),
            weighed=lot.sample_count is not None,
            note=lot.note,
        )
        for lot, market_name in lots
    ]


def update_crate_kind_weights(
    *, session: Session, actor: User, weights: Mapping[int, float]
) -> list[CrateKind]:
    """Change crate kinds' default unit weights (admin); all or nothing."""
    require(actor, Permission.settings)
    changed = []
    for kind_id, weight_kg in weights.items():
        kind = session.get(CrateKind, kind_id)
        if kind is None:
            raise NotFound("error.kind.unknown")
        if not typed_input.is_number(weight_kg) or not 0 < weight_kg <= MAX_KG_PER_CRATE:
            raise InvalidInput("error.kind.bad_weight", name=kind.name, max=MAX_KG_PER_CRATE)
        if weight_kg < MIN_KG_PER_CRATE:
            raise InvalidInput(
                "error.kind.too_light", name=kind.name, min_g=round(MIN_KG_PER_CRATE * 1000)
            )
        if weight_kg == kind.default_weight_kg:
            continue
        with audit.change(
            session=session, actor=actor, obj=kind, entity="crate_kind", entity_id=kind.id
        ):
            kind.default_weight_kg = weight_kg
        changed.append(kind)
    return changed


def update_market(
    *,
    session: Session,
    actor: User,
    market_id: int,
    days: list[str],
    active: bool,
    operator: str | None = None,
) -> Market:
    """Correct a market's days, its operator (None: unchanged), or take it out of the
    pickup list (admin)."""
    require(actor, Permission.settings)
    market = session.get(Market, market_id)
    if market is None:
        raise NotFound("error.market.unknown")
    if any(d not in WEEKDAYS for d in days):
        raise InvalidInput("error.market.bad_day")
    if operator is not None:
        operator = typed_input.text(operator)
        if len(operator) > MAX_OPERATOR:
            raise InvalidInput("error.market.operator_too_long", max=MAX_OPERATOR)
    with audit.change(
        session=session, actor=actor, obj=market, entity="market", entity_id=market.id
    ):
        market.days = ";".join(d for d in WEEKDAYS if d in days)
        market.active = active
        if operator is not None:
            market.operator = operator
    return market

"""Impact figures: kilos diverted per market and month, where the wood went, CO2e (SQL aggregates).

Honest kilos, per lot line (one crate kind in one pickup):

- *weighed* when the lot's weighed sample is of that kind: count × the sample's mean weight;
- otherwise *estimated*: count × the market's *calibrated* mean weight for that kind, i.e.
  the mean of that market's weighed samples of the kind over the 12 months ending with the
  pickup's month, when there are at least `MIN_CALIBRATION_SAMPLES` of them; its standard
  error gives the uncertainty band;
- else count × the kind's *default* weight, with the stated relative uncertainty of a
  default weight (`config.default_weight_uncertainty()`).

Uncertainties of estimated kilos are added linearly (as if every error went the same
way): a conservative band, never a narrower one than the data allow.

The database does the heavy part: a handful of GROUP BY queries return at most a few
rows per market, month, crate kind and outcome; the weights are applied here.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Float, case, cast, func
from sqlalchemy import select as sa_select
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, select

from workshop import config
from workshop.accounts import Permission, require
from workshop.errors import NotFound, PermissionDenied
from workshop.models import (
    AuditEvent,
    Build,
    BuildStatus,
    Crate,
    CrateKind,
    Design,
    HourEntry,
    HourStatus,
    Lot,
    LotLine,
    LotRemainder,
    Market,
    Outcome,
    Programme,
    Role,
    Trainee,
    User,
)

CALIBRATION_MONTHS = 12
MIN_CALIBRATION_SAMPLES = 3
# The waste hierarchy, best first: what the wood became.
WASTE_HIERARCHY = (
    Outcome.in_build,
    Outcome.reused,
    Outcome.recycled,
    Outcome.firewood,
    Outcome.in_stock,
)
# Wood that stands in for new wood: furniture and reuse as it is (config.co2e_source()).
CO2E_OUTCOMES = (Outcome.in_build, Outcome.reused)
BUILT_STATUSES = (
    BuildStatus.finished,
    BuildStatus.sold,
    BuildStatus.donated,
    BuildStatus.installed,
)


@dataclass(frozen=True)
class MonthRow:
    """Crates and kilos collected at one market in one month."""

    market: str
    month: date
    crates: int
    weighed_kg: float
    estimated_kg: float
    # ± kilos on the estimated part; calibrated_kg is the part estimated from the
    # market's own weighings (the rest of estimated_kg used default weights).
    uncertainty_kg: float = 0.0
    calibrated_kg: float = 0.0

    @property
    def kg(self) -> float:
        """Weighed and estimated kilos together."""
        return self.weighed_kg + self.estimated_kg


@dataclass(frozen=True)
class Totals:
    """Totals for a period."""

    crates: int
    weighed_kg: float
    estimated_kg: float
    pickups: int
    uncertainty_kg: float = 0.0
    calibrated_kg: float = 0.0

    @property
    def kg(self) -> float:
        """Weighed and estimated kilos together."""
        return self.weighed_kg + self.estimated_kg


@dataclass(frozen=True)
class OutcomeRow:
    """Crates of one market and pickup month that went to one outcome, and their kilos."""

    market: str
    month: date
    outcome: Outcome
    crates: int
    kg: float
    estimated_kg: float
    uncertainty_kg: float


@dataclass(frozen=True)
class PiecesRow:
    """Pieces of furniture of one design finished in one month."""

    month: date
    design: str
    pieces: int


@dataclass(frozen=True)
class HoursRow:
    """Approved trainee hours of one programme in one month."""

    month: date
    programme: str
    hours: float


@dataclass(frozen=True)
class Co2e:
    """CO2e avoided by the wood that went into furniture or reuse, with its factor and source."""

    wood_kg: float
    uncertainty_kg: float
    factor: float
    source: str

    @property
    def co2e_kg(self) -> float:
        """kg CO2e avoided."""
        return self.wood_kg * self.factor

    @property
    def co2e_uncertainty_kg(self) -> float:
        """± kg CO2e, from the uncertainty on the estimated kilos."""
        return self.uncertainty_kg * self.factor


@dataclass(frozen=True)
class Dashboard:
    """Every figure of the dashboard for one period and set of markets."""

    start: date
    end: date
    months: list[MonthRow]
    outcomes: list[OutcomeRow]
    pieces: list[PiecesRow]
    hours: list[HoursRow]
    totals: Totals
    co2e: Co2e
    goal_kg: float = 0.0

    def outcome_kg(self) -> dict[Outcome, float]:
        """Kilos per outcome over the whole period, in waste-hierarchy order."""
        out = dict.fromkeys(WASTE_HIERARCHY, 0.0)
        for row in self.outcomes:
            out[row.outcome] += row.kg
        return out


# --- Weights ---------------------------------------------------------------------


@dataclass(frozen=True)
class UnitWeight:
    """Mean weight of one crate and its uncertainty; `calibrated` when from the market's samples."""

    kg: float
    uncertainty_kg: float
    calibrated: bool
    samples: int = 0


def _month_key(column: Any, dialect: str) -> ColumnElement[str]:
    # 'YYYY-MM': substr on SQLite's ISO text dates is cheaper than strftime per row.
    if dialect == "postgresql":
        return func.to_char(column, "YYYY-MM")
    return func.substr(column, 1, 7)


def _month(key: Any) -> date:
    text = str(key)
    return date(int(text[:4]), int(text[5:7]), 1)


def add_months(month: date, n: int) -> date:
    """The first day of the month `n` months after `month` (n may be negative)."""
    index = month.year * 12 + month.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def month_end(month: date) -> date:
    """The last day of `month`'s month."""
    return date.fromordinal(add_months(month.replace(day=1), 1).toordinal() - 1)


class Weights:
    """Unit weights per market, crate kind and month: calibrated from samples, else default."""

    def __init__(
        self,
        defaults: dict[int, float],
        samples: dict[tuple[int, int, date], tuple[int, float, float]],
        default_uncertainty: float,
    ) -> None:
        self.defaults = defaults
        self.samples = samples  # (market, kind, month) -> (n, Σx, Σx²), x = kg per crate
        self.default_uncertainty = default_uncertainty
        self._cache: dict[tuple[int, int, date], UnitWeight] = {}

    def unit(self, market_id: int, kind_id: int, month: date) -> UnitWeight:
        """The weight used for unweighed crates of this kind, market and pickup month."""
        key = (market_id, kind_id, month)
        if key in self._cache:
            return self._cache[key]
        n, sx, sxx = 0, 0.0, 0.0
        for back in range(CALIBRATION_MONTHS):
            got = self.samples.get((market_id, kind_id, add_months(month, -back)))
            if got:
                n, sx, sxx = n + got[0], sx + got[1], sxx + got[2]
        if n >= MIN_CALIBRATION_SAMPLES:
            mean = sx / n
            variance = max(sxx - n * mean * mean, 0.0) / (n - 1)
            weight = UnitWeight(mean, math.sqrt(variance / n), True, n)
        else:
            default = self.defaults.get(kind_id, 0.0)
            weight = UnitWeight(default, default * self.default_uncertainty, False, n)
        self._cache[key] = weight
        return weight


def _sampled(kind_column: Any) -> ColumnElement[Any]:
    return case(
        (
            (col(Lot.sample_kind_id) == kind_column)
            & (col(Lot.sample_count) > 0)
            & (col(Lot.sample_kg) > 0),
            1,
        ),
        else_=0,
    )


def _sample_unit() -> ColumnElement[Any]:
    return cast(Lot.sample_kg, Float) / cast(Lot.sample_count, Float)


def _lot_filter(query: Any, start: date, end: date, market_ids: Sequence[int] | None) -> Any:
    query = query.where(col(Lot.pickup_date) >= start, col(Lot.pickup_date) <= end)
    if market_ids:
        query = query.where(col(Lot.market_id).in_(list(market_ids)))
    return query


def load_weights(
    *, session: Session, start: date, end: date, market_ids: Sequence[int] | None = None
) -> Weights:
    """Default weights and the weighed samples that calibrate the months of `start`–`end`."""
    dialect = session.get_bind().dialect.name
    month = _month_key(Lot.pickup_date, dialect)
    x = _sample_unit()
    query = (
        sa_select(
            col(Lot.market_id),
            col(Lot.sample_kind_id),
            month,
            func.count(),
            func.sum(x),
            func.sum(x * x),
        )
        .where(col(Lot.sample_count) > 0, col(Lot.sample_kg) > 0)
        .group_by(col(Lot.market_id), col(Lot.sample_kind_id), month)
    )
    since = add_months(start.replace(day=1), -(CALIBRATION_MONTHS - 1))
    query = _lot_filter(query, since, end, market_ids)
    samples = {
        (market_id, kind_id, _month(m)): (int(n), float(sx), float(sxx))
        for market_id, kind_id, m, n, sx, sxx in session.execute(query)
    }
    defaults = {
        kind.id or 0: kind.default_weight_kg for kind in session.exec(select(CrateKind)).all()
    }
    return Weights(defaults, samples, config.default_weight_uncertainty())


# --- Aggregates -------------------------------------------------------------------


@dataclass
class _Acc:
    crates: int = 0
    weighed: float = 0.0
    estimated: float = 0.0
    calibrated: float = 0.0
    uncertainty: float = 0.0

    def add(self, n: int, weighed_kg: float, sampled: bool, unit: UnitWeight) -> None:
        self.crates += n
        if sampled:
            self.weighed += weighed_kg
        else:
            self.estimated += n * unit.kg
            self.uncertainty += n * unit.uncertainty_kg
            if unit.calibrated:
                self.calibrated += n * unit.kg


Group = tuple[int, date, int, int]  # market id, pickup month, crate kind id, sampled (0/1)


def _line_groups(
    session: Session, start: date, end: date, market_ids: Sequence[int] | None
) -> dict[Group, tuple[int, float]]:
    month = _month_key(Lot.pickup_date, session.get_bind().dialect.name)
    sampled = _sampled(LotLine.crate_kind_id)
    query = (
        sa_select(
            col(Lot.market_id),
            month,
            col(LotLine.crate_kind_id),
            sampled,
            func.sum(LotLine.count),
            func.sum(case((sampled == 1, col(LotLine.count) * _sample_unit()), else_=0.0)),
        )
        .select_from(Lot)
        .join(LotLine, col(LotLine.lot_id) == Lot.id)
        .group_by(col(Lot.market_id), month, col(LotLine.crate_kind_id), sampled)
    )
    query = _lot_filter(query, start, end, market_ids)
    return {
        (market_id, _month(m), kind_id, int(s)): (int(n or 0), float(kg or 0))
        for market_id, m, kind_id, s, n, kg in session.execute(query)
    }


def _outcome_groups(
    session: Session, start: date, end: date, market_ids: Sequence[int] | None
) -> dict[tuple[Group, Outcome], tuple[int, float]]:
    """Tagged crates and sorted remainders per group and outcome (crates, weighed kilos)."""
    dialect = session.get_bind().dialect.name
    month = _month_key(Lot.pickup_date, dialect)
    out: dict[tuple[Group, Outcome], tuple[int, float]] = defaultdict(lambda: (0, 0.0))
    # Tagged crates: counted per lot first, straight from the (lot, kind, outcome)
    # index in its own order; only then joined to the lots (docs/PERFORMANCE.md).
    lot_ids = _lot_filter(sa_select(col(Lot.id)), start, end, market_ids)
    per_lot = (
        sa_select(
            col(Crate.lot_id).label("lot_id"),
            col(Crate.crate_kind_id).label("kind_id"),
            col(Crate.outcome).label("outcome"),
            func.count().label("n"),
        )
        .where(col(Crate.lot_id).in_(lot_ids))
        .group_by(col(Crate.lot_id), col(Crate.crate_kind_id), col(Crate.outcome))
        .subquery()
    )
    rest = (
        sa_select(
            col(LotRemainder.lot_id).label("lot_id"),
            col(LotRemainder.crate_kind_id).label("kind_id"),
            col(LotRemainder.outcome).label("outcome"),
            col(LotRemainder.count).label("n"),
        )
        .where(col(LotRemainder.lot_id).in_(lot_ids))
        .subquery()
    )
    for part in (per_lot, rest):
        sampled = _sampled(part.c.kind_id)
        query = (
            sa_select(
                col(Lot.market_id),
                month,
                part.c.kind_id,
                sampled,
                part.c.outcome,
                func.sum(part.c.n),
                func.sum(case((sampled == 1, part.c.n * _sample_unit()), else_=0.0)),
            )
            .select_from(part)
            .join(Lot, col(Lot.id) == part.c.lot_id)
            .group_by(col(Lot.market_id), month, part.c.kind_id, sampled, part.c.outcome)
        )
        for market_id, m, kind_id, s, outcome, n, kg in session.execute(query):
            key = ((market_id, _month(m), kind_id, int(s)), Outcome(outcome))
            before = out[key]
            out[key] = (before[0] + int(n or 0), before[1] + float(kg or 0))
    return dict(out)


def _market_names(session: Session) -> dict[int, str]:
    return {m.id or 0: m.name for m in session.exec(select(Market)).all()}


def _month_rows(
    lines: dict[Group, tuple[int, float]], weights: Weights, names: dict[int, str]
) -> list[MonthRow]:
    acc: dict[tuple[int, date], _Acc] = defaultdict(_Acc)
    for (market_id, month, kind_id, sampled), (n, kg) in lines.items():
        acc[(market_id, month)].add(n, kg, bool(sampled), weights.unit(market_id, kind_id, month))
    rows = [
        MonthRow(
            market=names.get(market_id, "?"),
            month=month,
            crates=a.crates,
            weighed_kg=a.weighed,
            estimated_kg=a.estimated,
            uncertainty_kg=a.uncertainty,
            calibrated_kg=a.calibrated,
        )
        for (market_id, month), a in acc.items()
    ]
    return sorted(rows, key=lambda r: (r.month, r.market))


def _outcome_rows(
    lines: dict[Group, tuple[int, float]],
    sorted_: dict[tuple[Group, Outcome], tuple[int, float]],
    weights: Weights,
    names: dict[int, str],
) -> list[OutcomeRow]:
    acc: dict[tuple[int, date, Outcome], _Acc] = defaultdict(_Acc)
    done: dict[Group, tuple[int, float]] = defaultdict(lambda: (0, 0.0))
    for (group, outcome), (n, kg) in sorted_.items():
        market_id, month, kind_id, sampled = group
        unit = weights.unit(market_id, kind_id, month)
        acc[(market_id, month, outcome)].add(n, kg, bool(sampled), unit)
        done[group] = (done[group][0] + n, done[group][1] + kg)
    # Crates counted at pickup but neither tagged nor sorted yet are still in stock.
    for group, (n, kg) in lines.items():
        left_n, left_kg = n - done[group][0], kg - done[group][1]
        if left_n > 0:
            market_id, month, kind_id, sampled = group
            unit = weights.unit(market_id, kind_id, month)
            acc[(market_id, month, Outcome.in_stock)].add(left_n, left_kg, bool(sampled), unit)
    rows = [
        OutcomeRow(
            market=names.get(market_id, "?"),
            month=month,
            outcome=outcome,
            crates=a.crates,
            kg=a.weighed + a.estimated,
            estimated_kg=a.estimated,
            uncertainty_kg=a.uncertainty,
        )
        for (market_id, month, outcome), a in acc.items()
    ]
    order = {o: i for i, o in enumerate(WASTE_HIERARCHY)}
    return sorted(rows, key=lambda r: (r.month, r.market, order[r.outcome]))


def _pickups(session: Session, start: date, end: date, market_ids: Sequence[int] | None) -> int:
    query = _lot_filter(sa_select(func.count()).select_from(Lot), start, end, market_ids)
    return int(session.execute(query).scalar_one())


def _totals(rows: Iterable[MonthRow], pickups: int) -> Totals:
    rows = list(rows)
    return Totals(
        crates=sum(r.crates for r in rows),
        weighed_kg=sum(r.weighed_kg for r in rows),
        estimated_kg=sum(r.estimated_kg for r in rows),
        pickups=pickups,
        uncertainty_kg=sum(r.uncertainty_kg for r in rows),
        calibrated_kg=sum(r.calibrated_kg for r in rows),
    )


def co2e(outcomes: Iterable[OutcomeRow]) -> Co2e:
    """CO2e avoided by the kilos that went into furniture or reuse (factor and source: config)."""
    kept = [r for r in outcomes if r.outcome in CO2E_OUTCOMES]
    return Co2e(
        wood_kg=sum(r.kg for r in kept),
        uncertainty_kg=sum(r.uncertainty_kg for r in kept),
        factor=config.co2e_factor(),
        source=config.co2e_source(),
    )


def _pieces(session: Session, start: date, end: date) -> list[PiecesRow]:
    month = _month_key(Build.finished_on, session.get_bind().dialect.name)
    query = (
        sa_select(month, col(Design.name), func.count())
        .select_from(Build)
        .join(Design, col(Design.id) == Build.design_id)
        .where(
            col(Build.finished_on) >= start,
            col(Build.finished_on) <= end,
            col(Build.status).in_(BUILT_STATUSES),
        )
        .group_by(month, col(Design.name))
        .order_by(month, col(Design.name))
    )
    return [PiecesRow(_month(m), name, int(n)) for m, name, n in session.execute(query)]


def _hours(session: Session, start: date, end: date) -> list[HoursRow]:
    month = _month_key(HourEntry.work_date, session.get_bind().dialect.name)
    query = (
        sa_select(month, col(Programme.name), func.sum(HourEntry.minutes))
        .select_from(HourEntry)
        .join(Trainee, col(Trainee.id) == HourEntry.trainee_id)
        .join(Programme, col(Programme.id) == Trainee.programme_id)
        .where(
            col(HourEntry.status) == HourStatus.approved,
            col(HourEntry.work_date) >= start,
            col(HourEntry.work_date) <= end,
        )
        .group_by(month, col(Programme.name))
        .order_by(month, col(Programme.name))
    )
    return [
        HoursRow(_month(m), name, int(minutes or 0) / 60)
        for m, name, minutes in session.execute(query)
    ]


def _compute(
    session: Session, start: date, end: date, market_ids: Sequence[int] | None
) -> Dashboard:
    weights = load_weights(session=session, start=start, end=end, market_ids=market_ids)
    names = _market_names(session)
    lines = _line_groups(session, start, end, market_ids)
    months = _month_rows(lines, weights, names)
    outcomes = _outcome_rows(
        lines, _outcome_groups(session, start, end, market_ids), weights, names
    )
    return Dashboard(
        start=start,
        end=end,
        months=months,
        outcomes=outcomes,
        pieces=_pieces(session, start, end),
        hours=_hours(session, start, end),
        totals=_totals(months, _pickups(session, start, end, market_ids)),
        co2e=co2e(outcomes),
        goal_kg=config.yearly_kg_goal(),
    )


# --- Public functions -------------------------------------------------------------


def dashboard(
    *,
    session: Session,
    actor: User,
    start: date,
    end: date,
    market_ids: list[int] | None = None,
) -> Dashboard:
    """Every dashboard figure for `start` ≤ pickup date ≤ `end` and the chosen markets."""
    require(actor, Permission.dashboards)
    return _compute(session, start, end, market_ids or None)


def kg_per_market_month(
    *,
    session: Session,
    actor: User,
    start: date,
    end: date,
    market_ids: list[int] | None = None,
) -> list[MonthRow]:
    """Crates and kilos (weighed / estimated) per market per month, `start` ≤ date ≤ `end`."""
    require(actor, Permission.dashboards)
    weights = load_weights(session=session, start=start, end=end, market_ids=market_ids)
    lines = _line_groups(session, start, end, market_ids or None)
    return _month_rows(lines, weights, _market_names(session))


def totals(
    *,
    session: Session,
    actor: User,
    start: date,
    end: date,
    market_ids: list[int] | None = None,
) -> Totals:
    """Crates, kilos (weighed / estimated) and number of pickups for the period."""
    rows = kg_per_market_month(
        session=session, actor=actor, start=start, end=end, market_ids=market_ids
    )
    return _totals(rows, _pickups(session, start, end, market_ids or None))


def data_version(*, session: Session) -> int:
    """A number that changes with every write (each write adds an audit event): a cache key."""
    return int(session.execute(sa_select(func.max(AuditEvent.id))).scalar_one() or 0)


# --- Market manager's month --------------------------------------------------------


@dataclass(frozen=True)
class MarketMonth:
    """One market's month, for its manager's screen and receipt."""

    market: str
    month: date
    pickups: int
    row: MonthRow
    outcomes: dict[Outcome, float]
    co2e: Co2e
    # Kilos of the 12 months up to this one (oldest first), this market and all markets.
    trend: list[tuple[date, float]] = field(default_factory=list)
    rank: int = 0  # 1 = the market that gave the most kilos this month
    markets: int = 0
    all_markets: dict[str, float] = field(default_factory=dict)  # kilos of every market
    outcome_rows: list[OutcomeRow] = field(default_factory=list)


def market_month(*, session: Session, actor: User, market_id: int, month: date) -> MarketMonth:
    """A market's crates, kilos, outcomes, CO2e and 12-month trend; a manager sees their own."""
    require(actor, Permission.dashboards)
    if actor.role == Role.market_manager and actor.market_id != market_id:
        raise PermissionDenied("error.market_view.other_market")
    market = session.get(Market, market_id)
    if market is None:
        raise NotFound("error.market.unknown")
    month = month.replace(day=1)
    first = add_months(month, -(CALIBRATION_MONTHS - 1))
    year = _compute(session, first, month_end(month), [market_id])
    this = _compute(session, month, month_end(month), None)
    mine = [r for r in this.months if r.market == market.name]
    row = mine[0] if mine else MonthRow(market.name, month, 0, 0.0, 0.0)
    by_month: dict[date, float] = defaultdict(float)
    for r in year.months:
        by_month[r.month] += r.kg
    ranking = sorted((r.kg for r in this.months), reverse=True)
    outcomes = [r for r in this.outcomes if r.market == market.name]
    per_outcome = dict.fromkeys(WASTE_HIERARCHY, 0.0)
    for o in outcomes:
        per_outcome[o.outcome] += o.kg
    return MarketMonth(
        market=market.name,
        month=month,
        pickups=_pickups(session, month, month_end(month), [market_id]),
        row=row,
        outcomes=per_outcome,
        co2e=co2e(outcomes),
        trend=[(add_months(first, i), by_month[add_months(first, i)]) for i in range(12)],
        rank=ranking.index(row.kg) + 1 if mine else 0,
        markets=len(ranking),
        all_markets={r.market: r.kg for r in this.months},
        outcome_rows=outcomes,
    )


# --- Public summary ------------------------------------------------------------------


@dataclass(frozen=True)
class PublicSummary:
    """The workshop's totals since its first pickup: no names, no hours per person."""

    since: date | None
    crates: int
    kg: float
    estimated_kg: float
    uncertainty_kg: float
    markets: int
    pieces: int
    outcomes: dict[Outcome, float]
    co2e: Co2e
    this_year_kg: float


def public_summary(*, session: Session, today: date | None = None) -> PublicSummary:
    """The public summary's totals; refused while the setting is off."""
    if not config.public_summary_enabled():
        raise PermissionDenied("error.summary.off")
    today = today or date.today()
    first = session.execute(sa_select(func.min(Lot.pickup_date))).scalar_one()
    since = date.fromisoformat(str(first)[:10]) if first else None
    data = _compute(session, since or today, today, None)
    year_kg = sum(r.kg for r in data.months if r.month.year == today.year)
    return PublicSummary(
        since=since,
        crates=data.totals.crates,
        kg=data.totals.kg,
        estimated_kg=data.totals.estimated_kg,
        uncertainty_kg=data.totals.uncertainty_kg,
        markets=len({r.market for r in data.months}),
        pieces=sum(p.pieces for p in data.pieces),
        outcomes=data.outcome_kg(),
        co2e=data.co2e,
        this_year_kg=year_kg,
    )

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

The database does the heavy part: crates are counted per pickup month, market, crate
kind (and outcome) in tallies kept by triggers (`TallyCounted`, `TallyOutcome`), read
for whole months; the days of a month that is not whole are counted from the rows.
The weights are applied here.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, TypeVar

from sqlalchemy import Float, String, case, cast, func, null, type_coerce
from sqlalchemy import select as sa_select
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, select

from workshop import config, dates, i18n
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
    TallyCounted,
    TallyOutcome,
    Trainee,
    User,
)

K = TypeVar("K")
CALIBRATION_MONTHS = 12
# A market's month is compared with the mean of the months just before it.
TREND_MONTHS = 3
_OUTCOMES = {o.value: o for o in Outcome}
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
# The workshop's own metrics on the other venues' page, computed here, never typed in.
OWN_VENUE_METRICS = ("crates collected", "kg diverted", "pieces built", "trainee hours")
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

    def source_in(self, lang: str) -> str:
        """The factor's source, in `lang` when it is the default one."""
        return co2e_source_text(self.source, lang)

    @property
    def co2e_uncertainty_kg(self) -> float:
        """± kg CO2e, from the uncertainty on the estimated kilos."""
        return self.uncertainty_kg * self.factor


def co2e_source_text(source: str, lang: str) -> str:
    """The CO2e factor's source as set (`config.co2e_source`), or the ADEME one in `lang`."""
    return source or i18n.translate("co2e.default_source", lang)


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

    def venue_figures(self) -> dict[str, dict[date, float]]:
        """The workshop's own monthly figures, by the name of the venue metric they fill."""
        figures: dict[str, dict[date, float]] = {name: {} for name in OWN_VENUE_METRICS}
        for row in self.months:
            for name, value in (("crates collected", row.crates), ("kg diverted", row.kg)):
                figures[name][row.month] = figures[name].get(row.month, 0.0) + value
        for p in self.pieces:
            figures["pieces built"][p.month] = figures["pieces built"].get(p.month, 0.0) + p.pieces
        for h in self.hours:
            figures["trainee hours"][h.month] = figures["trainee hours"].get(h.month, 0.0) + h.hours
        return figures


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
            got = self.samples.get((market_id, kind_id, dates.add_months(month, -back)))
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


def _sampled(kind_column: Any) -> ColumnElement[bool]:
    """True for a lot's crates of the kind its weighed sample is of (their kilos are weighed)."""
    return (
        (col(Lot.sample_kind_id) == kind_column)
        & (col(Lot.sample_count) > 0)
        & (col(Lot.sample_kg) > 0)
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
    since = dates.add_months(start.replace(day=1), -(CALIBRATION_MONTHS - 1))
    query = _lot_filter(query, since, end, market_ids)
    samples = {
        (market_id, kind_id, _month(m)): (int(n), float(sx), float(sxx))
        for market_id, kind_id, m, n, sx, sxx in session.connection().execute(query)
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

    def add(self, count: Count, unit: UnitWeight) -> None:
        n, weighed_n, weighed_kg = count
        self.crates += n
        self.weighed += weighed_kg
        rest = n - weighed_n
        self.estimated += rest * unit.kg
        self.uncertainty += rest * unit.uncertainty_kg
        if unit.calibrated:
            self.calibrated += rest * unit.kg


Group = tuple[int, date, int]  # market id, pickup month, crate kind id
# Crates; of those, crates of lots whose weighed sample is of their kind; their kilos.
Count = tuple[int, int, float]
Counts = dict[Group, Count]
OutcomeCounts = dict[tuple[Group, Outcome], Count]


def _spans(start: date, end: date) -> tuple[tuple[date, date] | None, list[tuple[date, date]]]:
    """The whole months within `start`–`end` (first, last month) and the days outside them."""
    first = start if start.day == 1 else dates.add_months(start, 1)
    last = end.replace(day=1) if end == dates.month_end(end) else dates.add_months(end, -1)
    if first > last:
        return None, [(start, end)]
    edges = []
    if start < first:
        edges.append((start, date.fromordinal(first.toordinal() - 1)))
    if end > dates.month_end(last):
        edges.append((end.replace(day=1), end))
    return (first, last), edges


def _add(into: dict[Any, Count], key: Any, count: Count) -> None:
    n, weighed_n, kg = into.get(key, (0, 0, 0.0))
    into[key] = (n + count[0], weighed_n + count[1], kg + count[2])


def _merge(into: dict[Any, Count], more: dict[Any, Count]) -> None:
    for key, count in more.items():
        _add(into, key, count)


def _tallied(
    session: Session, table: Any, months: tuple[date, date], market_ids: Any
) -> dict[Any, Count]:
    """Counts of whole months from a tally table (one tally row, one group)."""
    with_outcome = table is TallyOutcome
    query = sa_select(
        col(table.market_id),
        # As stored: SQLAlchemy's date parsing of every row cost more than the query.
        type_coerce(col(table.month), String),
        col(table.crate_kind_id),
        col(TallyOutcome.outcome) if with_outcome else null(),
        col(table.crates),
        col(table.sampled_crates),
        col(table.sampled_mg),
    ).where(col(table.month) >= months[0], col(table.month) <= months[1])
    if market_ids:
        query = query.where(col(table.market_id).in_(list(market_ids)))
    out: dict[Any, Count] = {}
    month_of: dict[Any, date] = {}
    # Tight loop: 15 000 rows a year at city scale. Weighed kilos are whole milligrams.
    for market_id, stored, kind_id, outcome, n, weighed_n, mg in (
        session.connection().execute(query).all()
    ):
        m = month_of.get(stored) or month_of.setdefault(stored, _month(stored))
        group = (market_id, m, kind_id)
        out[(group, _OUTCOMES[outcome]) if with_outcome else group] = (n, weighed_n, mg / 1e6)
    return out


def _line_groups(
    session: Session, start: date, end: date, market_ids: Sequence[int] | None
) -> Counts:
    """Crates counted at pickup per market, month and kind: tallies, then edge days."""
    months, edges = _spans(start, end)
    out: Counts = _tallied(session, TallyCounted, months, market_ids) if months else {}
    for edge in edges:
        _merge(out, _counted_lines(session, *edge, market_ids))
    return out


def _outcome_groups(
    session: Session, start: date, end: date, market_ids: Sequence[int] | None
) -> OutcomeCounts:
    """Tagged crates and sorted remainders per group and outcome: tallies, then edge days."""
    months, edges = _spans(start, end)
    out: OutcomeCounts = _tallied(session, TallyOutcome, months, market_ids) if months else {}
    for edge in edges:
        _merge(out, _counted_outcomes(session, *edge, market_ids))
    return out


# The same counts straight from lots, lines, crates and remainders: for days that do
# not make a whole month (and to check the tallies against, in the tests).


def _counts(n: Any, kind_id: Any) -> list[ColumnElement[Any]]:
    """SUM columns of a Count: crates, crates of weighed lots, their kilos."""
    sampled = _sampled(kind_id)
    return [
        func.sum(n),
        func.sum(case((sampled, n), else_=0)),
        func.sum(case((sampled, n * _sample_unit()), else_=0.0)),
    ]


def _counted_lines(
    session: Session, start: date, end: date, market_ids: Sequence[int] | None
) -> Counts:
    """Crates counted at pickup per market, month and kind, from the lot lines."""
    month = _month_key(Lot.pickup_date, session.get_bind().dialect.name)
    # The lots of the period by their date index first: joined plainly, SQLite read
    # every lot line (40 ms for one month at city scale, 4 ms this way).
    lot_ids = _lot_filter(sa_select(col(Lot.id)), start, end, market_ids)
    query = (
        sa_select(
            col(Lot.market_id),
            month,
            col(LotLine.crate_kind_id),
            *_counts(col(LotLine.count), col(LotLine.crate_kind_id)),
        )
        .select_from(LotLine)
        .join(Lot, col(Lot.id) == LotLine.lot_id)
        .where(col(LotLine.lot_id).in_(lot_ids))
        .group_by(col(Lot.market_id), month, col(LotLine.crate_kind_id))
    )
    return {
        (market_id, _month(m), kind_id): (int(n), int(weighed_n), float(kg))
        for market_id, m, kind_id, n, weighed_n, kg in session.connection().execute(query).all()
    }


def _counted_outcomes(
    session: Session, start: date, end: date, market_ids: Sequence[int] | None
) -> OutcomeCounts:
    """Tagged crates and sorted remainders per group and outcome, from the rows themselves."""
    month = _month_key(Lot.pickup_date, session.get_bind().dialect.name)
    out: OutcomeCounts = {}
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
        query = (
            sa_select(
                col(Lot.market_id),
                month,
                part.c.kind_id,
                part.c.outcome,
                *_counts(part.c.n, part.c.kind_id),
            )
            .select_from(part)
            .join(Lot, col(Lot.id) == part.c.lot_id)
            .group_by(col(Lot.market_id), month, part.c.kind_id, part.c.outcome)
        )
        rows = session.connection().execute(query).all()
        _merge(
            out,
            {
                ((market_id, _month(m), kind_id), _OUTCOMES[outcome]): (
                    int(n),
                    int(weighed_n),
                    float(kg),
                )
                for market_id, m, kind_id, outcome, n, weighed_n, kg in rows
            },
        )
    return out


def _market_names(session: Session) -> dict[int, str]:
    return {m.id or 0: m.name for m in session.exec(select(Market)).all()}


def _month_rows(lines: Counts, weights: Weights, names: dict[int, str]) -> list[MonthRow]:
    acc: dict[tuple[int, date], _Acc] = defaultdict(_Acc)
    for (market_id, month, kind_id), count in lines.items():
        acc[(market_id, month)].add(count, weights.unit(market_id, kind_id, month))
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
    lines: Counts,
    sorted_: OutcomeCounts,
    weights: Weights,
    names: dict[int, str],
) -> list[OutcomeRow]:
    acc: dict[tuple[int, date, Outcome], _Acc] = defaultdict(_Acc)
    done: Counts = {}
    for (group, outcome), count in sorted_.items():
        market_id, month, kind_id = group
        acc[(market_id, month, outcome)].add(count, weights.unit(market_id, kind_id, month))
        _add(done, group, count)
    # Crates counted at pickup but neither tagged nor sorted yet are still in stock.
    for group, (n, weighed_n, kg) in lines.items():
        d_n, d_weighed_n, d_kg = done.get(group, (0, 0, 0.0))
        if n > d_n:
            market_id, month, kind_id = group
            left_weighed = min(n - d_n, max(0, weighed_n - d_weighed_n))
            left = (n - d_n, left_weighed, max(0.0, kg - d_kg))
            acc[(market_id, month, Outcome.in_stock)].add(
                left, weights.unit(market_id, kind_id, month)
            )
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
    return int(session.connection().execute(query).scalar_one())


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
    return [
        PiecesRow(_month(m), name, int(n)) for m, name, n in session.connection().execute(query)
    ]


def _hours(session: Session, start: date, end: date) -> list[HoursRow]:
    month = _month_key(HourEntry.work_date, session.get_bind().dialect.name)
    # Hours count in the programme they were worked under, not the trainee's current one
    # (the trainee's only for rows that have none).
    worked_under = func.coalesce(HourEntry.programme_id, Trainee.programme_id)
    query = (
        sa_select(month, col(Programme.name), func.sum(HourEntry.minutes))
        .select_from(HourEntry)
        .join(Trainee, col(Trainee.id) == HourEntry.trainee_id)
        .join(Programme, col(Programme.id) == worked_under)
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
        for m, name, minutes in session.connection().execute(query)
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


def pieces_by_status(
    *, session: Session, actor: User, start: date, end: date
) -> dict[BuildStatus, int]:
    """Pieces finished from `start` to `end` (as the dashboard counts them), by where they are
    now: still at the workshop (finished), sold, donated, installed."""
    require(actor, Permission.dashboards)
    query = (
        sa_select(col(Build.status), func.count())
        .where(
            col(Build.finished_on) >= start,
            col(Build.finished_on) <= end,
            col(Build.status).in_(BUILT_STATUSES),
        )
        .group_by(col(Build.status))
    )
    counted = dict.fromkeys(BUILT_STATUSES, 0)
    for status, n in session.connection().execute(query):
        counted[BuildStatus(status)] = int(n)
    return counted


def data_version(*, session: Session) -> int:
    """A number that changes with every write (each write adds an audit event): a cache key."""
    return int(session.connection().execute(sa_select(func.max(AuditEvent.id))).scalar_one() or 0)


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

    def shares(self) -> dict[Outcome, int]:
        """Whole percentages of the kilos per outcome adding up to 100 (largest remainders)."""
        return whole_percentages(self.outcomes)

    def change_vs_before(self) -> tuple[int, float] | None:
        """Percent change of the month's kilos against the mean of the TREND_MONTHS before it,
        and that mean (None: no such months, or nothing collected in them)."""
        before = [kg for _, kg in self.trend[-1 - TREND_MONTHS : -1]]
        mean = sum(before) / TREND_MONTHS if len(before) == TREND_MONTHS else 0.0
        if mean <= 0:
            return None
        return round(100 * (self.row.kg - mean) / mean), mean


def whole_percentages(amounts: Mapping[K, float]) -> dict[K, int]:
    """Whole percentages of the positive `amounts`, adding up to 100 (largest remainders);
    empty when there is nothing."""
    total = sum(amounts.values())
    if total <= 0:
        return {}
    exact = {key: 100 * value / total for key, value in amounts.items() if value > 0}
    whole = {key: int(value) for key, value in exact.items()}
    for key in sorted(exact, key=lambda k: whole[k] - exact[k])[: 100 - sum(whole.values())]:
        whole[key] += 1
    return whole


def market_month(*, session: Session, actor: User, market_id: int, month: date) -> MarketMonth:
    """A market's crates, kilos, outcomes, CO2e and 12-month trend; a manager sees their own."""
    require(actor, Permission.dashboards)
    if actor.role == Role.market_manager and actor.market_id != market_id:
        raise PermissionDenied("error.market_view.other_market")
    market = session.get(Market, market_id)
    if market is None:
        raise NotFound("error.market.unknown")
    month = month.replace(day=1)
    first = dates.add_months(month, -(CALIBRATION_MONTHS - 1))
    year = _compute(session, first, dates.month_end(month), [market_id])
    this = _compute(session, month, dates.month_end(month), None)
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
        pickups=_pickups(session, month, dates.month_end(month), [market_id]),
        row=row,
        outcomes=per_outcome,
        co2e=co2e(outcomes),
        trend=[(m, by_month[m]) for m in (dates.add_months(first, i) for i in range(12))],
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
    today = today or dates.today()
    first = session.connection().execute(sa_select(func.min(Lot.pickup_date))).scalar_one()
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


# --- Open data -----------------------------------------------------------------------


@dataclass(frozen=True)
class OpenDataRow:
    """One market's month for the open-data files: kilos, crates by outcome, CO2e."""

    market: str
    month: date
    crates: int
    weighed_kg: float
    estimated_kg: float
    uncertainty_kg: float
    crates_by_outcome: dict[Outcome, int]
    co2e_kg: float


@dataclass(frozen=True)
class OpenData:
    """Every market and month since the first pickup, and the CO2e factor with its source."""

    rows: list[OpenDataRow]
    co2e_factor: float
    co2e_source: str


def open_data(*, session: Session, today: date | None = None) -> OpenData:
    """The figures per market and month anyone may reuse; refused while the public summary
    is off (the same setting publishes both)."""
    if not config.public_summary_enabled():
        raise PermissionDenied("error.summary.off")
    today = today or dates.today()
    first = session.connection().execute(sa_select(func.min(Lot.pickup_date))).scalar_one()
    since = date.fromisoformat(str(first)[:10]) if first else today
    data = _compute(session, since, today, None)
    outcomes: dict[tuple[str, date], dict[Outcome, int]] = defaultdict(
        lambda: dict.fromkeys(WASTE_HIERARCHY, 0)
    )
    co2e_kg: dict[tuple[str, date], float] = defaultdict(float)
    for row in data.outcomes:
        outcomes[row.market, row.month][row.outcome] += row.crates
        if row.outcome in CO2E_OUTCOMES:
            co2e_kg[row.market, row.month] += row.kg * config.co2e_factor()
    rows = [
        OpenDataRow(
            market=m.market,
            month=m.month,
            crates=m.crates,
            weighed_kg=m.weighed_kg,
            estimated_kg=m.estimated_kg,
            uncertainty_kg=m.uncertainty_kg,
            crates_by_outcome=outcomes[m.market, m.month],
            co2e_kg=co2e_kg[m.market, m.month],
        )
        for m in sorted(data.months, key=lambda r: (r.month, r.market))
    ]
    return OpenData(rows, config.co2e_factor(), config.co2e_source())

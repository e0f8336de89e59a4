"""Kilos diverted from market waste, per market and month (SQL aggregates).

A lot line's kilos are *weighed* when the lot has a weighed sample of that crate
kind (count × the sample's mean weight), otherwise *estimated* (count × the
kind's default weight). Both are kept apart so every figure can say which it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Float, case, cast, func
from sqlalchemy import select as sa_select
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, select

from workshop.accounts import Permission, require
from workshop.models import CrateKind, Lot, LotLine, Market, User


@dataclass(frozen=True)
class MonthRow:
    """Crates and kilos collected at one market in one month."""

    market: str
    month: date
    crates: int
    weighed_kg: float
    estimated_kg: float

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

    @property
    def kg(self) -> float:
        """Weighed and estimated kilos together."""
        return self.weighed_kg + self.estimated_kg


def _month_start(column: Any, dialect: str) -> ColumnElement[str]:
    if dialect == "postgresql":
        return func.to_char(func.date_trunc("month", column), "YYYY-MM-DD")
    return func.strftime("%Y-%m-01", column)


def _line_kg_parts() -> tuple[ColumnElement[Any], ColumnElement[Any]]:
    sampled = (col(Lot.sample_kind_id) == col(LotLine.crate_kind_id)) & (col(Lot.sample_count) > 0)
    unit = case(
        (sampled, cast(Lot.sample_kg, Float) / cast(Lot.sample_count, Float)),
        else_=col(CrateKind.default_weight_kg),
    )
    return sampled, col(LotLine.count) * unit


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
    dialect = session.get_bind().dialect.name
    sampled, kg = _line_kg_parts()
    month = _month_start(Lot.pickup_date, dialect).label("month")
    query = (
        sa_select(
            col(Market.name),
            month,
            func.sum(LotLine.count),
            func.sum(case((sampled, kg), else_=0.0)),
            func.sum(case((sampled, 0.0), else_=kg)),
        )
        .select_from(LotLine)
        .join(Lot, col(Lot.id) == LotLine.lot_id)
        .join(Market, col(Market.id) == Lot.market_id)
        .join(CrateKind, col(CrateKind.id) == LotLine.crate_kind_id)
        .where(col(Lot.pickup_date) >= start, col(Lot.pickup_date) <= end)
        .group_by(col(Market.name), month)
        .order_by(month, col(Market.name))
    )
    if market_ids:
        query = query.where(col(Lot.market_id).in_(market_ids))
    return [
        MonthRow(
            market=name,
            month=date.fromisoformat(str(m)[:10]),
            crates=int(crates or 0),
            weighed_kg=float(weighed or 0),
            estimated_kg=float(estimated or 0),
        )
        for name, m, crates, weighed, estimated in session.execute(query)
    ]


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
    query = (
        select(func.count())
        .select_from(Lot)
        .where(Lot.pickup_date >= start, Lot.pickup_date <= end)
    )
    if market_ids:
        query = query.where(col(Lot.market_id).in_(market_ids))
    return Totals(
        crates=sum(r.crates for r in rows),
        weighed_kg=sum(r.weighed_kg for r in rows),
        estimated_kg=sum(r.estimated_kg for r in rows),
        pickups=session.exec(query).one(),
    )

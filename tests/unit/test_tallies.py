"""Dashboard tallies (kept by migration 0007's triggers) always equal a count of the rows.

Every check compares what the dashboard reads for whole months (`tally_counted`,
`tally_outcome`) with the same figures counted straight from lots, lines, crates and
remainders (`impact._counted_*`, the path used for the days of a partial month).

Cross-cutting: not one module's tests (test_meta lists the files that are not).
"""

from __future__ import annotations

import random
import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import text
from sqlmodel import select

from tests import factories
from workshop import builds, crates, dates, db, impact, pickups, schema
from workshop.errors import DomainError
from workshop.models import Crate, Lot, Market, Outcome, Role

TODAY = dates.today()
# Whole months from five months ago to the end of this one: every pickup below.
SPAN = (dates.add_months(TODAY.replace(day=1), -5), dates.month_end(TODAY))


def _nonzero(counts: dict) -> dict:
    return {k: (n, weighed, round(kg, 3)) for k, (n, weighed, kg) in counts.items() if n}


def _crates(counts: dict) -> int:
    return sum(n for n, _, _ in counts.values())


def assert_tallies_match(engine, start: date = SPAN[0], end: date = SPAN[1]) -> None:
    """What the dashboard reads equals a count of the rows (kilos to the gram)."""
    with db.read_session(engine) as session:
        assert impact._spans(start, end) == ((start, end.replace(day=1)), [])
        some = [m.id or 0 for m in session.exec(select(Market)).all()][1:3]
        for markets in (None, some):
            assert _nonzero(impact._line_groups(session, start, end, markets)) == _nonzero(
                impact._counted_lines(session, start, end, markets)
            )
            assert _nonzero(impact._outcome_groups(session, start, end, markets)) == _nonzero(
                impact._counted_outcomes(session, start, end, markets)
            )


def _some_work(engine, rng: random.Random, steps: int) -> dict[str, int]:
    """A random walk through every write that moves crates; refusals are part of it."""
    lead = factories.user(engine, Role.lead)
    admin = factories.user(engine, Role.admin)
    kinds = [k.id or 0 for k in factories.kinds(engine)]
    with db.read_session(engine) as session:
        markets = [m.id or 0 for m in session.exec(select(Market)).all()][:4]
    build = factories.build(engine, lead)
    done: dict[str, int] = {}

    def lots() -> list[int]:
        with db.read_session(engine) as session:
            return [lot.id or 0 for lot in session.exec(select(Lot)).all()]

    def a_day() -> date:
        return TODAY - timedelta(days=rng.randrange(0, 140))

    def a_sample() -> pickups.Sample | None:
        if rng.random() < 0.5:
            return None
        return pickups.Sample(rng.choice(kinds), rng.randint(1, 3), round(rng.uniform(1, 9), 2))

    def counts() -> dict[int, int]:
        return {k: rng.randint(0, 6) for k in kinds} | {kinds[0]: rng.randint(1, 8)}

    for _ in range(steps):
        action = rng.choice(
            ["log", "log", "edit", "delete", "sort", "sort", "outcome", "attach", "undo"]
        )
        try:
            with db.write_session(engine) as session:
                if action == "log":
                    pickups.log_pickup(
                        session=session,
                        actor=lead,
                        fields=pickups.PickupFields(
                            market_id=rng.choice(markets),
                            pickup_date=a_day(),
                            counts=counts(),
                            sample=a_sample(),
                        ),
                    )
                elif action == "edit" and lots():
                    pickups.update_pickup(
                        session=session,
                        actor=lead,
                        lot_id=rng.choice(lots()),
                        reason="correction",
                        fields=pickups.PickupFields(
                            market_id=rng.choice(markets),
                            pickup_date=a_day(),
                            counts=counts(),
                            sample=a_sample(),
                            note="",
                        ),
                    )
                elif action == "delete" and lots():
                    pickups.delete_pickup(
                        session=session, actor=admin, lot_id=rng.choice(lots()), reason="doublon"
                    )
                elif action == "sort" and lots():
                    crates.sort_lot(
                        session=session,
                        actor=lead,
                        lot_id=rng.choice(lots()),
                        tag={rng.choice(kinds): rng.randint(0, 3)},
                        remainder=rng.choice([None, Outcome.recycled, Outcome.firewood]),
                    )
                elif action in ("outcome", "attach"):
                    codes = session.exec(select(Crate.code)).all()
                    if not codes:
                        continue
                    if action == "outcome":
                        crates.set_outcome(
                            session=session,
                            actor=lead,
                            code=rng.choice(codes),
                            outcome=rng.choice(list(Outcome)),
                        )
                    else:
                        builds.attach_crate(
                            session=session,
                            actor=lead,
                            build_id=build.id or 0,
                            text=rng.choice(codes),
                        )
                elif action == "undo":
                    builds.undo_last(session=session, actor=lead, build_id=build.id or 0)
            done[action] = done.get(action, 0) + 1
        except DomainError:
            done["refused"] = done.get("refused", 0) + 1
        assert_tallies_match(engine)
    return done


def test_tallies_follow_every_kind_of_write(engine):
    done = _some_work(engine, random.Random(7), steps=120)
    # The walk did exercise each path, and some were refused (rolled back whole).
    assert {"log", "edit", "delete", "sort", "outcome", "attach", "undo", "refused"} <= set(done)
    with db.read_session(engine) as session:
        assert _crates(impact._line_groups(session, *SPAN, None)) > 50


def test_pickup_moved_to_another_month_and_market_moves_its_crates(engine):
    lead = factories.user(engine, Role.lead)
    lot = factories.lot(engine, lead, on=SPAN[0] + timedelta(days=3), counts=(6, 2), sample=(2, 5))
    with db.write_session(engine) as session:
        crates.sort_lot(
            session=session,
            actor=lead,
            lot_id=lot.id or 0,
            tag={factories.kinds(engine)[0].id or 0: 4},
            remainder=Outcome.recycled,
        )
    other = factories.market(engine, "Marché Belgrand")
    with db.write_session(engine) as session:
        # Straight in the database: the triggers keep up whatever writes the rows.
        session.execute(
            text("UPDATE lot SET market_id = :m, pickup_date = :d, sample_kg = 7 WHERE id = :i"),
            {"m": other.id, "d": TODAY, "i": lot.id},
        )
    assert_tallies_match(engine)
    with db.read_session(engine) as session:
        groups = impact._outcome_groups(session, *SPAN, None)
    month = TODAY.replace(day=1)
    standard = factories.kinds(engine)[0].id
    # 4 tagged standard crates, all of the weighed kind: 7 kg / 2 crates each.
    assert groups[((other.id, month, standard), Outcome.in_stock)] == (4, 4, pytest.approx(14))
    assert {group[1] for (group, _), (n, _, _) in groups.items() if n} == {month}


def test_partial_months_are_counted_from_the_rows(engine):
    lead = factories.user(engine, Role.lead)
    first = SPAN[0]
    for day in (first, first + timedelta(days=9), dates.add_months(first, 1) + timedelta(days=2)):
        factories.lot(engine, lead, on=day, counts=(3, 1), sample=(1, 2.5))
    start, end = first + timedelta(days=5), dates.add_months(first, 2) + timedelta(days=4)
    months, edges = impact._spans(start, end)
    assert months == (dates.add_months(first, 1), dates.add_months(first, 1))
    assert edges == [(start, dates.month_end(first)), (dates.add_months(first, 2), end)]
    with db.read_session(engine) as session:
        mixed = impact._line_groups(session, start, end, None)
        assert mixed == impact._counted_lines(session, start, end, None)
    assert _crates(mixed) == 8  # the lot of the 1st is outside


def test_spans_of_periods():
    assert impact._spans(date(2026, 1, 1), date(2026, 12, 31)) == (
        (date(2026, 1, 1), date(2026, 12, 1)),
        [],
    )
    assert impact._spans(date(2026, 1, 10), date(2026, 1, 20)) == (
        None,
        [(date(2026, 1, 10), date(2026, 1, 20))],
    )
    assert impact._spans(date(2026, 2, 1), date(2026, 2, 27)) == (
        None,
        [(date(2026, 2, 1), date(2026, 2, 27))],
    )
    assert impact._spans(date(2025, 12, 31), date(2026, 2, 28)) == (
        (date(2026, 1, 1), date(2026, 2, 1)),
        [(date(2025, 12, 31), date(2025, 12, 31))],
    )


def test_migration_counts_the_rows_already_there(engine):
    _some_work(engine, random.Random(3), steps=40)
    with db.read_session(engine) as session:
        before = _nonzero(impact._outcome_groups(session, *SPAN, None))
    config = schema.alembic_config(engine)
    command.downgrade(config, "0006")
    with engine.connect() as conn:
        tables = set(conn.dialect.get_table_names(conn))
    assert "tally_outcome" not in tables
    command.upgrade(config, "head")
    assert_tallies_match(engine)
    with db.read_session(engine) as session:
        assert _nonzero(impact._outcome_groups(session, *SPAN, None)) == before


def test_lot_deleted_in_the_database_takes_its_lines_out(engine):
    lead = factories.user(engine, Role.lead)
    gone = factories.lot(engine, lead, counts=(5, 1), sample=(2, 4.5))
    factories.lot(engine, lead, counts=(2,))
    with db.write_session(engine) as session:
        # ON DELETE CASCADE removes the lines; the tallies must follow.
        session.execute(text("DELETE FROM lot WHERE id = :i"), {"i": gone.id})
    assert_tallies_match(engine)
    with db.read_session(engine) as session:
        assert _crates(impact._line_groups(session, *SPAN, None)) == 2


def test_only_the_triggers_write_the_tallies():
    # Derived data: the app reads them (impact.py), clears them before a restore
    # (backup.py) and declares them (models.py); anything else would bypass the triggers.
    root = Path(impact.__file__).parent
    users = {
        p.name
        for p in root.rglob("*.py")
        if any(name in p.read_text(encoding="utf-8") for name in ("tally_", "Tally"))
    }
    assert users == {"models.py", "impact.py", "backup.py"}
    source = (root / "impact.py").read_text(encoding="utf-8")
    assert not re.search(r"(insert|update|delete)\(\s*(col\()?Tally", source)

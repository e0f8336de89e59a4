"""Dashboard speed on a city-scale dataset: each query against its bare-SQL floor, and the page.

    .venv/bin/python benchmarks/bench_dashboard.py [--db /tmp/bench-dashboard.db] [--rebuild]

The dataset (80 markets × 5 years, ≈ 2 000 000 tagged crates with outcomes) is made
once with sqlite3 `executemany` straight into a migrated database and kept for the
next runs. Each dashboard query is timed through the app (SQLAlchemy session, rows
turned into Python objects) and, in the same run and alternating with it, as the same
GROUP BY written by hand and run with the `sqlite3` module (the floor). Then the
dashboard page script runs in AppTest, with an empty cache and a warm one. Finally
the dashboard index is dropped to show what they are worth.
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import sqlite3
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlmodel import select  # noqa: E402

from workshop import dates, db, impact, schema, startup  # noqa: E402
from workshop.accounts import hash_password  # noqa: E402
from workshop.models import User  # noqa: E402

N_MARKETS = 80
YEARS = 5
# Pickups up to today, as on a live server: the page's default period ends today, in a
# month that is not over (its days are counted from the rows, not from the tallies).
END = dates.today()
START = dates.add_months(END.replace(day=1), -12 * YEARS + 1)
OUTCOMES = (
    ("in_build", 0.20),
    ("reused", 0.15),
    ("recycled", 0.25),
    ("firewood", 0.15),
    ("in_stock", 0.25),
)
DASHBOARD_INDEXES = ("ix_crate_lot_kind_outcome",)


def _draw_outcome(r: float) -> str:
    acc = 0.0
    for outcome, share in OUTCOMES:
        acc += share
        if r < acc:
            return outcome
    return OUTCOMES[-1][0]


def build_dataset(path: Path) -> None:
    """Migrate a new database and fill it in bulk (never the ORM row by row)."""
    if path.exists():
        path.unlink()
    engine = startup.open_database(f"sqlite:///{path}")
    engine.dispose()
    rng = random.Random(6)
    con = sqlite3.connect(path)
    con.execute("PRAGMA synchronous=OFF")
    cur = con.cursor()
    existing = cur.execute("SELECT count(*) FROM market").fetchone()[0]
    cur.executemany(
        "INSERT INTO market (name, location, arrondissement, in_20e, days, active) "
        "VALUES (?, '', '20', 1, 'mar;ven', 1)",
        [(f"Marché banc {i:02d}",) for i in range(N_MARKETS - existing)],
    )
    markets = [r[0] for r in cur.execute("SELECT id FROM market")]
    kinds = [r[0] for r in cur.execute("SELECT id FROM cratekind ORDER BY id")]
    # Indexes are built once after the bulk insert: far faster than row by row.
    indexes = cur.execute(
        "SELECT name, sql FROM sqlite_master WHERE type='index' AND sql IS NOT NULL "
        "AND tbl_name IN ('lot', 'lotline', 'crate', 'lotremainder')"
    ).fetchall()
    for name, _ in indexes:
        cur.execute(f'DROP INDEX "{name}"')
    lots, lines, crates, rests = [], [], [], []
    lot_id = crate_id = 0
    day = START
    while day <= END:
        for market in markets:
            if (day.toordinal() + market) % 7 not in (1, 4):  # two market days a week
                continue
            lot_id += 1
            counts = [rng.randint(30, 62), rng.randint(8, 22), rng.randint(2, 8)]
            sample = None
            if rng.random() < 0.25:
                n = rng.randint(3, 8)
                sample = (kinds[0], n, round(n * rng.gauss(1.35, 0.12), 2))
            lots.append(
                (
                    lot_id,
                    f"L{lot_id:06d}",
                    market,
                    day.isoformat(),
                    *(sample or (None, None, None)),
                )
            )
            for kind, count in zip(kinds, counts, strict=True):
                lines.append((lot_id, kind, count))
                tagged = round(count * 0.74)
                for _ in range(tagged):
                    crate_id += 1
                    outcome = _draw_outcome(rng.random())
                    crates.append((crate_id, f"C{crate_id:06d}", lot_id, kind, outcome))
                if rng.random() < 0.6:
                    rests.append(
                        (lot_id, kind, rng.choice(("recycled", "firewood")), count - tagged)
                    )
        day += timedelta(days=1)
    cur.executemany(
        "INSERT INTO lot (id, code, market_id, pickup_date, note, sample_kind_id, sample_count, "
        "sample_kg, created_at) VALUES (?, ?, ?, ?, '', ?, ?, ?, '2026-01-01 00:00:00')",
        lots,
    )
    cur.executemany("INSERT INTO lotline (lot_id, crate_kind_id, count) VALUES (?, ?, ?)", lines)
    cur.executemany(
        "INSERT INTO crate (id, code, lot_id, crate_kind_id, outcome, outcome_at, created_at) "
        "VALUES (?, ?, ?, ?, ?, '2026-01-01 00:00:00', '2026-01-01 00:00:00')",
        crates,
    )
    cur.executemany(
        "INSERT INTO lotremainder (lot_id, crate_kind_id, outcome, count, sorted_at) "
        "VALUES (?, ?, ?, ?, '2026-01-01 00:00:00')",
        rests,
    )
    designs = [r[0] for r in cur.execute("SELECT id FROM design")]
    builds = []
    for i in range(15_000):
        finished = START + timedelta(days=rng.randrange((END - START).days))
        builds.append(
            (f"M{i:06d}", rng.choice(designs), "finished", finished.isoformat(), "2026-01-01")
        )
    cur.executemany(
        "INSERT INTO build (code, design_id, status, finished_on, destination, note, created_at) "
        "VALUES (?, ?, ?, ?, '', '', ?)",
        builds,
    )
    programmes = [r[0] for r in cur.execute("SELECT id FROM programme")]
    trainees = []
    for i in range(40):
        cur.execute(
            "INSERT INTO trainee (display_name, programme_id, start_date, badge_code, pin_hash, "
            "consent_name, consent_photo, created_at) VALUES (?, ?, ?, ?, '', 0, 0, '2026-01-01')",
            (f"T{i}", rng.choice(programmes), START.isoformat(), f"B{i:06d}"),
        )
        trainees.append(cur.lastrowid)
    # Each entry in the programme it was worked under (the trainee's: nobody moves here).
    programme_of = dict(cur.execute("SELECT id, programme_id FROM trainee").fetchall())
    entries = []
    day = START
    while day <= END:
        if day.weekday() < 5:
            for trainee in rng.sample(trainees, 20):
                entries.append(
                    (
                        trainee,
                        programme_of[trainee],
                        day.isoformat(),
                        420,
                        "assemblage",
                        "approved",
                        "staff",
                    )
                )
        day += timedelta(days=1)
    cur.executemany(
        "INSERT INTO hourentry (trainee_id, programme_id, work_date, minutes, activity, status, "
        "source, reason, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, '', '2026-01-01')",
        entries,
    )
    con.commit()
    for _, sql in indexes:
        cur.execute(sql)
    con.commit()
    con.close()
    print(
        f"dataset: {len(markets)} markets, {len(lots):,} pickups, {sum(c for *_, c in lines):,} "
        f"crates counted, {len(crates):,} tagged crates, {len(rests):,} remainders, "
        f"{len(builds):,} builds, {len(entries):,} hour entries"
    )


# --- The floors: the same GROUP BY queries, by hand --------------------------------------

_SAMPLED = "(l.sample_kind_id = {k} AND l.sample_count > 0 AND l.sample_kg > 0)"
FLOORS = {
    "samples (calibration)": (
        "SELECT market_id, sample_kind_id, substr(pickup_date, 1, 7) AS m, count(*), "
        "sum(CAST(sample_kg AS REAL) / sample_count), "
        "sum((CAST(sample_kg AS REAL) / sample_count) * (CAST(sample_kg AS REAL) / sample_count)) "
        "FROM lot WHERE sample_count > 0 AND sample_kg > 0 AND pickup_date >= :since "
        "AND pickup_date <= :end GROUP BY market_id, sample_kind_id, m"
    ),
    "lot lines": (
        "SELECT l.market_id, substr(l.pickup_date, 1, 7) AS m, ll.crate_kind_id, sum(ll.count), "
        f"sum(CASE WHEN {_SAMPLED.format(k='ll.crate_kind_id')} THEN ll.count ELSE 0 END), "
        f"sum(CASE WHEN {_SAMPLED.format(k='ll.crate_kind_id')} "
        "THEN ll.count * (CAST(l.sample_kg AS REAL) / l.sample_count) ELSE 0.0 END) "
        "FROM lotline ll JOIN lot l ON l.id = ll.lot_id WHERE ll.lot_id IN "
        "(SELECT id FROM lot WHERE pickup_date >= :start AND pickup_date <= :end) "
        "GROUP BY l.market_id, m, ll.crate_kind_id"
    ),
    "tagged crates by outcome": (
        "SELECT l.market_id, substr(l.pickup_date, 1, 7) AS m, p.kind_id, p.outcome, sum(p.n), "
        f"sum(CASE WHEN {_SAMPLED.format(k='p.kind_id')} THEN p.n ELSE 0 END), "
        f"sum(CASE WHEN {_SAMPLED.format(k='p.kind_id')} "
        "THEN p.n * (CAST(l.sample_kg AS REAL) / l.sample_count) ELSE 0.0 END) "
        "FROM (SELECT lot_id, crate_kind_id AS kind_id, outcome, count(*) AS n FROM crate "
        "WHERE lot_id IN (SELECT id FROM lot WHERE pickup_date >= :start AND pickup_date <= :end) "
        "GROUP BY lot_id, crate_kind_id, outcome) p JOIN lot l ON l.id = p.lot_id "
        "GROUP BY l.market_id, m, p.kind_id, p.outcome"
    ),
    "sorted remainders": (
        "SELECT l.market_id, substr(l.pickup_date, 1, 7) AS m, r.crate_kind_id, r.outcome, "
        f"sum(r.count), sum(CASE WHEN {_SAMPLED.format(k='r.crate_kind_id')} "
        "THEN r.count ELSE 0 END), "
        f"sum(CASE WHEN {_SAMPLED.format(k='r.crate_kind_id')} "
        "THEN r.count * (CAST(l.sample_kg AS REAL) / l.sample_count) ELSE 0.0 END) "
        "FROM lotremainder r JOIN lot l ON l.id = r.lot_id "
        "WHERE r.lot_id IN (SELECT id FROM lot "
        "WHERE pickup_date >= :start AND pickup_date <= :end) "
        "GROUP BY l.market_id, m, r.crate_kind_id, r.outcome"
    ),
    "pickups": "SELECT count(*) FROM lot WHERE pickup_date >= :start AND pickup_date <= :end",
    "pieces built": (
        "SELECT substr(b.finished_on, 1, 7) AS m, d.name, count(*) FROM build b "
        "JOIN design d ON d.id = b.design_id WHERE b.finished_on >= :start "
        "AND b.finished_on <= :end AND b.status IN ('finished', 'sold', 'donated', 'installed') "
        "GROUP BY m, d.name"
    ),
    "trainee hours": (
        "SELECT substr(h.work_date, 1, 7) AS m, p.name, sum(h.minutes) FROM hourentry h "
        "JOIN trainee t ON t.id = h.trainee_id "
        "JOIN programme p ON p.id = coalesce(h.programme_id, t.programme_id) "
        "WHERE h.status = 'approved' AND h.work_date >= :start AND h.work_date <= :end "
        "GROUP BY m, p.name"
    ),
}


TALLIES = {
    "lot lines": (
        "SELECT market_id, month, crate_kind_id, crates, sampled_crates, sampled_mg "
        "FROM tally_counted WHERE month >= :m0 AND month <= :m1"
    ),
    "crates by outcome": (
        "SELECT market_id, month, crate_kind_id, outcome, crates, sampled_crates, sampled_mg "
        "FROM tally_outcome WHERE month >= :m0 AND month <= :m1"
    ),
}
# What each timed function runs: the tallies for whole months, the rows for the days of
# a month that is not whole (the floor runs the same queries by hand).
COUNTED = {
    "lot lines": ["lot lines"],
    "crates by outcome": ["tagged crates by outcome", "sorted remainders"],
}


def _floor_queries(name: str, start: date, end: date) -> list[tuple[str, dict[str, str]]]:
    """The hand-written queries the app's function `name` stands for, with their parameters."""

    def rows(sql_names: list[str], s: date, e: date) -> list[tuple[str, dict[str, str]]]:
        since = dates.add_months(s.replace(day=1), -11).isoformat()
        params = {"start": s.isoformat(), "end": e.isoformat(), "since": since}
        return [(FLOORS[n], params) for n in sql_names]

    if name.endswith("(no tallies)"):
        return rows(COUNTED[name.removesuffix(" (no tallies)")], start, end)
    if name not in TALLIES:
        return rows([name], start, end)
    months, edges = impact._spans(start, end)
    out = []
    if months:
        out.append((TALLIES[name], {"m0": months[0].isoformat(), "m1": months[1].isoformat()}))
    for edge in edges:
        out += rows(COUNTED[name], *edge)
    return out


def _ours(name: str, session, start: date, end: date) -> Callable[[], object]:
    calls: dict[str, Callable[[], object]] = {
        "samples (calibration)": lambda: (
            impact.load_weights(session=session, start=start, end=end).samples
        ),
        "lot lines": lambda: impact._line_groups(session, start, end, None),
        "crates by outcome": lambda: impact._outcome_groups(session, start, end, None),
        "pickups": lambda: impact._pickups(session, start, end, None),
        "pieces built": lambda: impact._pieces(session, start, end),
        "trainee hours": lambda: impact._hours(session, start, end),
        # For comparison: the same figures counted from the rows, as before the tallies.
        "lot lines (no tallies)": lambda: impact._counted_lines(session, start, end, None),
        "crates by outcome (no tallies)": lambda: impact._counted_outcomes(
            session, start, end, None
        ),
    }
    return calls[name]


QUERIES = (
    "samples (calibration)",
    "lot lines",
    "crates by outcome",
    "pickups",
    "pieces built",
    "trainee hours",
    "lot lines (no tallies)",
    "crates by outcome (no tallies)",
)


def _batch_ms(fn: Callable[[], object], batch: int) -> float:
    """Mean time of one call over `batch` calls (sub-millisecond queries need many)."""
    t0 = time.perf_counter()
    for _ in range(batch):
        fn()
    return (time.perf_counter() - t0) * 1000 / batch


def _median_ms(fn: Callable[[], object], runs: int) -> float:
    return statistics.median(_batch_ms(fn, 1) for _ in range(runs))


def time_queries(path: Path, start: date, end: date, runs: int) -> list[tuple[str, float, float]]:
    """(name, ours ms, floor ms) for each query, alternating ours and the floor."""
    engine = db.make_engine(f"sqlite:///{path}")
    con = sqlite3.connect(path)
    results = []
    with db.read_session(engine) as session:
        for name in QUERIES:
            ours = _ours(name, session, start, end)
            queries = _floor_queries(name, start, end)

            def floor(queries: list[tuple[str, dict[str, str]]] = queries) -> None:
                for sql, params in queries:
                    con.execute(sql, params).fetchall()

            ours()
            floor()  # warm the page cache for both
            batch = max(1, int(20 / max(_batch_ms(ours, 1), 0.01)))  # ≥ 20 ms a sample
            ours_ms, floor_ms = [], []
            for _ in range(runs):
                ours_ms.append(_batch_ms(ours, batch))
                floor_ms.append(_batch_ms(floor, batch))
            results.append((name, statistics.median(ours_ms), statistics.median(floor_ms)))
        whole = lambda: impact._compute(session, start, end, None)  # noqa: E731
        whole()
        results.append(("whole dashboard (impact.dashboard)", _median_ms(whole, runs), 0.0))
    con.close()
    engine.dispose()
    return results


def time_page(path: Path, runs: int) -> tuple[list[float], list[float]]:
    """Dashboard page script in AppTest: cold (cache cleared) and warm runs, ms."""
    from streamlit.testing.v1 import AppTest

    os.environ["WORKSHOP_DATABASE_URL"] = f"sqlite:///{path}"
    engine = db.make_engine(f"sqlite:///{path}")
    with db.write_session(engine) as session:
        user = session.exec(select(User).where(User.username == "bench")).first()
        if user is None:
            user = User(
                username="bench",
                display_name="Bench",
                role="lead",
                password_hash=hash_password("x" * 8),
            )
            session.add(user)
            session.flush()
        user_id = user.id
    engine.dispose()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.session_state["user_id"] = user_id
    at.run()
    at.switch_page("workshop/ui/pages/dashboard.py").run()  # engine and imports warmed
    assert not at.exception, at.exception
    cold, warm = [], []
    con = sqlite3.connect(path)
    for _ in range(runs):
        # Cold: a new audit event (what every write adds) moves the cache key, as after
        # a write in the app; the engine and the imports stay warm, as on a live server.
        con.execute(
            "INSERT INTO auditevent (at, action, entity, entity_id, before, after, reason) "
            "VALUES ('2026-01-01', 'bench', 'bench', '', '', '', '')"
        )
        con.commit()
        t0 = time.perf_counter()
        at.run()
        cold.append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        at.run()
        warm.append((time.perf_counter() - t0) * 1000)
        assert not at.exception, at.exception
    con.close()
    return cold, warm


def drop_indexes(path: Path) -> list[str]:
    """Drop the dashboard indexes; return their CREATE statements."""
    con = sqlite3.connect(path)
    sqls = [
        con.execute("SELECT sql FROM sqlite_master WHERE name = ?", (name,)).fetchone()[0]
        for name in DASHBOARD_INDEXES
    ]
    for name in DASHBOARD_INDEXES:
        con.execute(f"DROP INDEX {name}")
    con.commit()
    con.close()
    return sqls


def restore_indexes(path: Path, sqls: list[str]) -> None:
    """Create the dropped indexes again."""
    con = sqlite3.connect(path)
    for sql in sqls:
        con.execute(sql)
    con.commit()
    con.close()


def report(title: str, rows: list[tuple[str, float, float]]) -> None:
    """Print one table of query timings."""
    print(f"\n{title}")
    print(f"{'query':44} {'ours':>9} {'floor':>9} {'ratio':>6}  verdict")
    for name, ours, floor in rows:
        if not floor:  # the whole computation: what the page waits for, not a goal itself
            print(f"{name:44} {ours:8.1f}ms")
            continue
        verdict = "ok" if ours <= 2 * floor and ours <= 200 else "OVER"
        if name.endswith("(no tallies)"):
            verdict = "(comparison)"
        print(f"{name:44} {ours:8.1f}ms {floor:8.1f}ms {ours / floor:6.2f}  {verdict}")


def _up_to_date(path: Path) -> bool:
    """A dataset built by this version of the script, with pickups up to this week."""
    if not path.exists():
        return False
    engine = db.make_engine(f"sqlite:///{path}")
    try:
        if not schema.current_revision(engine) == schema.head_revision(engine):
            return False
        with engine.connect() as conn:
            last = conn.exec_driver_sql("SELECT max(pickup_date) FROM lot").scalar()
    finally:
        engine.dispose()
    return last is not None and last >= (END - timedelta(days=7)).isoformat()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=Path("/tmp/bench-dashboard.db"))
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--skip-indexes", action="store_true", help="skip the no-index run")
    args = parser.parse_args()
    if args.rebuild or not _up_to_date(args.db):
        t0 = time.perf_counter()
        build_dataset(args.db)
        print(f"built in {time.perf_counter() - t0:.0f} s")
    # As the app does once at start-up (common.freeze_startup_objects): the libraries'
    # objects are kept out of the garbage collector's full passes.
    import plotly.graph_objects  # noqa: F401
    import streamlit  # noqa: F401

    gc.freeze()
    # The page's default period: from the 1st of the month a year ago to today.
    year = (dates.add_months(END.replace(day=1), -12), END)
    report(
        f"default period ({year[0]:%d/%m/%Y}–{year[1]:%d/%m/%Y}, all markets)",
        time_queries(args.db, *year, args.runs),
    )
    report("whole 5 years, all markets", time_queries(args.db, START, END, max(3, args.runs // 2)))
    cold, warm = time_page(args.db, args.runs)
    print(
        "\ndashboard page (AppTest run, default period): "
        f"cold median {statistics.median(cold):.0f} ms (max {max(cold):.0f}), "
        f"warm median {statistics.median(warm):.0f} ms (max {max(warm):.0f})"
    )
    if not args.skip_indexes:
        sqls = drop_indexes(args.db)
        try:
            report(
                "default period WITHOUT the dashboard index (crate: lot, kind, outcome)",
                time_queries(args.db, *year, 3),
            )
        finally:
            restore_indexes(args.db, sqls)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Scan handler benchmark: parse + look-up (+ record) on a database of 1 000 000 crates.

Run: .venv/bin/python benchmarks/bench_scan.py [--crates 1000000] [--scans 2000] [--profile]

Issue 3's goal: the scan handler (parse + look-up + record), service layer, on a
database holding 1 000 000 crates: p95 <= 5 ms.

What it does:

1. Builds a temporary SQLite file under /tmp with `startup.open_database` (the
   app's migrations, pragmas and seed data), then one lead, and `--crates` crates
   in lots of 25 (one pickup per lot, ~40 000 lots for 1 000 000 crates) spread
   over the seeded markets (on their market days) and the last 2 years, with
   their lot lines and the two audit events each lot gets in the app (pickup,
   sorting). Rows go in with SQLAlchemy Core `insert()` executemany, 50 000 rows
   a call, all in one transaction; the build time is printed.
2. Times, per scan, with `time.perf_counter`, on random crates, the service-layer
   path of a scan on the Scan page:
   - parse: `codes.parse(text)` of a scanned text, a mix of the four forms a
     scan arrives in (bare code, printed `C-XXXXX-X`, the label's URL, and that
     URL typed by a US-layout scanner on a French AZERTY computer);
   - look-up: parse, then `crates.resolve(...)` in a `db.read_session` (the
     Scan page's `handle`);
   - look-up + record: the same, then `crates.set_outcome(...)` in its own
     `db.write_session` (one transaction per scan), to an outcome the crate does
     not have yet, so every scan really writes (crate row + audit event).
   - Scan page run: what one run of the Scan page asks of the services after a
     scan (the signed-in user, handle()'s look-up, the look-up again to show
     the crate), for comparison.
   The paths take turns, each scan on a different random crate; the first
   `--warmup` rounds are not counted. Each timing also records the thread's CPU
   time (`time.thread_time`): the VM is shared, and the gap between wall and CPU
   time is time spent waiting for a core (the load is printed before and after).
3. Removes the temporary database (unless `--keep`).

`--profile` runs cProfile over the look-up + record scans and prints where the
time goes. Not part of pytest (a timing is not a test).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import math
import os
import platform
import pstats
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import sqlalchemy
from sqlalchemy import Engine, insert, text
from sqlmodel import select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from workshop import accounts, codes, crates, dates, db, pickups, startup  # noqa: E402
from workshop.models import (  # noqa: E402
    AuditEvent,
    Crate,
    Lot,
    LotLine,
    Market,
    Outcome,
    Role,
    User,
)

GOAL_P95_MS = 5.0
CRATES_PER_LOT = 25
DAYS = 730  # two years of pickups
CHUNK = 50_000  # rows per executemany call
KIND_WEIGHTS = (0.7, 0.2, 0.1)  # standard crates, flat trays, large crates
# Where crates of a two-year-old stock have gone (no builds here: `in_build`
# crates cannot be set by a scan, and would need build rows).
OUTCOME_WEIGHTS = {
    Outcome.in_stock: 0.35,
    Outcome.reused: 0.2,
    Outcome.recycled: 0.3,
    Outcome.firewood: 0.15,
}
FORMS = ("bare", "printed", "url", "url-us-on-azerty")


def scanned_text(code: str, form: str) -> str:
    """What the scanner field receives for this code, in one of the FORMS."""
    if form == "bare":
        return code
    if form == "printed":
        return codes.format_code(code)
    url = codes.url_for(code)
    return url if form == "url" else codes.us_on_azerty(url)


def unique_codes(kind: str, n: int) -> list[str]:
    """n distinct fresh codes of this kind (random, as the app mints them)."""
    seen: set[str] = set()
    while len(seen) < n:
        seen.update(codes.mint(kind) for _ in range(n - len(seen)))
    out = list(seen)
    random.shuffle(out)
    return out


def build_database(engine: Engine, n_crates: int, rng: random.Random) -> tuple[User, list[str]]:
    """Fill the database; return the lead who scans and the crate codes."""
    with db.write_session(engine) as session:
        admin = accounts.create_first_admin(
            session=session, username="admin", display_name="Admin", password="bench-admin-pw"
        )
        lead = accounts.create_user(
            session=session,
            actor=admin,
            username="lead",
            display_name="Lead",
            password="bench-lead-pw",
            role=Role.lead,
        )
        markets = list(session.exec(select(Market).where(Market.active)))
        kind_ids = [k.id or 0 for k in pickups.crate_kinds(session=session)]
    market_days = {m.id or 0: pickups.market_days(m) or set(range(7)) for m in markets}

    n_lots = -(-n_crates // CRATES_PER_LOT)
    lot_codes = unique_codes(codes.LOT, n_lots)
    crate_codes = unique_codes(codes.CRATE, n_crates)
    today = dates.today()
    tables = (Lot, LotLine, Crate, AuditEvent)  # parents first: foreign keys are checked
    rows: dict[type, list[dict[str, Any]]] = {t: [] for t in tables}
    lots, lines, crate_rows, events = (rows[t] for t in tables)
    outcomes, weights = list(OUTCOME_WEIGHTS), list(OUTCOME_WEIGHTS.values())

    def flush(conn: Any) -> None:
        for table in tables:
            if rows[table]:
                conn.execute(insert(cast(Any, table).__table__), rows[table])
                rows[table].clear()

    # One transaction for everything, rows sent CHUNK crates at a time.
    conn = engine.connect()
    conn.begin()
    conn.exec_driver_sql("PRAGMA cache_size=-262144")  # 256 MB, this connection only
    next_crate = 0
    for lot_id in range(1, n_lots + 1):
        market_id = rng.choice(markets).id or 0
        day = today - timedelta(days=rng.randrange(DAYS))
        while day.weekday() not in market_days[market_id]:
            day -= timedelta(days=1)
        at = datetime(day.year, day.month, day.day, 13, rng.randrange(60), tzinfo=UTC)
        size = min(CRATES_PER_LOT, n_crates - next_crate)
        kinds = rng.choices(kind_ids, KIND_WEIGHTS, k=size)
        code = lot_codes[lot_id - 1]
        lots.append(
            {
                "id": lot_id,
                "code": code,
                "market_id": market_id,
                "pickup_date": day,
                "collected_by_id": lead.id,
                "note": "",
                "created_at": at,
            }
        )
        for kind_id in sorted(set(kinds)):
            lines.append(
                {"lot_id": lot_id, "crate_kind_id": kind_id, "count": kinds.count(kind_id)}
            )
        tagged = crate_codes[next_crate : next_crate + size]
        next_crate += size
        for crate_code, kind_id in zip(tagged, kinds, strict=True):
            outcome = rng.choices(outcomes, weights)[0]
            crate_rows.append(
                {
                    "code": crate_code,
                    "lot_id": lot_id,
                    "crate_kind_id": kind_id,
                    "outcome": outcome,
                    "outcome_at": at + timedelta(days=rng.randrange(60))
                    if outcome != Outcome.in_stock
                    else at,
                    "outcome_by_id": lead.id,
                    "created_at": at,
                }
            )
        # What log_pickup and sort_lot leave in the audit log.
        events.append(
            {
                "at": at,
                "user_id": lead.id,
                "action": "create",
                "entity": "lot",
                "entity_id": code,
                "before": "",
                "after": f'{{"code": "{code}", "pickup_date": "{day}"}}',
                "reason": "",
            }
        )
        events.append(
            {
                "at": at,
                "user_id": lead.id,
                "action": "sort",
                "entity": "lot",
                "entity_id": code,
                "before": "",
                "after": '{"tagged": [' + ", ".join(f'"{c}"' for c in tagged) + "]}",
                "reason": "",
            }
        )
        if len(crate_rows) >= CHUNK:
            flush(conn)
    flush(conn)
    conn.commit()
    conn.close()
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    return lead, crate_codes


def percentile(sorted_ms: list[float], p: float) -> float:
    """Nearest-rank percentile of already sorted values."""
    return sorted_ms[max(0, math.ceil(p / 100 * len(sorted_ms)) - 1)]


def summary(name: str, ms: list[float], cpu_ms: list[float]) -> str:
    s = sorted(ms)
    return (
        f"| {name} | {len(s)} | {statistics.median(s):.2f} | {percentile(s, 95):.2f} | "
        f"{percentile(s, 99):.2f} | {s[-1]:.1f} | {statistics.median(cpu_ms):.2f} | "
        f"{percentile(sorted(cpu_ms), 95):.2f} |"
    )


def load() -> str:
    """Load average and CPU pressure: the VM is shared, other work inflates wall times."""
    avg = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    try:
        cpu = Path("/proc/pressure/cpu").read_text().split()[1].split("=")[1]
        return f"load average {avg}, CPU pressure (some, avg10) {cpu} %"
    except (OSError, IndexError):
        return f"load average {avg}"


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{os.cpu_count()} cores ({cpu}), {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, "
        f"SQLAlchemy {sqlalchemy.__version__}"
    )


Timings = dict[str, tuple[list[float], list[float]]]  # path -> (wall ms, CPU ms)


class Scanner:
    """The scan paths on one engine, with their timings."""

    def __init__(self, engine: Engine, lead: User, rng: random.Random, profile: bool) -> None:
        self.engine, self.lead, self.rng = engine, lead, rng
        self.timings: Timings = {
            name: ([], []) for name in ("parse", "look-up", "look-up + record", "Scan page run")
        }
        self.by_form: dict[str, list[float]] = {f: [] for f in FORMS}
        self.profiler = cProfile.Profile() if profile else None

    def look_up(self, scanned: str) -> crates.CrateView:
        code = codes.parse(scanned)  # handle() parses first, then resolves
        with db.read_session(self.engine) as session:
            view = crates.resolve(session=session, actor=self.lead, text=code)
        assert isinstance(view, crates.CrateView)
        return view

    def look_up_and_record(self, scanned: str) -> None:
        view = self.look_up(scanned)
        outcome = self.rng.choice([o for o in crates.MANUAL_OUTCOMES if o != view.outcome])
        with db.write_session(self.engine) as session:
            crate = crates.set_outcome(
                session=session, actor=self.lead, code=view.code, outcome=outcome
            )
            assert crate.outcome == outcome

    def page_run(self, scanned: str) -> None:
        # What one run of the Scan page asks of the services after a scan (no
        # outcome button pressed): the signed-in user, handle()'s look-up, and
        # the look-up again to show the crate.
        with db.read_session(self.engine) as session:
            assert session.get(User, self.lead.id) is not None
        view = self.look_up(scanned)
        with db.read_session(self.engine) as session:
            crates.resolve(session=session, actor=self.lead, text=view.code)

    def timed(self, name: str, fn: Callable[[str], object], scanned: str, counted: bool) -> None:
        profile = self.profiler is not None and counted and name == "look-up + record"
        if profile:
            self.profiler.enable()  # type: ignore[union-attr]
        cpu, start = time.thread_time(), time.perf_counter()
        fn(scanned)
        wall_ms, cpu_ms = (time.perf_counter() - start) * 1000, (time.thread_time() - cpu) * 1000
        if profile:
            self.profiler.disable()  # type: ignore[union-attr]
        if counted:
            self.timings[name][0].append(wall_ms)
            self.timings[name][1].append(cpu_ms)

    def scan(self, texts: list[tuple[str, str]], counted: bool) -> None:
        """One round: parse, look-up, look-up + record, page run, each on its own crate."""
        (form, read_text), (_, write_text), (_, page_text) = texts
        self.timed("parse", codes.parse, read_text, counted)
        if counted:
            self.by_form[form].append(self.timings["parse"][0][-1])
        self.timed("look-up", self.look_up, read_text, counted)
        self.timed("look-up + record", self.look_up_and_record, write_text, counted)
        self.timed("Scan page run", self.page_run, page_text, counted)


def measure(
    engine: Engine, lead: User, crate_codes: list[str], rng: random.Random, args: Any
) -> Scanner:
    """Time the scan paths, round after round, each scan on a fresh random crate."""
    n = args.warmup + args.scans
    scanner = Scanner(engine, lead, rng, args.profile)
    picks = iter(rng.sample(crate_codes, 3 * n))
    for i in range(n):
        texts = []
        for _ in range(3):
            form = rng.choice(FORMS)
            texts.append((form, scanned_text(next(picks), form)))
        scanner.scan(texts, counted=i >= args.warmup)
    return scanner


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--crates", type=int, default=1_000_000)
    parser.add_argument("--scans", type=int, default=2000, help="timed scans of each kind")
    parser.add_argument("--warmup", type=int, default=200, help="untimed scans of each kind")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--profile", action="store_true", help="cProfile the look-up + record")
    parser.add_argument("--keep", action="store_true", help="keep the temporary database")
    args = parser.parse_args()
    if args.crates < 3 * (args.scans + args.warmup):
        parser.error("--crates must be at least 3 x (--scans + --warmup)")

    rng = random.Random(args.seed)
    random.seed(args.seed)
    tmp = Path(tempfile.mkdtemp(prefix="bench-scan-", dir="/tmp"))
    path = tmp / "atelier.db"
    engine: Engine | None = None
    try:
        t0 = time.perf_counter()
        engine = startup.open_database(f"sqlite:///{path}")
        lead, crate_codes = build_database(engine, args.crates, rng)
        build_s = time.perf_counter() - t0
        with engine.connect() as conn:
            n = conn.execute(text("SELECT count(*) FROM crate")).scalar_one()
            n_lots = conn.execute(text("SELECT count(*) FROM lot")).scalar_one()
            plan = conn.exec_driver_sql(
                "EXPLAIN QUERY PLAN SELECT * FROM crate JOIN cratekind ON cratekind.id ="
                " crate.crate_kind_id JOIN lot ON lot.id = crate.lot_id JOIN market ON"
                " market.id = lot.market_id WHERE crate.code = ?",
                (crate_codes[0],),
            ).all()
        size_mb = sum(f.stat().st_size for f in tmp.iterdir()) / 1e6
        print(f"Machine: {machine()}")
        print(
            f"Database: {n:,} crates in {n_lots:,} lots, {size_mb:.0f} MB, "
            f"built in {build_s:.1f} s ({path})"
        )
        print("Look-up plan: " + "; ".join(str(row[-1]) for row in plan))

        print(f"Load before: {load()}")
        scanner = measure(engine, lead, crate_codes, rng, args)
        print(f"Load after: {load()}")
        print()
        print(
            "| path | scans | median ms | p95 ms | p99 ms | max ms | CPU median ms | CPU p95 ms |"
        )
        print("|---|---|---|---|---|---|---|---|")
        for path_name, (wall, cpu) in scanner.timings.items():
            print(summary(path_name, wall, cpu))
        print()
        print(
            "parse by form, median µs: "
            + ", ".join(
                f"{f} {statistics.median(v) * 1000:.0f}" for f, v in scanner.by_form.items() if v
            )
        )
        for path_name in ("look-up", "look-up + record"):
            p95 = percentile(sorted(scanner.timings[path_name][0]), 95)
            verdict = "met" if p95 <= GOAL_P95_MS else "NOT met"
            print(f"Goal p95 <= {GOAL_P95_MS} ms, {path_name}: {verdict} ({p95:.2f} ms)")
        if scanner.profiler is not None:
            out = io.StringIO()
            stats = pstats.Stats(scanner.profiler, stream=out).strip_dirs()
            stats.sort_stats("cumulative").print_stats(25)
            stats.sort_stats("tottime").print_stats(15)
            print(out.getvalue())
        return 0
    finally:
        if engine is not None:
            engine.dispose()
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())

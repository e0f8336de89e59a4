"""Attach-crate benchmark: scanning a crate into a build, on a database of 1 000 000 crates.

Run: .venv/bin/python benchmarks/bench_attach.py [--crates 1000000] [--attaches 2000]

Issue 4 asks for the p95 time of attaching a crate (service layer) with
1 000 000 crates in the database. The database is built exactly as
bench_scan.py builds it (same lots, markets, audit rows); then, per attach, with
`time.perf_counter`: `builds.attach_crate(...)` in its own `db.write_session`
(parse the scanned text, check the build and the crate, insert the BuildCrate
row under its unique index, set the crate's outcome, audit event, commit), on a
random in-stock crate, into builds of 8 crates (a new build every 8 attaches,
not timed). One attach in ten repeats a crate already in the build (the
"already here" path). The first `--warmup` attaches are not counted. Each timing
also records the thread's CPU time (`time.thread_time`): the VM is shared, and the
gap between wall and CPU time is time spent waiting for a core (the load is
printed before and after).
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_scan import (  # noqa: E402
    FORMS,
    build_database,
    load,
    machine,
    scanned_text,
    summary,
)
from sqlmodel import select  # noqa: E402

from workshop import builds, db, startup  # noqa: E402
from workshop.models import Crate, Design, Outcome  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--crates", type=int, default=1_000_000)
    parser.add_argument("--attaches", type=int, default=2000)
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--seed", type=int, default=4)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    tmp = Path(tempfile.mkdtemp(prefix="bench-attach-", dir="/tmp"))
    try:
        t0 = time.perf_counter()
        engine = startup.open_database(f"sqlite:///{tmp / 'atelier.db'}")
        lead, crate_codes = build_database(engine, args.crates, rng)
        print(f"Machine: {machine()}")
        print(f"Database: {len(crate_codes):,} crates, built in {time.perf_counter() - t0:.1f} s")
        with db.read_session(engine) as session:
            design = session.exec(select(Design).where(Design.name == "Bibliothèque")).one()
            # Only crates still in stock can go into furniture.
            in_stock = list(
                session.exec(select(Crate.code).where(Crate.outcome == Outcome.in_stock))
            )
        print(f"In stock: {len(in_stock):,}")
        picks = iter(rng.sample(in_stock, args.warmup + args.attaches))
        # (wall ms, CPU ms) of new crates and of repeats
        timings: tuple[list[float], list[float]] = ([], [])
        repeats: tuple[list[float], list[float]] = ([], [])
        build_id, in_build = 0, []
        print(f"Load before: {load()}")
        for i in range(args.warmup + args.attaches):
            if not in_build or len(in_build) >= design.crates_needed:
                with db.write_session(engine) as session:
                    build_id = (
                        builds.create_build(
                            session=session, actor=lead, design_id=design.id or 0
                        ).id
                        or 0
                    )
                in_build = []
            repeat = bool(in_build) and rng.random() < 0.1
            code = rng.choice(in_build) if repeat else next(picks)
            text = scanned_text(code, rng.choice(FORMS))
            cpu, start = time.thread_time(), time.perf_counter()
            with db.write_session(engine) as session:
                done = builds.attach_crate(
                    session=session, actor=lead, build_id=build_id, text=text
                )
            elapsed = (time.perf_counter() - start) * 1000
            cpu_ms = (time.thread_time() - cpu) * 1000
            assert done.added != repeat
            assert done.count == len(in_build) + (not repeat)
            if not repeat:
                in_build.append(code)
            if i >= args.warmup:
                wall_list, cpu_list = repeats if repeat else timings
                wall_list.append(elapsed)
                cpu_list.append(cpu_ms)
        print(f"Load after: {load()}")
        print()
        print(
            "| path | attaches | median ms | p95 ms | p99 ms | max ms"
            " | CPU median ms | CPU p95 ms |"
        )
        print("|---|---|---|---|---|---|---|---|")
        for name, (wall, cpu_times) in (
            ("attach (new crate)", timings),
            ("attach (already here)", repeats),
        ):
            print(summary(name, wall, cpu_times))
        engine.dispose()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""8 threads × 200 mixed writes at once, on SQLite (and PostgreSQL through the `engine` fixture).

Every acknowledged operation must be in the database exactly once, nothing may be
duplicated, the rules must still hold under contention (a crate in one build at
most, never more crates tagged than a lot holds, at most 12 h a trainee and day),
and no "database is locked" or serialization error may reach the caller: the only
failures allowed are the domain's own refusals (`DomainError`), which a page shows
as a message.

`pytest -s` prints the totals.

Cross-cutting: not one module's tests (test_meta lists the files that are not).
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlmodel import func, select

from tests import factories
from workshop import builds, crates, dates, db, pickups
from workshop.errors import DomainError
from workshop.models import (
    BuildCrate,
    Crate,
    HourEntry,
    HourStatus,
    Lot,
    LotLine,
    Role,
)

THREADS = 8
OPS_PER_THREAD = 200
SHARED_LOTS = 6  # lots the threads tag crates from (each with fewer crates than asked for)
CRATES_PER_SHARED_LOT = 80
CONTENDED_CRATES = 60  # crates the threads fight over, scanning them into builds
BUILDS = 4
TRAINEES = 4  # shared by the threads: day totals are contended too
HOUR_DAYS = 10

try:  # hours are optional: the test skips that kind of operation cleanly without them
    from workshop import hours
    from workshop.models import Activity

    HAVE_HOURS = all(hasattr(hours, n) for n in ("create_trainee", "record_hours", "programmes"))
except ImportError:  # pragma: no cover - depends on the modules present
    HAVE_HOURS = False

KINDS = ["pickup", "tag", "attach"] + (["hours"] if HAVE_HOURS else [])


@dataclass
class Tally:
    """What the threads did, by kind of operation."""

    attempted: Counter[str] = field(default_factory=Counter)
    acknowledged: Counter[str] = field(default_factory=Counter)
    refused: Counter[str] = field(default_factory=Counter)  # domain rules, shown as messages
    errors: list[str] = field(default_factory=list)  # anything else: must stay empty
    notes: list[str] = field(default_factory=list)  # acknowledged pickups, by note
    tagged: list[str] = field(default_factory=list)  # acknowledged crate codes
    attached: list[tuple[int, str]] = field(default_factory=list)  # (build id, crate code)
    hour_ids: list[int] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _seed(engine: Any) -> dict[str, Any]:
    lead = factories.user(engine, Role.lead)
    kind_id = factories.kinds(engine)[0].id or 0
    shared = [
        factories.lot(engine, lead, counts=(CRATES_PER_SHARED_LOT,)) for _ in range(SHARED_LOTS)
    ]
    contended = factories.crates_in_stock(engine, lead, CONTENDED_CRATES)
    build_ids = [factories.build(engine, lead).id or 0 for _ in range(BUILDS)]
    trainee_ids: list[int] = []
    if HAVE_HOURS:
        with db.write_session(engine) as session:
            programme = hours.programmes(session=session)[0]
            for n in range(TRAINEES):
                trainee = hours.create_trainee(
                    session=session,
                    actor=lead,
                    first_name=f"Stagiaire{n}",
                    last_initial="T",
                    fields=hours.TraineeFields(
                        programme_id=programme.id or 0,
                        start_date=dates.today() - timedelta(days=60),
                    ),
                )
                trainee_ids.append(trainee.id or 0)
    markets = [factories.market(engine, n).id or 0 for n in ("Marché Davout", "Marché Belgrand")]
    return {
        "lead": lead,
        "kind_id": kind_id,
        "lots": [lot.id or 0 for lot in shared],
        "crates": contended,
        "builds": build_ids,
        "trainees": trainee_ids,
        "markets": markets,
    }


def _one(engine: Any, world: dict[str, Any], rng: random.Random, name: str, tally: Tally) -> None:
    lead = world["lead"]
    kind = rng.choice(KINDS)
    with tally.lock:
        tally.attempted[kind] += 1
    try:
        with db.write_session(engine) as session:
            if kind == "pickup":
                lot = pickups.log_pickup(
                    session=session,
                    actor=lead,
                    fields=pickups.PickupFields(
                        market_id=rng.choice(world["markets"]),
                        pickup_date=dates.today() - timedelta(days=rng.randrange(30)),
                        counts={world["kind_id"]: rng.randint(1, 30)},
                        note=name,
                    ),
                )
                result: Any = lot.code
            elif kind == "tag":
                made = crates.sort_lot(
                    session=session,
                    actor=lead,
                    lot_id=rng.choice(world["lots"]),
                    tag={world["kind_id"]: rng.randint(1, 3)},
                )
                result = [c.code for c in made]
            elif kind == "attach":
                build_id = rng.choice(world["builds"])
                done = builds.attach_crate(
                    session=session,
                    actor=lead,
                    build_id=build_id,
                    text=rng.choice(world["crates"]),
                )
                result = (build_id, done.code, done.added)
            else:
                entry = hours.record_hours(
                    session=session,
                    actor=lead,
                    trainee_id=rng.choice(world["trainees"]),
                    fields=hours.EntryFields(
                        work_date=dates.today() - timedelta(days=1 + rng.randrange(HOUR_DAYS)),
                        minutes=rng.choice((60, 120, 180, 240)),
                        activity=Activity.poncage,
                    ),
                )
                session.flush()
                result = entry.id
    except DomainError as err:
        with tally.lock:
            tally.refused[f"{kind}: {err.key}"] += 1
        return
    except Exception as exc:  # noqa: BLE001 - anything else is the failure we look for
        with tally.lock:
            tally.errors.append(f"{kind}: {type(exc).__name__}: {exc}"[:300])
        return
    # Only now, after the commit, is the operation acknowledged.
    with tally.lock:
        tally.acknowledged[kind] += 1
        if kind == "pickup":
            tally.notes.append(name)
        elif kind == "tag":
            tally.tagged.extend(result)
        elif kind == "attach":
            build_id, code, added = result
            if added:
                tally.attached.append((build_id, code))
        else:
            tally.hour_ids.append(result)


def test_eight_threads_mixed_writes(engine):
    world = _seed(engine)
    tally = Tally()
    barrier = threading.Barrier(THREADS)

    def worker(n: int) -> None:
        rng = random.Random(1000 + n)
        barrier.wait()
        for i in range(OPS_PER_THREAD):
            _one(engine, world, rng, f"concurrency-{n}-{i}", tally)

    started = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(n,)) for n in range(THREADS)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=300)
    took = time.perf_counter() - started
    assert not any(th.is_alive() for th in threads)

    with db.read_session(engine) as session:
        notes = Counter(
            session.exec(select(Lot.note).where(Lot.note.startswith("concurrency-")))  # type: ignore[attr-defined]
        )
        crate_codes = Counter(session.exec(select(Crate.code)))
        links = list(session.exec(select(BuildCrate.build_id, Crate.code).join(Crate)))
        per_lot = {
            lot_id: (
                session.exec(
                    select(func.coalesce(func.sum(LotLine.count), 0)).where(
                        LotLine.lot_id == lot_id
                    )
                ).one(),
                session.exec(
                    select(func.count()).select_from(Crate).where(Crate.lot_id == lot_id)
                ).one(),
            )
            for lot_id in world["lots"]
        }
        entries = list(session.exec(select(HourEntry))) if HAVE_HOURS else []

    found: Counter[str] = Counter()
    # Pickups: each acknowledged one is there once; none that was not acknowledged.
    assert all(notes[n] == 1 for n in tally.notes)
    assert sum(notes.values()) == len(tally.notes)
    found["pickup"] = sum(1 for n in tally.notes if notes[n] == 1)
    # Tagging: every acknowledged code once, no lot with more crates than it holds.
    assert all(crate_codes[c] == 1 for c in tally.tagged)
    assert len(set(tally.tagged)) == len(tally.tagged)
    assert all(tagged <= held for held, tagged in per_lot.values()), per_lot
    tagged_ops = tally.acknowledged["tag"]
    found["tag"] = tagged_ops if all(crate_codes[c] == 1 for c in tally.tagged) else 0
    # Builds: each contended crate in one build at most, exactly the acknowledged additions.
    assert len({code for _, code in links}) == len(links)
    assert sorted(links) == sorted(tally.attached)
    found["attach"] = tally.acknowledged["attach"] if sorted(links) == sorted(tally.attached) else 0
    # Hours: every acknowledged entry once, no trainee over 12 h on a day.
    if HAVE_HOURS:
        ids = Counter(e.id for e in entries)
        assert all(ids[i] == 1 for i in tally.hour_ids) and len(entries) == len(tally.hour_ids)
        days: defaultdict[tuple[int, date], int] = defaultdict(int)
        for e in entries:
            if e.status != HourStatus.rejected:
                days[(e.trainee_id, e.work_date)] += e.minutes
        assert max(days.values(), default=0) <= hours.MAX_DAY_MINUTES, days
        found["hours"] = sum(1 for i in tally.hour_ids if ids[i] == 1)

    attempted, acknowledged = sum(tally.attempted.values()), sum(tally.acknowledged.values())
    backend = engine.dialect.name
    print(
        f"\n[{backend}] {THREADS} threads x {OPS_PER_THREAD} ops in {took:.1f} s: "
        f"attempted {attempted}, acknowledged {acknowledged}, "
        f"refused by a rule {sum(tally.refused.values())}, "
        f"found {sum(found.values())}, errors {len(tally.errors)}"
    )
    for kind in KINDS:
        print(
            f"  {kind:<7} attempted {tally.attempted[kind]:>4}  acknowledged "
            f"{tally.acknowledged[kind]:>4}  found {found[kind]:>4}"
        )
    for reason, n in sorted(tally.refused.items()):
        print(f"  refused {n:>4}  {reason}")
    assert tally.errors == []
    assert attempted == THREADS * OPS_PER_THREAD
    assert attempted == acknowledged + sum(tally.refused.values())
    assert sum(found.values()) == acknowledged
    assert tally.acknowledged["pickup"] > 0 and tally.acknowledged["attach"] > 0

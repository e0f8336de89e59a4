"""Demo data: two years of realistic pickups and one user per role."""

from __future__ import annotations

import math
import random
from datetime import date, timedelta

from sqlmodel import Session, col, select

from workshop import accounts, builds, codes, crates, dates, hours
from workshop.models import (
    Activity,
    BuildStatus,
    CrateKind,
    Lot,
    LotLine,
    Market,
    Outcome,
    Role,
    User,
)
from workshop.pickups import crate_kinds, lot_counts, market_days

# (username, display name, role, password); printed by `make demo`.
DEMO_USERS = (
    ("admin", "Admin Démo", Role.admin, "cagettes-admin"),
    ("lea", "Léa Martin", Role.lead, "cagettes-lead"),
    ("sam", "Sam B.", Role.trainee, "cagettes-trainee"),
    ("placier", "Placier Davout", Role.market_manager, "cagettes-market"),
)
# Typical crates per pickup for each kind (standard, tray, large), before the season.
_MEAN_COUNTS = (24.0, 8.0, 3.0)


def _season(day: date) -> float:
    # More fruit (and so more crates) in summer, fewest in January.
    return 1.0 + 0.35 * math.cos(2 * math.pi * (day.timetuple().tm_yday - 200) / 365)


def _poisson(rng: random.Random, mean: float) -> int:
    # Knuth's method is fine for the small means used here.
    limit, k, p = math.exp(-mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def seed_demo(
    *, session: Session, today: date | None = None, years: int = 2, seed: int = 20
) -> int:
    """Add demo users and `years` of pickups ending `today`; returns the number of lots added.

    Does nothing (returns 0) when the demo users are already there.
    """
    if session.exec(select(User).where(User.username == DEMO_USERS[0][0])).first():
        return 0
    today = today or dates.today()
    rng = random.Random(seed)
    markets = list(session.exec(select(Market).where(Market.active)))
    users = _demo_users(
        session, market=next((m for m in markets if "Davout" in m.name), markets[0])
    )
    lead = users[Role.lead]
    added = _pickups(session, lead, markets, today - timedelta(days=365 * years), today, rng)
    made = _sort_and_build(session=session, lead=lead, today=today, rng=rng)
    _trainees_and_hours(
        session=session, lead=lead, trainee_user=users[Role.trainee], builds_made=made, today=today
    )
    return added


def _demo_users(session: Session, *, market: Market) -> dict[Role, User]:
    """One user per role (the market manager's market is `market`), by role."""
    users = {}
    for username, name, role, password in DEMO_USERS:
        user = User(
            username=username,
            display_name=name,
            role=role,
            password_hash=accounts.hash_password(password),
            market_id=market.id if role == Role.market_manager else None,
        )
        session.add(user)
        users[role] = user
    session.flush()
    return users


def _pickups(
    session: Session,
    lead: User,
    markets: list[Market],
    first: date,
    last: date,
    rng: random.Random,
) -> int:
    """Pickups on the markets' days from `first` to `last`, more in summer; how many."""
    kinds = crate_kinds(session=session)
    used: set[str] = set()
    added = 0
    day = first
    while day <= last:
        for market in markets:
            # The workshop goes to its own arrondissement's markets more often.
            if day.weekday() not in market_days(market) or rng.random() > (
                0.6 if market.in_20e else 0.25
            ):
                continue
            counts = {
                kind.id or 0: _poisson(rng, mean * _season(day))
                for kind, mean in zip(kinds, _MEAN_COUNTS, strict=False)
            }
            if any(counts.values()):
                _add_lot(session, lead, market, day, counts, kinds[0], used, rng)
                added += 1
        day += timedelta(days=1)
    return added


def _add_lot(
    session: Session,
    lead: User,
    market: Market,
    day: date,
    counts: dict[int, int],
    standard: CrateKind,
    used: set[str],
    rng: random.Random,
) -> None:
    """One pickup with its lines, written directly (years of them: the domain call is slower)."""
    code = codes.mint("L")
    while code in used:
        code = codes.mint("L")
    used.add(code)
    lot = Lot(code=code, market_id=market.id or 0, pickup_date=day, collected_by_id=lead.id)
    if rng.random() < 0.3 and counts.get(standard.id or 0, 0) >= 5:
        # A weighed sample of five standard crates, around the default weight.
        lot.sample_kind_id = standard.id
        lot.sample_count = 5
        lot.sample_kg = round(5 * rng.gauss(standard.default_weight_kg, 0.15), 1)
    session.add(lot)
    session.flush()
    for kind_id, count in counts.items():
        if count:
            session.add(LotLine(lot_id=lot.id or 0, crate_kind_id=kind_id, count=count))


def _sort_and_build(*, session: Session, lead: User, today: date, rng: random.Random) -> list[str]:
    """Sort the last months' lots (some crates tagged, the rest recycled) and make furniture."""
    lots = session.exec(
        select(Lot)
        .where(Lot.pickup_date >= today - timedelta(days=120))
        .order_by(col(Lot.pickup_date))
    ).all()
    standard = crate_kinds(session=session)[0]
    in_stock: list[str] = []
    for lot in lots[:-6]:  # the most recent pickups are still waiting to be sorted
        good = lot_counts(session=session, lot_id=lot.id).get(standard.id or 0, 0) // 3
        rest = rng.choice((Outcome.recycled, Outcome.recycled, Outcome.firewood, Outcome.reused))
        tagged = crates.sort_lot(
            session=session,
            actor=lead,
            lot_id=lot.id or 0,
            tag={standard.id or 0: good},
            remainder=rest,
        )
        in_stock += [c.code for c in tagged]
    all_designs = builds.list_designs(session=session)
    statuses = [BuildStatus.sold, BuildStatus.donated, BuildStatus.installed, BuildStatus.finished]
    destinations = ("Édicule place du Guignier", "Régie de quartier Saint-Blaise", "Camille")
    pieces: list[str] = []
    for number in range(24):
        design = all_designs[number % len(all_designs)]
        if len(in_stock) < design.crates_needed:
            break
        build = builds.create_build(session=session, actor=lead, design_id=design.id or 0)
        pieces.append(build.code)
        for _ in range(design.crates_needed):
            builds.attach_crate(
                session=session, actor=lead, build_id=build.id or 0, text=in_stock.pop()
            )
        if number >= 20:
            continue  # the last few are still being made
        finished_on = today - timedelta(days=4 * (20 - number))
        builds.set_status(
            session=session,
            actor=lead,
            build_id=build.id or 0,
            status=BuildStatus.finished,
            on=finished_on,
        )
        final = statuses[number % len(statuses)]
        if final != BuildStatus.finished:
            builds.set_status(
                session=session,
                actor=lead,
                build_id=build.id or 0,
                status=final,
                destination=destinations[number % len(destinations)],
                price_eur=45.0 if final == BuildStatus.sold else None,
                on=min(finished_on + timedelta(days=3), today),
            )
    return pieces


# (first name, initial, programme index, agrees to be named on passports)
DEMO_TRAINEES = (
    ("Sam", "B", 0, True),
    ("Awa", "D", 0, True),
    ("Karim", "M", 1, False),
    ("Lucie", "T", 1, True),
    ("Yacine", "O", 0, False),
    ("Mireille", "P", 2, True),
)
_DEMO_ACTIVITIES = (Activity.tri, Activity.demontage, Activity.poncage, Activity.assemblage)


def _trainees_and_hours(
    *, session: Session, lead: User, trainee_user: User, builds_made: list[str], today: date
) -> None:
    """Six trainees with eight weeks of hours (Monday to Thursday), older weeks approved."""
    progs = hours.programmes(session=session)
    people = [
        hours.create_trainee(
            session=session,
            actor=lead,
            first_name=first,
            last_initial=initial,
            fields=hours.TraineeFields(
                programme_id=progs[prog % len(progs)].id or 0,
                start_date=today - timedelta(days=200),
                consent_name=named,
                user_id=trainee_user.id if first == "Sam" else None,
            ),
        )
        for first, initial, prog, named in DEMO_TRAINEES
    ]
    this_monday = dates.week_start(today)
    for week in range(8, 0, -1):
        monday = this_monday - timedelta(weeks=week)
        for n, person in enumerate(people):
            for day in range(4):
                build = (
                    builds_made[(week * 4 + day + n) % len(builds_made)] if builds_made else None
                )
                hours.record_hours(
                    session=session,
                    actor=lead,
                    trainee_id=person.id or 0,
                    fields=hours.EntryFields(
                        work_date=monday + timedelta(days=day),
                        minutes=360 if person.display_name != "Mireille P." else 180,
                        activity=_DEMO_ACTIVITIES[(day + n) % len(_DEMO_ACTIVITIES)],
                        build_code=build if day >= 2 else None,
                    ),
                )
            if week > 1:
                hours.approve_week(
                    session=session, actor=lead, trainee_id=person.id or 0, week=monday
                )

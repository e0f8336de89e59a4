"""Demo data: two years of realistic pickups and one user per role."""

from __future__ import annotations

import math
import random
from datetime import date, timedelta

from sqlmodel import Session, select

from workshop import accounts, codes
from workshop.intake import crate_kinds, market_days
from workshop.models import Lot, LotLine, Market, Role, User

# (username, display name, role, password); printed by `make demo`.
DEMO_USERS = (
    ("admin", "Admin Démo", Role.admin, "cagettes-admin"),
    ("lea", "Léa (encadrante)", Role.lead, "cagettes-lead"),
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
    today = today or date.today()
    rng = random.Random(seed)
    markets = list(session.exec(select(Market).where(Market.active)))
    davout = next((m for m in markets if "Davout" in m.name), markets[0])
    users = {}
    for username, name, role, password in DEMO_USERS:
        user = User(
            username=username,
            display_name=name,
            role=role,
            password_hash=accounts.hash_password(password),
            market_id=davout.id if role == Role.market_manager else None,
        )
        session.add(user)
        users[role] = user
    session.flush()
    kinds = crate_kinds(session=session)
    lead = users[Role.lead]
    used: set[str] = set()
    added = 0
    day = today - timedelta(days=365 * years)
    while day <= today:
        for market in markets:
            if day.weekday() not in market_days(market):
                continue
            # The workshop goes to its own arrondissement's markets more often.
            if rng.random() > (0.6 if market.in_20e else 0.25):
                continue
            counts = {
                kind.id: _poisson(rng, mean * _season(day))
                for kind, mean in zip(kinds, _MEAN_COUNTS, strict=False)
            }
            if not any(counts.values()):
                continue
            code = codes.mint("L")
            while code in used:
                code = codes.mint("L")
            used.add(code)
            lot = Lot(code=code, market_id=market.id or 0, pickup_date=day, collected_by_id=lead.id)
            standard = kinds[0]
            if rng.random() < 0.3 and counts.get(standard.id or 0, 0) >= 5:
                # A weighed sample of five standard crates, around the default weight.
                lot.sample_kind_id = standard.id
                lot.sample_count = 5
                lot.sample_kg = round(5 * rng.gauss(standard.default_weight_kg, 0.15), 1)
            session.add(lot)
            session.flush()
            for kind_id, count in counts.items():
                if count:
                    session.add(
                        LotLine(lot_id=lot.id or 0, crate_kind_id=kind_id or 0, count=count)
                    )
            added += 1
        day += timedelta(days=1)
    return added

"""Demo data: two years of pickups on market days, sorted crates, finished pieces, demo users."""

from __future__ import annotations

from datetime import date

from sqlmodel import func, select

from workshop import accounts, db, demo, impact
from workshop.models import Lot, Role, User


def test_seed_demo(engine):
    with db.write_session(engine) as session:
        added = demo.seed_demo(session=session, today=date(2026, 11, 27))
    assert 600 < added < 2000  # two years, market days only, not every market every time
    with db.read_session(engine) as session:
        lots = session.exec(select(func.count()).select_from(Lot)).one()
        first, last = session.exec(
            select(func.min(Lot.pickup_date), func.max(Lot.pickup_date))
        ).one()
        admin = session.exec(select(User).where(User.role == Role.admin)).one()
        rows = impact.dashboard(
            session=session, actor=admin, start=date(2025, 1, 1), end=date(2025, 12, 31)
        ).months
        for username, _name, _role, password in demo.DEMO_USERS:
            accounts.authenticate(engine=engine, username=username, password=password)
    assert lots == added and (last - first).days >= 700
    by_month: dict[int, float] = {}
    for row in rows:
        by_month[row.month.month] = by_month.get(row.month.month, 0) + row.kg
    assert by_month[7] > 1.5 * by_month[1]  # summer brings more crates than winter
    assert any(r.weighed_kg for r in rows) and any(r.estimated_kg for r in rows)
    # Pickups only on each market's days.
    with db.read_session(engine) as session:
        from workshop.models import Market
        from workshop.pickups import market_days

        for lot, market in session.exec(select(Lot, Market).join(Market)).all()[:300]:
            assert lot.pickup_date.weekday() in market_days(market)
    # Recent pickups are sorted and some crates are in finished furniture with a passport.
    with db.read_session(engine) as session:
        from workshop import builds
        from workshop.models import Build, BuildStatus

        finished = session.exec(select(Build).where(Build.status == BuildStatus.sold)).first()
        story = builds.public_passport(session=session, text=finished.code)
    assert story.finished and story.crates >= 3 and story.kg > 0
    # Running it again adds nothing.
    with db.write_session(engine) as session:
        assert demo.seed_demo(session=session, today=date(2026, 11, 27)) == 0
    with db.read_session(engine) as session:
        assert session.exec(select(func.count()).select_from(Lot)).one() == lots

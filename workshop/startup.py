"""Open the app's database: connect, migrate, check it can be written, seed reference data."""

from __future__ import annotations

from sqlalchemy import Engine

from workshop import builds, db, hours, pickups, schema, venues


def open_database(url: str | None = None) -> Engine:
    """A ready engine for `url` (default: the configured one), or DatabaseUnavailable."""
    engine = db.make_engine(url)
    schema.migrate(engine)
    db.check_writable(engine)
    with db.write_session(engine) as session:
        pickups.seed_reference(session=session)
        hours.seed_programmes(session=session)
        builds.seed_designs(session=session)
        venues.seed_venues(session=session)
    return engine

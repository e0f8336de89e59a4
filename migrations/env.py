"""Alembic environment: migrations run on the app's own engine (SQLite pragmas included)."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import workshop.models  # noqa: F401  (registers every table on SQLModel.metadata)
from workshop import db

target_metadata = SQLModel.metadata


def run_migrations_online() -> None:
    engine = context.config.attributes.get("engine") or db.make_engine()
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            # SQLite cannot ALTER most things: batch mode copies the table instead.
            render_as_batch=True,
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run_migrations_online()

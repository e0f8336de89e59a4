"""a user's chosen language, kept across reloads and devices

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 14:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sqlmodel.sql.sqltypes.AutoString(length=5), nullable=True))


def downgrade() -> None:
    # Not a batch (table copy) on SQLite: app_user is referenced by foreign keys, which
    # the app's engine enforces. SQLite >= 3.35 and PostgreSQL drop a column in place.
    op.execute('ALTER TABLE app_user DROP COLUMN language')

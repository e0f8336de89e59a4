"""market operator, named on the yearly wood attestation

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 13:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN (no batch copy of the table): lots and tallies point at markets.
    op.add_column(
        'market',
        sa.Column(
            'operator',
            sqlmodel.sql.sqltypes.AutoString(length=200),
            nullable=False,
            server_default='',
        ),
    )


def downgrade() -> None:
    # ALTER TABLE DROP COLUMN (SQLite >= 3.35): a batch copy would drop the market table,
    # which lots and tallies point at.
    op.drop_column('market', 'operator')

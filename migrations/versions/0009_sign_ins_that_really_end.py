"""sign-ins that really end

- `installation`: this database's own random id, signed into every sign-in token, so
  a token opens only the database that issued it. One row, made here.
- `app_user.sign_in_generation`: signed into every token; raised when a password is
  reset, a role or e-mail changed, an account disabled or re-enabled, or a user
  signed out everywhere. Existing users start at 0.
- `ended_token`: tokens ended by signing out, kept until they would have expired.
- `auditevent.client`: the client address of sign-in, PIN and badge tries (empty for
  every other event, and for the tries logged before this migration), and the two
  indexes the throttles count with.

Tokens issued before this migration had another format: they sign nobody in, so
everyone signs in once more after the upgrade.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 11:47:20.186979
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('ended_token',
    sa.Column('token_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('expires_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('token_id')
    )
    with op.batch_alter_table('ended_token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ended_token_expires_at'), ['expires_at'], unique=False)

    installation = op.create_table('installation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('install_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    # Made here, once per database: never copied from another one.
    op.bulk_insert(
        installation,
        [{'id': 1, 'install_id': secrets.token_hex(16), 'created_at': datetime.now(UTC)}],
    )
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sign_in_generation', sa.Integer(), nullable=False, server_default='0'))

    with op.batch_alter_table('auditevent', schema=None) as batch_op:
        batch_op.add_column(sa.Column('client', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False, server_default=''))
        batch_op.create_index('ix_auditevent_client_at', ['client', 'at'], unique=False)
        batch_op.create_index('ix_auditevent_entity_key_at', ['entity', 'entity_id', 'at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('auditevent', schema=None) as batch_op:
        batch_op.drop_index('ix_auditevent_entity_key_at')
        batch_op.drop_index('ix_auditevent_client_at')
    # A plain DROP COLUMN (SQLite 3.35+, PostgreSQL): batch mode would copy the tables,
    # and dropping the old app_user breaks every foreign key pointing at it.
    op.execute('ALTER TABLE auditevent DROP COLUMN client')
    op.execute('ALTER TABLE app_user DROP COLUMN sign_in_generation')

    op.drop_table('installation')
    with op.batch_alter_table('ended_token', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ended_token_expires_at'))

    op.drop_table('ended_token')

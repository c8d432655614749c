"""throttle buckets: rate limits shared by every worker (compare-and-set rows)

Revision ID: 0011
Revises: 0010
"""
from alembic import op
import sqlalchemy as sa

import core.models


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('throttle_buckets',
    sa.Column('key', sa.String(length=160), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('first_at', core.models.UTCDateTime(), nullable=False),
    sa.Column('last_at', core.models.UTCDateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_throttle_buckets'))
    )
    with op.batch_alter_table('throttle_buckets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_throttle_buckets_last_at'), ['last_at'], unique=False)


def downgrade():
    with op.batch_alter_table('throttle_buckets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_throttle_buckets_last_at'))
    op.drop_table('throttle_buckets')

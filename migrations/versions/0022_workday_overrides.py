"""the administrator's working-day overrides (a day off or a working day the library does not know)

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-02 14:30:00

"""
from alembic import op
import sqlalchemy as sa

import core.models


# revision identifiers, used by Alembic.
revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('workday_overrides',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('working', sa.Boolean(), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=False),
    sa.Column('created_at', core.models.UTCDateTime(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_workday_overrides_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_workday_overrides')),
    sa.UniqueConstraint('day', name=op.f('uq_workday_overrides_day'))
    )


def downgrade():
    op.drop_table('workday_overrides')

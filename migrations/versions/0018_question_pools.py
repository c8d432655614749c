"""question pools (exams, practice, both) and practice exposure

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-02 07:15:00

"""
from alembic import op
import sqlalchemy as sa

import core.models


# revision identifiers, used by Alembic.
revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('questions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pool', sa.Enum('exam', 'practice', 'both', name='pool', native_enum=False,
                                                      length=20), server_default='both', nullable=False))
        batch_op.add_column(sa.Column('practised_at', core.models.UTCDateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('questions', schema=None) as batch_op:
        batch_op.drop_column('practised_at')
        batch_op.drop_column('pool')

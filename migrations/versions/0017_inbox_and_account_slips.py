"""the inbox (notification links, read) and account slips

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02 06:10:00

"""
from alembic import op
import sqlalchemy as sa

import core.models


# revision identifiers, used by Alembic.
revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('link', sa.String(length=300), server_default='', nullable=False))
        batch_op.add_column(sa.Column('read_at', core.models.UTCDateTime(), nullable=True))
        batch_op.create_index('ix_notifications_inbox', ['user_id', 'read_at'], unique=False)

    op.create_table(
        'account_slips',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('registration_id', sa.Integer(), nullable=False),
        sa.Column('secret', sa.String(length=40), nullable=True),
        sa.Column('created_at', core.models.UTCDateTime(), nullable=False),
        sa.Column('handed_over_at', core.models.UTCDateTime(), nullable=True),
        sa.Column('handed_over_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['handed_over_by_id'], ['users.id'],
                                name=op.f('fk_account_slips_handed_over_by_id_users')),
        sa.ForeignKeyConstraint(['registration_id'], ['registrations.id'],
                                name=op.f('fk_account_slips_registration_id_registrations'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_account_slips')),
        sa.UniqueConstraint('registration_id', name=op.f('uq_account_slips_registration_id')),
    )


def downgrade():
    op.drop_table('account_slips')
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index('ix_notifications_inbox')
        batch_op.drop_column('read_at')
        batch_op.drop_column('link')

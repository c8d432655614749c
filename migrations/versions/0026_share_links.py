"""Holder share links: a time-limited, revocable link to a certificate's verify page (issue 17)

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-02 18:40:00

"""
from alembic import op
import sqlalchemy as sa

import core.models


# revision identifiers, used by Alembic.
revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('share_links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('certificate_id', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=64), nullable=False),
    sa.Column('label', sa.String(length=100), nullable=False),
    sa.Column('created_at', core.models.UTCDateTime(), nullable=False),
    sa.Column('expires_at', core.models.UTCDateTime(), nullable=False),
    sa.Column('revoked_at', core.models.UTCDateTime(), nullable=True),
    sa.Column('visits', sa.Integer(), nullable=False),
    sa.Column('last_visited_at', core.models.UTCDateTime(), nullable=True),
    sa.Column('public_id', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['certificate_id'], ['certificates.id'],
                            name=op.f('fk_share_links_certificate_id_certificates')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_share_links')),
    sa.UniqueConstraint('public_id', name=op.f('uq_share_links_public_id')),
    sa.UniqueConstraint('token', name=op.f('uq_share_links_token'))
    )
    with op.batch_alter_table('share_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_share_links_certificate_id'), ['certificate_id'], unique=False)


def downgrade():
    with op.batch_alter_table('share_links', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_share_links_certificate_id'))
    op.drop_table('share_links')

"""Open Badges 3.0: issuers, revocation status lists, each certificate's signed credential

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-02 14:40:00

"""
from alembic import op
import sqlalchemy as sa

import core.models


# revision identifiers, used by Alembic.
revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('badge_issuers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('created_at', core.models.UTCDateTime(), nullable=False),
    sa.Column('public_id', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_badge_issuers')),
    sa.UniqueConstraint('name', name=op.f('uq_badge_issuers_name')),
    sa.UniqueConstraint('public_id', name=op.f('uq_badge_issuers_public_id'))
    )
    op.create_table('badge_status_lists',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('issuer_id', sa.Integer(), nullable=False),
    sa.Column('length', sa.Integer(), nullable=False),
    sa.Column('used', sa.Integer(), nullable=False),
    sa.Column('bits', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', core.models.UTCDateTime(), nullable=False),
    sa.Column('updated_at', core.models.UTCDateTime(), nullable=False),
    sa.Column('public_id', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['issuer_id'], ['badge_issuers.id'], name=op.f('fk_badge_status_lists_issuer_id_badge_issuers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_badge_status_lists')),
    sa.UniqueConstraint('public_id', name=op.f('uq_badge_status_lists_public_id'))
    )
    with op.batch_alter_table('badge_status_lists', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_badge_status_lists_issuer_id'), ['issuer_id'], unique=False)

    op.create_table('badge_credentials',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('certificate_id', sa.Integer(), nullable=False),
    sa.Column('uuid', sa.String(length=36), nullable=False),
    sa.Column('status_list_id', sa.Integer(), nullable=False),
    sa.Column('status_index', sa.Integer(), nullable=False),
    sa.Column('identity_hash', sa.String(length=80), nullable=False),
    sa.Column('salt', sa.String(length=40), nullable=False),
    sa.Column('document', sa.JSON(), nullable=False),
    sa.Column('created_at', core.models.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['certificate_id'], ['certificates.id'], name=op.f('fk_badge_credentials_certificate_id_certificates')),
    sa.ForeignKeyConstraint(['status_list_id'], ['badge_status_lists.id'], name=op.f('fk_badge_credentials_status_list_id_badge_status_lists')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_badge_credentials')),
    sa.UniqueConstraint('certificate_id', name=op.f('uq_badge_credentials_certificate_id')),
    sa.UniqueConstraint('status_list_id', 'status_index', name=op.f('uq_badge_credentials_status_list_id_status_index')),
    sa.UniqueConstraint('uuid', name=op.f('uq_badge_credentials_uuid'))
    )


def downgrade():
    op.drop_table('badge_credentials')
    with op.batch_alter_table('badge_status_lists', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_badge_status_lists_issuer_id'))
    op.drop_table('badge_status_lists')
    op.drop_table('badge_issuers')

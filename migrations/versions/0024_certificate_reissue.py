"""Certificate reissue and correction: a serial under the same number, the superseding links

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-02 15:20:00

"""
from alembic import op
import sqlalchemy as sa

import core.models


# revision identifiers, used by Alembic.
revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade():
    # Batch mode: SQLite rebuilds the table (it cannot drop a constraint in place); PostgreSQL
    # alters it. Existing certificates are the originals: serial 1.
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.add_column(sa.Column('serial', sa.Integer(), nullable=False, server_default='1'))
        batch_op.add_column(sa.Column('supersedes_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('superseded_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('superseded_at', core.models.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('reissue_note', sa.String(length=500), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('correction_reason', sa.String(length=500), nullable=False,
                                      server_default=''))
        batch_op.drop_constraint(batch_op.f('uq_certificates_number'), type_='unique')
        batch_op.drop_constraint(batch_op.f('uq_certificates_registration_id_kind'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_certificates_number_serial'), ['number', 'serial'])
        batch_op.create_unique_constraint(batch_op.f('uq_certificates_registration_id_kind_serial'),
                                          ['registration_id', 'kind', 'serial'])
        batch_op.create_foreign_key(batch_op.f('fk_certificates_supersedes_id_certificates'), 'certificates',
                                    ['supersedes_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_certificates_superseded_by_id_certificates'), 'certificates',
                                    ['superseded_by_id'], ['id'])


def downgrade():
    # Only while no certificate has been reissued: the old constraints allow one row per number.
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_certificates_superseded_by_id_certificates'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_certificates_supersedes_id_certificates'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_certificates_registration_id_kind_serial'), type_='unique')
        batch_op.drop_constraint(batch_op.f('uq_certificates_number_serial'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_certificates_registration_id_kind'),
                                          ['registration_id', 'kind'])
        batch_op.create_unique_constraint(batch_op.f('uq_certificates_number'), ['number'])
        batch_op.drop_column('correction_reason')
        batch_op.drop_column('reissue_note')
        batch_op.drop_column('superseded_at')
        batch_op.drop_column('superseded_by_id')
        batch_op.drop_column('supersedes_id')
        batch_op.drop_column('serial')

"""exam integrity settings: allowed client networks, Safe Exam Browser Config Keys

Revision ID: 0013
Revises: 0012
"""
from alembic import op
import sqlalchemy as sa


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('exams', schema=None) as batch_op:
        batch_op.add_column(sa.Column('allowed_networks', sa.Text(), server_default='', nullable=False))
        batch_op.add_column(sa.Column('seb_config_keys', sa.Text(), server_default='', nullable=False))


def downgrade():
    with op.batch_alter_table('exams', schema=None) as batch_op:
        batch_op.drop_column('seb_config_keys')
        batch_op.drop_column('allowed_networks')

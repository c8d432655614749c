"""bounded append-only rows per attempt; secret notifications

Revision ID: 0012
Revises: 0011
"""
from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('attempts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('event_count', sa.Integer(), server_default='0', nullable=False))
    # Existing attempts: their answer events so far.
    op.execute("UPDATE attempts SET event_count = (SELECT COUNT(*) FROM answer_events "
               "WHERE answer_events.attempt_id = attempts.id)")
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sensitive', sa.Boolean(), server_default=sa.false(), nullable=False))
    op.execute("UPDATE notifications SET sensitive = " + ("true" if op.get_bind().dialect.name == "postgresql"
                                                            else "1") + " WHERE body LIKE '%password%' OR body LIKE '%密码%'")


def downgrade():
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_column('sensitive')
    with op.batch_alter_table('attempts', schema=None) as batch_op:
        batch_op.drop_column('event_count')

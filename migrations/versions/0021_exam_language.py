"""the language of an exam's questions: Chinese, English, or both side by side

Revision ID: 0021
Revises: 0019
Create Date: 2026-12-02 13:50:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0021'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('exams', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sa.Enum('zh', 'en', 'both', name='examlanguage', native_enum=False,
                                                          length=20), server_default='zh', nullable=False))


def downgrade():
    with op.batch_alter_table('exams', schema=None) as batch_op:
        batch_op.drop_column('language')

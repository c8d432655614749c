"""work content on questions, and item statistics per question version and released exam

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-02 13:40:00

"""
from alembic import op
import sqlalchemy as sa

import core.models


# revision identifiers, used by Alembic.
revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('questions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('work', sa.String(length=8), server_default='', nullable=False))
    op.create_table(
        'question_stats',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('question_version_id', sa.Integer(), nullable=False),
        sa.Column('exam_id', sa.Integer(), nullable=False),
        sa.Column('exam_title', sa.String(length=120), nullable=False),
        sa.Column('released_at', core.models.UTCDateTime(), nullable=False),
        sa.Column('n', sa.Integer(), nullable=False),
        sa.Column('facility', sa.Float(), nullable=False),
        sa.Column('discrimination', sa.Float(), nullable=True),
        sa.Column('flags', sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(['exam_id'], ['exams.id'], name=op.f('fk_question_stats_exam_id_exams'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['question_version_id'], ['question_versions.id'],
                                name=op.f('fk_question_stats_question_version_id_question_versions')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_question_stats')),
        sa.UniqueConstraint('question_version_id', 'exam_id',
                            name=op.f('uq_question_stats_question_version_id_exam_id')),
    )
    with op.batch_alter_table('question_stats', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_question_stats_exam_id'), ['exam_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_question_stats_question_version_id'), ['question_version_id'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('question_stats', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_question_stats_question_version_id'))
        batch_op.drop_index(batch_op.f('ix_question_stats_exam_id'))
    op.drop_table('question_stats')
    with op.batch_alter_table('questions', schema=None) as batch_op:
        batch_op.drop_column('work')

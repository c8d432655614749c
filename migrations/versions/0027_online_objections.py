"""Online objections and reviews: kind and part, status, filer, deadline, reviewer, a public id

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-02 18:40:00

"""
import secrets

from alembic import op
import sqlalchemy as sa

import core.models


# revision identifiers, used by Alembic.
revision = '0027'
down_revision = '0026'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('objections', schema=None) as batch_op:
        batch_op.add_column(sa.Column('public_id', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('kind', sa.Enum('objection', 'review', name='objectionkind', native_enum=False,
                                                      length=20), nullable=False, server_default='objection'))
        batch_op.add_column(sa.Column('part', sa.String(length=20), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('status', sa.Enum('received', 'in_review', 'answered', name='objectionstatus',
                                                        native_enum=False, length=20),
                                      nullable=False, server_default='received'))
        batch_op.add_column(sa.Column('filed_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('filer_name', sa.String(length=40), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('filer_contact', sa.String(length=100), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('due_at', core.models.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('review_started_at', core.models.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('reviewer_id', sa.Integer(), nullable=True))
    # Objections recorded before: answered where resolved, each with its own public id.
    objections = sa.table('objections', sa.column('id', sa.Integer()), sa.column('public_id', sa.String()),
                          sa.column('status', sa.String()), sa.column('resolved_at', sa.DateTime()))
    connection = op.get_bind()
    connection.execute(objections.update().where(objections.c.resolved_at.is_not(None)).values(status='answered'))
    for (row_id,) in connection.execute(sa.select(objections.c.id)).all():
        connection.execute(objections.update().where(objections.c.id == row_id)
                           .values(public_id=secrets.token_urlsafe(16)))
    with op.batch_alter_table('objections', schema=None) as batch_op:
        batch_op.alter_column('public_id', existing_type=sa.String(length=32), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_objections_public_id'), ['public_id'])
        batch_op.create_index(batch_op.f('ix_objections_result_id'), ['result_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_objections_filed_by_id_users'), 'users', ['filed_by_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_objections_reviewer_id_users'), 'users', ['reviewer_id'], ['id'])


def downgrade():
    with op.batch_alter_table('objections', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_objections_reviewer_id_users'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_objections_filed_by_id_users'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_objections_result_id'))
        batch_op.drop_constraint(batch_op.f('uq_objections_public_id'), type_='unique')
        for column in ('reviewer_id', 'review_started_at', 'due_at', 'filer_contact', 'filer_name', 'filed_by_id',
                       'status', 'part', 'kind', 'public_id'):
            batch_op.drop_column(column)

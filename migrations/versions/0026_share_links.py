"""Holder share links (placeholder, filled by its feature)

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
    pass


def downgrade():
    pass

"""Online objections and reviews (placeholder, filled by its feature)

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-02 18:40:00

"""
from alembic import op
import sqlalchemy as sa

import core.models


# revision identifiers, used by Alembic.
revision = '0027'
down_revision = '0026'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass

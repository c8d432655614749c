"""Employer verification: API keys and their use (placeholder, filled by its feature)

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-02 18:40:00

"""
from alembic import op
import sqlalchemy as sa

import core.models


# revision identifiers, used by Alembic.
revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass

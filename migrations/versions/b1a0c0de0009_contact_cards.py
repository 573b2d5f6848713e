"""contact cards shared on acceptance (issue 15)

Revision ID: b1a0c0de0009
Revises: b1a0c0de0008
Create Date: 2026-12-01 23:05:00

"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = 'b1a0c0de0009'
down_revision = 'b1a0c0de0008'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass

"""click sources (issue 13)

Revision ID: b1a0c0de0006
Revises: b1a0c0de0005
Create Date: 2026-12-01 22:45:00

"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = 'b1a0c0de0006'
down_revision = 'b1a0c0de0005'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass

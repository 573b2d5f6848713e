"""guest double opt-in (issue 10)

Revision ID: b1a0c0de0002
Revises: b1a0c0de0001
Create Date: 2026-12-01 20:15:00

"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401


revision = 'b1a0c0de0002'
down_revision = 'b1a0c0de0001'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass

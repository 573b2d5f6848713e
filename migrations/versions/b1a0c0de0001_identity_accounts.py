"""accounts (issue 10): pending passwords, reset, sign-in failures

Revision ID: b1a0c0de0001
Revises: 64215f37690c
Create Date: 2026-12-01 20:15:00

"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401


revision = 'b1a0c0de0001'
down_revision = '64215f37690c'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass

"""mail outbox and task queue (issue 14)

Revision ID: b1a0c0de0007
Revises: b1a0c0de0006
Create Date: 2026-12-01 22:45:00

"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = 'b1a0c0de0007'
down_revision = 'b1a0c0de0006'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass

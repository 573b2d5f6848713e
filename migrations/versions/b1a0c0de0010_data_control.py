"""data people control: guest self-service and retention (issue 15)

Revision ID: b1a0c0de0010
Revises: b1a0c0de0009
Create Date: 2026-12-01 23:30:00

"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = 'b1a0c0de0010'
down_revision = 'b1a0c0de0009'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass

"""data people control: guest self-service and retention (issue 15)

Revision ID: b1a0c0de0010
Revises: b1a0c0de0009
Create Date: 2026-12-01 23:30:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'b1a0c0de0010'
down_revision = 'b1a0c0de0009'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'guest_erasures',
        sa.Column('digest', sa.String(length=64), nullable=False),
        sa.Column('erased_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('digest', name=op.f('pk_guest_erasures')),
    )


def downgrade():
    op.drop_table('guest_erasures')

"""click sources (issue 13)

Revision ID: b1a0c0de0006
Revises: b1a0c0de0005
Create Date: 2026-12-01 22:45:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'b1a0c0de0006'
down_revision = 'b1a0c0de0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'link_source_stats',
        sa.Column('link_id', sa.Integer(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('kind', sa.String(length=10), nullable=False),
        sa.Column('value', sa.String(length=64), nullable=False),
        sa.Column('count', sa.Integer(), server_default='0', nullable=False),
        sa.CheckConstraint("kind IN ('referrer', 'utm', 'device')", name=op.f('ck_link_source_stats_kind')),
        sa.ForeignKeyConstraint(['link_id'], ['invite_links.id'], name=op.f('fk_link_source_stats_link_id_invite_links'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('link_id', 'day', 'kind', 'value', name=op.f('pk_link_source_stats')),
    )


def downgrade():
    op.drop_table('link_source_stats')

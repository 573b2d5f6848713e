"""stable link paths (issues 12, 13)

Revision ID: b1a0c0de0005
Revises: b1a0c0de0004
Create Date: 2026-12-01 22:45:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'b1a0c0de0005'
down_revision = 'b1a0c0de0004'
branch_labels = None
depends_on = None


def upgrade():
    # Links kept from before have no stable path and share their token URL, as they always did.
    with op.batch_alter_table('invite_links', schema=None) as batch_op:
        batch_op.add_column(sa.Column('slug', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('share_stable', sa.Boolean(), server_default=sa.text('false'),
                                      nullable=False))
        batch_op.create_unique_constraint('uq_invite_links_owner_slug', ['owner_id', 'slug'])


def downgrade():
    with op.batch_alter_table('invite_links', schema=None) as batch_op:
        batch_op.drop_constraint('uq_invite_links_owner_slug', type_='unique')
        batch_op.drop_column('share_stable')
        batch_op.drop_column('slug')

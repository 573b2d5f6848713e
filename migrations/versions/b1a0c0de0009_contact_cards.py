"""contact cards shared on acceptance (issue 15)

Revision ID: b1a0c0de0009
Revises: b1a0c0de0008
Create Date: 2026-12-01 23:05:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'b1a0c0de0009'
down_revision = 'b1a0c0de0008'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'contact_cards',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('organisation', sa.String(length=100), nullable=False),
        sa.Column('work_email', sa.String(length=254), nullable=False),
        sa.Column('personal_email', sa.String(length=254), nullable=False),
        sa.Column('phone', sa.String(length=40), nullable=False),
        sa.Column('website', sa.String(length=300), nullable=False),
        sa.Column('linkedin', sa.String(length=300), nullable=False),
        sa.Column('mastodon', sa.String(length=300), nullable=False),
        sa.Column('github', sa.String(length=300), nullable=False),
        sa.Column('x', sa.String(length=300), nullable=False),
        sa.Column('photo', sa.LargeBinary(), nullable=True),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_contact_cards_user_id_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('user_id', name=op.f('pk_contact_cards')),
    )
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('photo_etag', sa.String(length=16), nullable=True))
    # Links kept from before share the name and headline only (both public already) and offer no "Save contact".
    with op.batch_alter_table('invite_links', schema=None) as batch_op:
        batch_op.add_column(sa.Column('card_fields', sa.String(length=200), server_default='name,headline',
                                      nullable=False))
        batch_op.add_column(sa.Column('public_fields', sa.String(length=200), server_default='', nullable=False))
    # Requests and connections kept from before share nothing more than they did.
    with op.batch_alter_table('connection_requests', schema=None) as batch_op:
        batch_op.add_column(sa.Column('share_fields', sa.String(length=200), server_default='', nullable=False))
        batch_op.add_column(sa.Column('shared_card', sa.JSON(), nullable=True))
    with op.batch_alter_table('guest_confirmations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('shared_card', sa.JSON(), nullable=True))
    with op.batch_alter_table('connections', schema=None) as batch_op:
        batch_op.add_column(sa.Column('card_fields', sa.String(length=200), server_default='', nullable=False))
        batch_op.add_column(sa.Column('card', sa.JSON(), nullable=True))


def downgrade():
    # Plain DROP COLUMN (SQLite 3.35+ does it in place): a batch rebuild of users or invite_links would drop and
    # re-create the table, and the foreign keys' ON DELETE CASCADE would empty the tables that refer to it.
    for table, column in (('connections', 'card'), ('connections', 'card_fields'),
                          ('guest_confirmations', 'shared_card'), ('connection_requests', 'shared_card'),
                          ('connection_requests', 'share_fields'), ('invite_links', 'public_fields'),
                          ('invite_links', 'card_fields'), ('users', 'photo_etag')):
        op.drop_column(table, column)
    op.drop_table('contact_cards')

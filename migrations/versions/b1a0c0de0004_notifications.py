"""notifications and link warnings (issue 12, 13)

Revision ID: b1a0c0de0004
Revises: b1a0c0de0003
Create Date: 2026-12-01 22:45:00

New members get an instant mail about each new request (``users.notify_mode`` defaults to "instant"); members
kept from before keep the choice stored for them, which they may have made themselves. ``notifications`` holds
the in-app events, ``link_warnings`` the expiry and request-limit warnings already sent (one per link and kind).
"""
import sqlalchemy as sa
from alembic import op

revision = 'b1a0c0de0004'
down_revision = 'b1a0c0de0003'
branch_labels = None
depends_on = None

UNREAD = sa.text("read_at IS NULL")


def _notify_default(value):
    # SQLite can change a column's default only by rebuilding the table, and rebuilding ``users`` would delete
    # every row that references it (ON DELETE CASCADE under foreign_keys=ON). The app always writes the column
    # (the model's default), so on SQLite the default stays in the model alone.
    if op.get_bind().dialect.name == 'sqlite':
        return
    op.alter_column('users', 'notify_mode', existing_type=sa.String(length=10), existing_nullable=False,
                    server_default=value)


def upgrade():
    _notify_default('instant')

    op.create_table('notifications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=True),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('read_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notifications_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notifications'))
    )
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.create_index('ix_notifications_user_id', ['user_id', 'id'], unique=False)
        batch_op.create_index('ix_notifications_unread', ['user_id'], unique=False, sqlite_where=UNREAD,
                              postgresql_where=UNREAD)

    op.create_table('link_warnings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('link_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('fired_for', sa.String(length=40), nullable=False),
    sa.Column('fired_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('expiring', 'requests')", name=op.f('ck_link_warnings_kind')),
    sa.ForeignKeyConstraint(['link_id'], ['invite_links.id'], name=op.f('fk_link_warnings_link_id_invite_links'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_link_warnings')),
    sa.UniqueConstraint('link_id', 'kind', name=op.f('uq_link_warnings_link_id_kind'))
    )


def downgrade():
    op.drop_table('link_warnings')
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index('ix_notifications_unread', sqlite_where=UNREAD, postgresql_where=UNREAD)
        batch_op.drop_index('ix_notifications_user_id')
    op.drop_table('notifications')
    _notify_default(None)

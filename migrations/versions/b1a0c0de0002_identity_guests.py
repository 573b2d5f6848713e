"""guest double opt-in (issue 10)

Revision ID: b1a0c0de0002
Revises: b1a0c0de0001
Create Date: 2026-12-01 20:15:00

A guest's request now waits in ``guest_confirmations`` until its sender clicks the mailed link; only then
is a ``connection_requests`` row placed, with ``email_confirmed_at`` set. Existing rows: a member's request
was sent from a verified account, so it counts as confirmed (at its creation time); a guest's request from
before the double opt-in stays where it is (the owner may still answer it) but is NOT marked confirmed:
nobody proved the address, so the inbox shows no "email confirmed" and it never follows anyone into an account.
"""
from alembic import op
import sqlalchemy as sa


revision = 'b1a0c0de0002'
down_revision = 'b1a0c0de0001'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('connection_requests', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email_confirmed_at', sa.DateTime(timezone=True), nullable=True))
    op.execute(
        "UPDATE connection_requests SET email_confirmed_at = created_at WHERE requester_id IS NOT NULL"
    )

    op.create_table('guest_confirmations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=16), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('link_id', sa.Integer(), nullable=True),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('note', sa.String(length=300), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['link_id'], ['invite_links.id'], name=op.f('fk_guest_confirmations_link_id_invite_links'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_guest_confirmations_owner_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_guest_confirmations')),
    sa.UniqueConstraint('public_id', name=op.f('uq_guest_confirmations_public_id'))
    )
    with op.batch_alter_table('guest_confirmations', schema=None) as batch_op:
        batch_op.create_index('ix_guest_confirmations_sent', ['sent_at'], unique=False)
        batch_op.create_index('uq_guest_confirmations_unconfirmed', ['owner_id', 'email'], unique=True, sqlite_where=sa.text('confirmed_at IS NULL'), postgresql_where=sa.text('confirmed_at IS NULL'))


def downgrade():
    with op.batch_alter_table('guest_confirmations', schema=None) as batch_op:
        batch_op.drop_index('uq_guest_confirmations_unconfirmed', sqlite_where=sa.text('confirmed_at IS NULL'), postgresql_where=sa.text('confirmed_at IS NULL'))
        batch_op.drop_index('ix_guest_confirmations_sent')
    op.drop_table('guest_confirmations')
    with op.batch_alter_table('connection_requests', schema=None) as batch_op:
        batch_op.drop_column('email_confirmed_at')

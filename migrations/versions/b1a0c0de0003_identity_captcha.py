"""one live captcha per member, invitations by address (issue 10)

Revision ID: b1a0c0de0003
Revises: b1a0c0de0002
Create Date: 2026-12-01 20:15:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'b1a0c0de0003'
down_revision = 'b1a0c0de0002'
branch_labels = None
depends_on = None

PENDING = sa.text("status = 'pending'")


def upgrade():
    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('addressed_by_email', sa.Boolean(), server_default=sa.text('false'),
                                      nullable=False))
    # Invitations kept from before: one without a member (or to an account nobody verified) was typed as an
    # address; one to an unverified account is detached from it (it is claimed again once the owner verifies).
    op.execute(
        "UPDATE invitations SET addressed_by_email = true WHERE recipient_id IS NULL"
        " OR recipient_id IN (SELECT id FROM users WHERE email_verified_at IS NULL)"
    )
    op.execute(
        "UPDATE invitations SET recipient_id = NULL"
        " WHERE recipient_id IN (SELECT id FROM users WHERE email_verified_at IS NULL)"
    )
    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.drop_index('uq_invitations_pending', sqlite_where=PENDING, postgresql_where=PENDING)
        batch_op.create_index('uq_invitations_pending', ['sender_id', 'recipient_email', 'addressed_by_email'],
                              unique=True, sqlite_where=PENDING, postgresql_where=PENDING)


def downgrade():
    # A member-list invitation and an address invitation to the same address may both be pending: the address one
    # is withdrawn so the old unique index can be rebuilt.
    op.execute(
        "UPDATE invitations SET status = 'withdrawn' WHERE status = 'pending' AND addressed_by_email = true AND EXISTS"
        " (SELECT 1 FROM invitations AS o WHERE o.sender_id = invitations.sender_id AND o.status = 'pending'"
        " AND o.recipient_email = invitations.recipient_email AND o.addressed_by_email = false)"
    )
    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.drop_index('uq_invitations_pending', sqlite_where=PENDING, postgresql_where=PENDING)
        batch_op.create_index('uq_invitations_pending', ['sender_id', 'recipient_email'], unique=True,
                              sqlite_where=PENDING, postgresql_where=PENDING)
        batch_op.drop_column('addressed_by_email')

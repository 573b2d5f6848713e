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
UNUSED = sa.text("used_at IS NULL")


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

    # One live captcha per member and purpose: answered ones go (they can never be used again), and of several
    # unanswered ones only the newest stays (captchas live minutes; a member at most sees a fresh one).
    op.execute("DELETE FROM captchas WHERE used_at IS NOT NULL")
    op.execute(
        "DELETE FROM captchas WHERE user_id IS NOT NULL AND EXISTS (SELECT 1 FROM captchas AS c"
        " WHERE c.user_id = captchas.user_id AND c.purpose = captchas.purpose AND c.used_at IS NULL"
        " AND (c.created_at > captchas.created_at OR (c.created_at = captchas.created_at AND c.id > captchas.id)))"
    )
    with op.batch_alter_table('captchas', schema=None) as batch_op:
        batch_op.create_index('uq_captchas_live', ['user_id', 'purpose'], unique=True, sqlite_where=UNUSED,
                              postgresql_where=UNUSED)


def downgrade():
    with op.batch_alter_table('captchas', schema=None) as batch_op:
        batch_op.drop_index('uq_captchas_live', sqlite_where=UNUSED, postgresql_where=UNUSED)
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

"""accounts (issue 10): pending passwords, reset, sign-in failures

Revision ID: b1a0c0de0001
Revises: 64215f37690c
Create Date: 2026-12-01 20:15:00

``users.activation_sent_at``: when the last activation mail left; an account still unverified
ACTIVATION_MAX_AGE later is purged. Existing unverified accounts get their creation time (their only mail).
``captchas.user_id`` becomes nullable and ``captchas.purpose`` says what a captcha guards: existing rows are
invitation captchas ("invite"); a sign-in captcha ("login") belongs to one visitor's session, not an account.
"""
from alembic import op
import sqlalchemy as sa


revision = 'b1a0c0de0001'
down_revision = '64215f37690c'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('activation_sent_at', sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE users SET activation_sent_at = created_at WHERE email_verified_at IS NULL")

    with op.batch_alter_table('captchas', schema=None) as batch_op:
        batch_op.add_column(sa.Column('purpose', sa.String(length=10), server_default='invite', nullable=False))
        batch_op.alter_column('user_id', existing_type=sa.Integer(), nullable=True)


def downgrade():
    op.execute("DELETE FROM captchas WHERE user_id IS NULL")
    with op.batch_alter_table('captchas', schema=None) as batch_op:
        batch_op.alter_column('user_id', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column('purpose')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('activation_sent_at')

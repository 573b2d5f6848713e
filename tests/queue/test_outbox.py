"""The outbox on the real database: a mail lives and dies with its transaction, is claimed before it is sent, and
backs off after a failure (the suite's queue runs each delivery inline, right after the commit)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy import select, update

from oneclick import mailqueue
from oneclick.clock import utcnow
from oneclick.extensions import db
from oneclick.mail import outbox, send_mail
from oneclick.models import MailOutbox, User

from ..factories import make_user


def rows():
    return db.session.execute(select(MailOutbox.to_address, MailOutbox.status, MailOutbox.attempts)).all()


def test_a_mail_of_a_rolled_back_change_never_leaves(ctx):
    user = make_user(email="ada@example.com")
    user.name = "Changed"
    send_mail("ada@example.com", "About your change", "Body")
    db.session.rollback()
    assert rows() == [] and outbox() == []
    assert db.session.get(User, user.id).name != "Changed"


def test_a_mail_is_sent_after_the_commit_of_its_change_with_its_message_id(ctx):
    user = make_user(email="ada@example.com")
    user.name = "Changed"
    key = send_mail("ada@example.com", "About your change", "Body")
    assert outbox() == []  # nothing leaves before the commit
    db.session.commit()
    [sent] = outbox()
    assert sent["Message-ID"] == mailqueue.message_id(key) and sent["Subject"] == "About your change"
    assert [tuple(r) for r in rows()] == [("ada@example.com", "sent", 1)]


def test_a_mail_queued_outside_any_transaction_is_committed_on_its_own(ctx):
    make_user(email="ada@example.com")  # commits
    send_mail("ada@example.com", "After the fact", "Body")  # no transaction open: durable at once
    db.session.rollback()
    assert [tuple(r) for r in rows()] == [("ada@example.com", "sent", 1)]


def test_one_idempotency_key_is_one_mail(ctx):
    user = make_user(email="ada@example.com")
    user.name = "First"  # a change: the mail joins its transaction
    send_mail("ada@example.com", "Digest", "Body", key="digest:1:2026-12-01")
    db.session.commit()
    user.name = "Second"
    send_mail("ada@example.com", "Digest", "Body", key="digest:1:2026-12-01")
    with pytest.raises(sa.exc.IntegrityError):  # the second change fails with its mail
        db.session.commit()
    db.session.rollback()
    assert len(outbox()) == 1 and db.session.get(User, user.id).name == "First"


def test_a_claimed_mail_is_not_sent_again_until_its_claim_runs_out(ctx, app):
    key = send_mail("ada@example.com", "Once", "Body")
    db.session.commit()
    assert mailqueue.deliver(key) == "skipped"  # sent already (right after the commit)
    now = utcnow()
    # A consumer claimed it and died mid-send: "sending", claimed for MAIL_CLAIM_SECONDS.
    db.session.execute(update(MailOutbox).values(status="sending", sent_at=None,
                                                 next_attempt_at=now + timedelta(seconds=300)))
    db.session.commit()
    assert mailqueue.deliver(key, now) == "skipped" and mailqueue.sweep(now) == 0
    later = now + timedelta(seconds=301)
    assert mailqueue.due_keys(later) == [key]
    assert mailqueue.deliver(key, later) == "sent"
    assert len(outbox()) == 2  # the second copy, with the same Message-ID
    assert {m["Message-ID"] for m in outbox()} == {mailqueue.message_id(key)}


@pytest.mark.config(MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=9)
def test_a_failure_backs_off_exponentially_and_keeps_a_short_error(ctx, app):
    key = send_mail("ada@example.com", "Later", "Body")
    db.session.commit()  # tried inline at once: connection refused
    row = db.session.scalar(select(MailOutbox))
    assert (row.status, row.attempts) == ("pending", 1) and row.last_error.startswith("ConnectionRefusedError")
    next_at = row.next_attempt_at
    db.session.commit()  # end the read: deliveries write on their own connections
    wait = (next_at - utcnow()).total_seconds()
    assert 25 < wait <= 30  # MAIL_RETRY_BASE_SECONDS
    assert mailqueue.deliver(key) == "skipped"  # not due yet
    assert mailqueue.deliver(key, next_at) == "retry"
    assert db.session.scalar(select(MailOutbox.attempts)) == 2
    db.session.commit()
    config = {"MAIL_RETRY_BASE_SECONDS": 30, "MAIL_RETRY_MAX_SECONDS": 3600}
    assert [mailqueue.backoff(n, config) for n in range(1, 10)] == [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]

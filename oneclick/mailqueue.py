"""The mail outbox: every mail is a ``mail_outbox`` row written in the transaction of the change that causes it.

``add`` (called by ``mail.send_mail``, the funnel every ``oneclick.emails`` function uses) puts the row in the
current session; the caller's commit makes it durable with the change, a rollback drops both. After the commit
a session hook enqueues one ``tasks.deliver_mail`` per row; if that enqueue is lost (the queue was down, the
process died between the commit and the enqueue), the periodic sweeper (``sweep``, every minute) enqueues it
again.

Delivery (``deliver``) is at-least-once with an idempotency key:

1. Claim: a conditional UPDATE moves the row from "pending" (or from a "sending" whose claim ran out) to
   "sending" and sets ``next_attempt_at`` to the end of the claim (``MAIL_CLAIM_SECONDS``). Only one consumer's
   UPDATE matches, so two consumers never both send one row.
2. Send through the backend with a Message-ID derived from the key (the same on every attempt).
3. Record: "sent"; or "pending" again with an exponential back-off (``MAIL_RETRY_BASE_SECONDS`` doubling up to
   ``MAIL_RETRY_MAX_SECONDS``); or "failed" after ``MAIL_MAX_ATTEMPTS`` (admins see it on /admin/mail and may
   retry it).

The window: a consumer killed after the SMTP server accepted the message but before step 3 leaves the row
"sending"; once its claim runs out the sweeper sends it again, with the same Message-ID (mail clients and
many servers drop the second copy). A consumer killed at any other moment loses nothing and duplicates nothing.
"""

from __future__ import annotations

import hashlib
import logging
import re
import uuid
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, func, or_, select, update

from . import enqueue, limits
from .clock import utcnow
from .extensions import db
from .models import MailOutbox

log = logging.getLogger(__name__)

_KEY_RE = re.compile(r"[^A-Za-z0-9._:-]")
T = MailOutbox.__table__


def add(to: str, subject: str, text: str, html: str | None = None, key: str | None = None) -> str:
    """Add one mail to the current transaction (the caller's commit makes it durable with its change); return
    its key. Called outside a transaction (after the caller's commit) the mail is committed on its own at once."""
    key = _KEY_RE.sub("-", key)[: limits.MAIL_KEY_MAX] if key else uuid.uuid4().hex
    standalone = not db.session().in_transaction()
    now = utcnow()
    db.session.add(MailOutbox(idempotency_key=key, to_address=to, subject=subject, body=text, html=html,
                              status="pending", attempts=0, next_attempt_at=now, created_at=now))
    _deliver_after_commit([key])
    if standalone:
        db.session.commit()
    return key


def message_id(key: str) -> str:
    """Return the Message-ID of the mail with this key: the same on every attempt to send it."""
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:40]}@oneclick.local>"


def backoff(attempts: int, config) -> int:
    """Seconds to wait after the ``attempts``-th failed attempt: the base, doubled each time, up to the cap."""
    base, cap = int(config["MAIL_RETRY_BASE_SECONDS"]), int(config["MAIL_RETRY_MAX_SECONDS"])
    return min(cap, base * 2 ** max(0, min(attempts - 1, 30)))


def _short(exc: BaseException) -> str:
    text = " ".join(f"{type(exc).__name__}: {exc}".split())
    return text[: limits.MAIL_ERROR_MAX]


def _claimable(now: datetime):
    """A row another consumer is not sending: new (or put back by an admin: no attempt yet), due for a retry, or
    "sending" under a claim that ran out (its consumer died). New rows don't wait for the clock, so a consumer
    whose clock runs a little behind the web server's still sends them at once."""
    return or_(
        and_(T.c.status == "pending", or_(T.c.attempts == 0, T.c.next_attempt_at <= now)),
        and_(T.c.status == "sending", T.c.next_attempt_at <= now),
    )


def deliver(key: str, now: datetime | None = None) -> str:
    """Claim, send and record the mail with ``key``; return "sent", "retry", "failed" or "skipped".

    "skipped": no such row (its transaction rolled back), already sent or failed, claimed by another consumer,
    or not due yet. Runs on its own connections (not the ORM session), so it may run right after a commit.
    """
    from .mail import transmit

    config = current_app.config
    now = now or utcnow()
    with db.engine.begin() as conn:
        claimed = conn.execute(
            update(T)
            .where(T.c.idempotency_key == key, _claimable(now))
            .values(status="sending", attempts=T.c.attempts + 1,
                    next_attempt_at=now + timedelta(seconds=int(config["MAIL_CLAIM_SECONDS"])))
        ).rowcount
        if claimed != 1:
            return "skipped"
        row = conn.execute(select(T).where(T.c.idempotency_key == key)).one()
    try:
        transmit(row.to_address, row.subject, row.body, row.html, message_id(key))
    except Exception as exc:  # any failure of the backend: retry later, and record why
        return _failed(row, exc, config)
    with db.engine.begin() as conn:
        conn.execute(update(T).where(T.c.id == row.id).values(status="sent", sent_at=utcnow(), last_error=None))
    return "sent"


def _failed(row, exc: BaseException, config) -> str:
    from .tasks import deliver_mail

    final = row.attempts >= int(config["MAIL_MAX_ATTEMPTS"])
    wait = backoff(row.attempts, config)
    with db.engine.begin() as conn:
        conn.execute(
            update(T)
            .where(T.c.id == row.id, T.c.status == "sending")
            .values(status="failed" if final else "pending", last_error=_short(exc),
                    next_attempt_at=utcnow() + timedelta(seconds=wait))
        )
    if final:
        log.error("mail %s to %s failed for good after %s attempts: %s", row.id, row.to_address, row.attempts,
                  _short(exc))
        return "failed"
    log.warning("mail %s failed (attempt %s), retrying in %ss: %s", row.id, row.attempts, wait, _short(exc))
    enqueue.later(deliver_mail, row.idempotency_key, wait, "mail")
    return "retry"


def due_keys(now: datetime, limit: int = 500) -> list[str]:
    """Keys of mails due now: pending ones whose time came, and "sending" ones whose claim ran out."""
    with db.engine.connect() as conn:
        return list(conn.scalars(
            select(T.c.idempotency_key)
            .where(T.c.status.in_(("pending", "sending")), T.c.next_attempt_at <= now)
            .order_by(T.c.next_attempt_at, T.c.id)
            .limit(limit)
        ))


def sweep(now: datetime) -> int:
    """Enqueue a delivery for every mail that is due (a lost enqueue, a retry, a claim that ran out)."""
    from .tasks import deliver_mail

    keys = due_keys(now)
    enqueue.now(deliver_mail, keys, "mail")
    return len(keys)


def _deliver_after_commit(keys: list[str]) -> None:
    from .tasks import deliver_mail

    enqueue.after_commit(deliver_mail, keys, "mail")


# --- Admins: failed mails and the retry button -----------------------------------------------------------------


def failed_mails(limit: int = 100) -> list[MailOutbox]:
    """The newest mails that failed for good (and a count of those still waiting), for the support console."""
    rows = list(db.session.scalars(
        select(MailOutbox).where(MailOutbox.status == "failed").order_by(MailOutbox.id.desc()).limit(limit)
    ))
    db.session.commit()
    return rows


def waiting_count() -> int:
    """How many mails are queued and not yet sent (pending or being sent)."""
    count = db.session.scalar(select(func.count()).select_from(MailOutbox)
                              .where(MailOutbox.status.in_(("pending", "sending"))))
    db.session.commit()
    return count or 0


def retry(mail_id: int, now: datetime) -> MailOutbox | None:
    """Put a failed mail back in the queue with fresh attempts (caller commits); None when it is not failed."""
    mail = db.session.scalar(select(MailOutbox).where(MailOutbox.id == mail_id, MailOutbox.status == "failed"))
    if mail is None:
        return None
    done = db.session.execute(
        update(MailOutbox)
        .where(MailOutbox.id == mail_id, MailOutbox.status == "failed")
        .values(status="pending", attempts=0, next_attempt_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if done != 1:
        return None
    _deliver_after_commit([mail.idempotency_key])
    return mail

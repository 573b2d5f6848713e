"""Data people control: the retention job, a guest's own page (see, withdraw, erase).

Every function commits at most one transaction and takes who acts explicitly (a guest is their verified
address: the signed token of their private link).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime

from flask import current_app
from sqlalchemy import delete, null, or_, select, update

from .. import tokens
from ..db_helpers import insert_for
from ..extensions import db
from ..models import (
    Connection,
    ConnectionRequest,
    GuestConfirmation,
    GuestErasure,
    MailOutbox,
    Notification,
    User,
    WebhookDelivery,
)
from . import rules

#: The notification kind that carries a request's sender (oneclick.notifications.services.REQUEST_RECEIVED).
_REQUEST_RECEIVED = "request_received"

#: Rows looked at per statement by the retention job.
BATCH = 500


def retention_days() -> int:
    return int(current_app.config["GUEST_RETENTION_DAYS"])


def erase_expired_guest_data(now: datetime) -> int:
    """Erase (or trim) what guests left longer than GUEST_RETENTION_DAYS ago (``rules``); return rows touched.

    Idempotent: a second run finds nothing (trimmed rows are left out by the query and by the rule).
    """
    days = retention_days()
    limit = rules.cutoff(now, days)
    cr = ConnectionRequest
    touched = 0
    candidates = (
        select(cr.id, cr.status, cr.email_confirmed_at, cr.created_at, cr.decided_at, cr.note, cr.shared_card)
        .where(
            cr.requester_id.is_(None),
            or_(
                (cr.status == "declined") & (cr.decided_at < limit),
                (cr.status == "declined") & cr.decided_at.is_(None) & (cr.created_at < limit),
                (cr.status == "accepted") & (cr.decided_at < limit) & ((cr.note != "") | cr.shared_card.is_not(None)),
                (cr.status == "pending") & cr.email_confirmed_at.is_(None) & (cr.created_at < limit),
            ),
        )
        .order_by(cr.id)
    )
    after = 0
    while True:
        rows = db.session.execute(candidates.where(cr.id > after).limit(BATCH)).all()
        if not rows:
            break
        after = rows[-1].id
        erase, trim, tidy = [], [], []
        for r in rows:
            facts = rules.RequestFacts(
                member=False, status=r.status, confirmed=r.email_confirmed_at is not None, created_at=r.created_at,
                decided_at=r.decided_at, trimmed=r.note == "" and r.shared_card is None,
            )
            decision = rules.request_fate(facts, now, days)
            if decision.action == "erase":
                erase.append(r.id)
            elif decision.action == "trim":
                trim.append(r.id)
            elif decision == rules.KEEP_TRIMMED:  # a JSON null stored for "no details": make it SQL NULL, uncounted
                tidy.append(r.id)
        if erase:
            _forget_notifications(erase)
            touched += db.session.execute(
                # Re-checked in the statement: an owner accepting the request meanwhile keeps it.
                delete(cr).where(
                    cr.id.in_(erase), cr.requester_id.is_(None),
                    or_(cr.status == "declined", (cr.status == "pending") & cr.email_confirmed_at.is_(None)),
                ),
                execution_options={"synchronize_session": False},
            ).rowcount
        if trim:
            touched += db.session.execute(
                update(cr).where(cr.id.in_(trim), cr.requester_id.is_(None), cr.status == "accepted")
                .values(note="", shared_card=null()),
                execution_options={"synchronize_session": False},
            ).rowcount
        if tidy:
            db.session.execute(update(cr).where(cr.id.in_(tidy)).values(shared_card=null()),
                               execution_options={"synchronize_session": False})
        db.session.commit()
    gc = GuestConfirmation
    touched += db.session.execute(
        delete(gc).where(gc.sent_at < limit), execution_options={"synchronize_session": False}
    ).rowcount
    db.session.commit()
    return touched


def _forget_notifications(request_ids: list[int]) -> None:
    """Delete the owners' "new request" events of erased requests (they carry the sender's name)."""
    n = Notification
    db.session.execute(
        delete(n).where(n.kind == _REQUEST_RECEIVED, n.subject_id.in_(request_ids)),
        execution_options={"synchronize_session": False},
    )


# --- A guest's own page -----------------------------------------------------------------------------------------


def address_digest(email: str, key: str | None = None) -> str:
    """Return the keyed digest an erasure is kept under (the address itself is not kept)."""
    secret = key if key is not None else current_app.config["SECRET_KEY"]
    return hmac.new(f"{tokens.GUEST_ACCESS_SALT}\x00{secret}".encode(), email.encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True, slots=True)
class GuestAccess:
    """Who a private link speaks for: ``state`` "ok" (``email`` set), "bad", "expired" or "revoked"."""

    state: str
    email: str = ""


def guest_access(token: str) -> GuestAccess:
    """Read a guest's private link: genuine, unexpired, and issued after the address's last erasure."""
    state, email, issued = tokens.unsign_guest_access(token, int(current_app.config["GUEST_ACCESS_MAX_AGE"]))
    if state != "ok":
        return GuestAccess(state)
    keys = [current_app.config["SECRET_KEY"], *current_app.config.get("SECRET_KEY_FALLBACKS", [])]
    erased = db.session.scalar(
        select(GuestErasure.erased_at).where(GuestErasure.digest.in_([address_digest(email, k) for k in keys]))
        .order_by(GuestErasure.erased_at.desc()).limit(1)
    )
    db.session.commit()
    if erased is not None and issued <= erased.timestamp():
        return GuestAccess("revoked")
    return GuestAccess("ok", email)


@dataclass(frozen=True, slots=True)
class GuestItem:
    """One thing a guest sent, as their page shows it.

    ``status``: "unconfirmed" (the mailed link was not clicked), "waiting" (pending, or declined: declining is
    silent, so the guest sees it wait), or "connected". ``withdrawable``: a request they may take back.
    """

    id: int
    owner_name: str
    name: str
    note: str
    sent_at: datetime
    status: str
    withdrawable: bool


def guest_items(email: str) -> list[GuestItem]:
    """Return what this address sent as a guest, newest first: requests, then unconfirmed ones.

    Only what the guest typed, the receiver's public name and the dates: nothing of the owner's own data.
    """
    cr, gc = ConnectionRequest, GuestConfirmation
    items = [
        GuestItem(r.id, r.owner_name, r.name, r.note, r.created_at,
                  "connected" if r.status == "accepted" else "waiting", r.status != "accepted")
        for r in db.session.execute(
            select(cr.id, cr.name, cr.note, cr.status, cr.created_at, User.name.label("owner_name"))
            .join(User, User.id == cr.owner_id)
            .where(cr.requester_email == email, cr.requester_id.is_(None))
            .order_by(cr.created_at.desc(), cr.id.desc())
        )
    ]
    items += [
        GuestItem(0, r.owner_name, r.name, r.note, r.created_at, "unconfirmed", False)
        for r in db.session.execute(
            select(gc.name, gc.note, gc.created_at, User.name.label("owner_name"))
            .join(User, User.id == gc.owner_id)
            .where(gc.email == email, gc.confirmed_at.is_(None))
            .order_by(gc.created_at.desc(), gc.id.desc())
        )
    ]
    db.session.commit()
    return items


def withdraw_guest_request(email: str, request_id: int) -> bool:
    """Take back (erase) one of this address's unanswered guest requests; False when there is no such request.

    A silently declined request is withdrawn the same way, so the answer never tells the two apart.
    """
    cr = ConnectionRequest
    gone = db.session.execute(
        delete(cr)
        .where(cr.id == request_id, cr.requester_email == email, cr.requester_id.is_(None),
               cr.status.in_(("pending", "declined")))
        .returning(cr.id),
        execution_options={"synchronize_session": False},
    ).all()
    if gone:
        _forget_notifications([request_id])
    db.session.commit()
    return bool(gone)


def erase_guest_address(email: str, now: datetime) -> int:
    """Erase everything stored about ``email`` as a guest in this instance; return how many rows went.

    Their requests (every status), unconfirmed requests, the owners' connections with the address where no
    member holds it, the owners' "new request" events, webhook deliveries naming it (except one being sent this
    moment), and delivered or failed mails to it. Private links
    issued until now stop opening. Kept: owners' blocks of the address (the owner's own list; a block is never
    revealed), and what a member account with this address holds (that is the account's data).
    """
    cr, gc, c, mo = ConnectionRequest, GuestConfirmation, Connection, MailOutbox
    sync = {"synchronize_session": False}
    ids = list(db.session.scalars(select(cr.id).where(cr.requester_email == email, cr.requester_id.is_(None))))
    gone = 0
    if ids:
        _forget_notifications(ids)
        gone += db.session.execute(delete(cr).where(cr.id.in_(ids)), execution_options=sync).rowcount
    gone += db.session.execute(delete(gc).where(gc.email == email), execution_options=sync).rowcount
    gone += db.session.execute(
        delete(c).where(c.email == email, c.member_id.is_(None)), execution_options=sync
    ).rowcount
    gone += db.session.execute(
        delete(mo).where(mo.to_address == email, mo.status.in_(("sent", "failed"))), execution_options=sync
    ).rowcount
    # Webhook events about the address's requests, kept in their owners' delivery logs (or still to be sent).
    wd = WebhookDelivery
    gone += db.session.execute(
        delete(wd).where(wd.status != "sending", wd.payload.contains('"email":' + json.dumps(email), autoescape=True)),
        execution_options=sync,
    ).rowcount
    insert = insert_for(db.session)
    stmt = insert(GuestErasure).values(digest=address_digest(email), erased_at=now.astimezone(UTC))
    db.session.execute(stmt.on_conflict_do_update(index_elements=["digest"], set_={"erased_at": now}))
    db.session.commit()
    return gone

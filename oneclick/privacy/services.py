"""Data people control: the retention job, a guest's own page (see, withdraw, erase).

Every function commits at most one transaction and takes who acts explicitly (a guest is their verified
address: the signed token of their private link).
"""

from __future__ import annotations

from datetime import datetime

from flask import current_app
from sqlalchemy import delete, null, or_, select, update

from ..extensions import db
from ..models import ConnectionRequest, GuestConfirmation
from . import rules

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
            touched += db.session.execute(
                delete(cr).where(cr.id.in_(erase), cr.requester_id.is_(None)),
                execution_options={"synchronize_session": False},
            ).rowcount
        if trim:
            touched += db.session.execute(
                update(cr).where(cr.id.in_(trim), cr.requester_id.is_(None)).values(note="", shared_card=null()),
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

"""In-app notifications, acceptance mails and link warnings.

Events are written by the service that makes the change, inside its transaction (``record``,
``request_received``, ``request_accepted``, ``invitation_accepted``, ``link_requests_warning`` never commit): a
request, an acceptance or a warning and its notification land together or not at all. Their mails are returned
as ``Mail`` values and queued by ``send_mails`` before the caller commits (``mail.send_mail`` adds a mail_outbox
row to the transaction), so the change, its event and its mail are stored together; the expiry sweep
``send_link_warnings`` does the same per link, and a link whose mail could not be queued is tried again next run.

What an event says is fixed when it happens (a small ``payload``) and never more than the member could already
see: an invitation's sender hears only of an acceptance, as their sent list shows it; a declined request (a
blocked sender's too) tells its sender nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, select, update

from .. import emails
from ..contacts import services as contacts
from ..db_helpers import insert_for
from ..extensions import db
from ..models import ConnectionRequest, InviteLink, LinkWarning, Notification, User
from ..validators import MAX_ID
from . import rules

log = logging.getLogger(__name__)

REQUEST_RECEIVED = "request_received"
REQUEST_ACCEPTED = "request_accepted"
INVITATION_ACCEPTED = "invitation_accepted"
LINK_EXPIRING = "link_expiring"
LINK_REQUESTS = "link_requests"
KINDS = (REQUEST_RECEIVED, REQUEST_ACCEPTED, INVITATION_ACCEPTED, LINK_EXPIRING, LINK_REQUESTS)
#: The header's unread count stops here ("99+").
BADGE_CAP = 99


def _thresholds() -> rules.Thresholds:
    return rules.Thresholds.from_config(current_app.config)


# --- Writing events (inside the caller's transaction) ----------------------------------------------------------


def record(user_id: int, kind: str, now: datetime, subject_id: int | None = None, **payload) -> None:
    """Add one event for ``user_id`` to the caller's transaction (no commit)."""
    if kind not in KINDS:
        raise ValueError(f"unknown notification kind {kind!r}")
    db.session.add(Notification(user_id=user_id, kind=kind, subject_id=subject_id, payload=payload, created_at=now))


@dataclass(frozen=True, slots=True)
class Mail:
    """A mail to send once the transaction that decided it is committed: ``emails.<function>(to, *args)``."""

    function: str
    to: str
    args: tuple = field(default_factory=tuple)


def send_mails(mails) -> None:
    """Queue the mails a change decided, in its transaction (None entries are skipped); a failure is logged and
    never undoes the change."""
    for mail in mails:
        if mail is None:
            continue
        try:
            getattr(emails, mail.function)(mail.to, *mail.args)
        except Exception:  # the change and its in-app event stand; the mail is a courtesy
            log.exception("could not send %s", mail.function)


def request_received(owner_id: int, request_id: int, name: str, link_label: str, auto: bool, now: datetime) -> None:
    """Tell the owner about a new request (``auto``: a link that accepts everyone connected them already)."""
    record(owner_id, REQUEST_RECEIVED, now, request_id, name=name, link=link_label, auto=bool(auto))


def request_accepted(owner: User, request_id: int, requester_id: int | None, requester_email: str,
                     email_confirmed: bool, now: datetime) -> Mail | None:
    """Tell a requester their request was accepted: a member in the app and at their verified account address, a
    guest at the address they confirmed (a guest request kept from before the double opt-in gets no mail).

    Returns the mail for the caller to queue (``send_mails``) before it commits.
    """
    if requester_id is not None:
        member = db.session.get(User, requester_id)
        if member is None:
            return None
        record(member.id, REQUEST_ACCEPTED, now, request_id, name=owner.name)
        if member.email_verified_at is None:
            return None
        return Mail("send_request_accepted", member.email, (owner.name, True, _owner_card(owner, request_id)))
    if not email_confirmed:
        return None
    return Mail("send_request_accepted", requester_email, (owner.name, False, _owner_card(owner, request_id)))


def _owner_card(owner: User, request_id: int) -> tuple:
    """The (label, value) pairs of the owner's card that the request's link shares (the acceptance mail's card)."""
    link_id = db.session.scalar(select(ConnectionRequest.link_id).where(ConnectionRequest.id == request_id))
    return contacts.owner_shared_for_request(owner, link_id).lines()


def invitation_accepted(sender_id: int, invitation_id: int, shown_as: str, now: datetime) -> None:
    """Tell an invitation's sender it was accepted, naming the recipient as their sent list does (``shown_as``).

    Ignored, "I don't know" and spam answers make no event: the sent list doesn't show them either.
    """
    record(sender_id, INVITATION_ACCEPTED, now, invitation_id, name=shown_as)


def _fire(link_id: int, kind: str, key: str, now: datetime) -> bool:
    """Claim the warning of ``kind`` for the link, sent for ``key``; False when it was sent for that key already.

    One row per (link, kind) (a unique constraint): a different key (a new expiry or limit) re-arms it.
    """
    lw = LinkWarning
    # RETURNING, not rowcount: psycopg reports -1 for an INSERT ... ON CONFLICT DO NOTHING that SQLAlchemy runs.
    moved = db.session.execute(
        update(lw)
        .where(lw.link_id == link_id, lw.kind == kind, lw.fired_for != key)
        .values(fired_for=key, fired_at=now)
        .returning(lw.id),
        execution_options={"synchronize_session": False},
    ).first()
    if moved is not None:
        return True
    insert = insert_for(db.session)
    added = db.session.execute(
        insert(lw)
        .values(link_id=link_id, kind=kind, fired_for=key, fired_at=now)
        .on_conflict_do_nothing(index_elements=["link_id", "kind"])
        .returning(lw.id)
    ).first()
    return added is not None


def _used(link_id: int) -> int:
    return db.session.scalar(
        select(func.count()).select_from(ConnectionRequest).where(ConnectionRequest.link_id == link_id)
    ) or 0


def link_requests_warning(link, now: datetime) -> Mail | None:
    """After a request through ``link`` (a row or snapshot the caller locked), warn its owner once when the link's
    requests reached the warning share of its limit. Part of the caller's transaction; returns the mail."""
    if link.max_requests is None:
        return None
    t = _thresholds()
    used = _used(link.id)
    if not rules.requests_due(used, link.max_requests, t):
        return None
    if not _fire(link.id, rules.REQUESTS, rules.fired_for(rules.REQUESTS, None, link.max_requests), now):
        return None
    record(link.owner_id, LINK_REQUESTS, now, link.id, label=link.label, used=min(used, link.max_requests),
           max=link.max_requests)
    owner = db.session.get(User, link.owner_id)
    text = rules.requests_used(used, link.max_requests)
    return Mail("send_link_warning", owner.email, (owner.name, link.id, link.label, text))


def send_link_warnings(now: datetime) -> int:
    """Warn owners whose links expire within ``LINK_WARN_EXPIRY_HOURS``: a mail and a notification, once per link
    and expiry. Idempotent (run it as often as you like); each link in its own transaction. Returns how many fired.

    Paused, expired and full links are skipped: they stopped working already and say so in the app.
    """
    t = _thresholds()
    il = InviteLink
    candidates = list(
        db.session.scalars(
            select(il.id)
            .join(User, User.id == il.owner_id)
            .where(il.active, il.expires_at > now, il.expires_at <= now + timedelta(hours=t.expiry_hours),
                   User.email_verified_at.is_not(None))
            .order_by(il.id)
        )
    )
    db.session.commit()
    fired = 0
    for link_id in candidates:
        link = db.session.scalar(select(il).where(il.id == link_id).with_for_update())
        due = link is not None and link.active and rules.expiry_due(link.expires_at, now, t)
        if due and link.max_requests is not None and _used(link.id) >= link.max_requests:
            due = False
        if not due or not _fire(link.id, rules.EXPIRING, rules.fired_for(rules.EXPIRING, link.expires_at, None), now):
            db.session.rollback()
            continue
        owner = db.session.get(User, link.owner_id)
        record(owner.id, LINK_EXPIRING, now, link.id, label=link.label,
               expires_at=link.expires_at.isoformat(timespec="seconds"))
        try:
            emails.send_link_warning(owner.email, owner.name, link.id, link.label,
                                     rules.expires_in(link.expires_at, now))
        except Exception:  # nothing is marked: the next run tries again
            log.exception("could not mail an expiry warning for link %s", link.id)
            db.session.rollback()
            continue
        db.session.commit()
        fired += 1
    return fired


# --- Reading: warnings shown on pages -----------------------------------------------------------------------


def warnings_for(link, used: int, now: datetime) -> list[rules.Alert]:
    """Return the warnings the links list shows for one link (a row or snapshot) with ``used`` requests."""
    return rules.warnings(active=bool(link.active), expires_at=link.expires_at, max_requests=link.max_requests,
                          used=used, now=now, t=_thresholds())


@dataclass(frozen=True, slots=True)
class LinkAlerts:
    """A link the dashboard warns about."""

    link_id: int
    label: str
    alerts: list[rules.Alert]


def link_alerts(owner: User, now: datetime) -> list[LinkAlerts]:
    """Return the owner's links that will soon stop working, with what to say about each (one query)."""
    t = _thresholds()
    il, cr = InviteLink, ConnectionRequest
    counts = (
        select(cr.link_id, func.count().label("used"))
        .join(il, il.id == cr.link_id)
        .where(il.owner_id == owner.id, il.max_requests.is_not(None))
        .group_by(cr.link_id)
        .subquery()
    )
    rows = db.session.execute(
        select(il.id, il.label, il.active, il.expires_at, il.max_requests, func.coalesce(counts.c.used, 0))
        .outerjoin(counts, counts.c.link_id == il.id)
        .where(il.owner_id == owner.id, il.active,
               (il.max_requests.is_not(None)) | (il.expires_at <= now + timedelta(hours=t.expiry_hours)))
        .order_by(il.created_at.desc(), il.id.desc())
    ).all()
    found = []
    for link_id, label, active, expires_at, max_requests, used in rows:
        alerts = rules.warnings(active=bool(active), expires_at=expires_at, max_requests=max_requests,
                                used=int(used), now=now, t=t)
        if alerts:
            found.append(LinkAlerts(link_id, label, alerts))
    return found


# --- The notifications page ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Item:
    """One event as the page shows it."""

    id: int
    kind: str
    subject_id: int | None
    payload: dict
    created_at: datetime
    unread: bool


@dataclass(frozen=True, slots=True)
class Page:
    """A page of events, newest first; ``next_after`` continues it; ``unread`` counts every unread event (capped)
    as it was before this page marked its own as read."""

    items: list[Item]
    next_after: int | None
    unread: int
    newest_id: int | None


def _shown(payload) -> dict:
    """Return an event's payload for the page: times (stored as ISO text) as aware datetimes."""
    shown = dict(payload or {})
    if isinstance(shown.get("expires_at"), str):
        try:
            shown["expires_at"] = datetime.fromisoformat(shown["expires_at"])
        except ValueError:
            shown.pop("expires_at")
    return shown


def _unread_stmt(user_id: int):
    n = Notification
    return select(n.id).where(n.user_id == user_id, n.read_at.is_(None))


def unread_count(user_id: int) -> int:
    """Return the member's unread events for the header (at most BADGE_CAP + 1, shown as "99+")."""
    return db.session.scalar(select(func.count()).select_from(_unread_stmt(user_id).limit(BADGE_CAP + 1).subquery()))


def page(user: User, now: datetime, after: int | None = None) -> Page:
    """Return one page of the member's events, newest first (keyset on id), and mark those shown as read.

    The page still shows them as unread this once, so the member sees what is new.
    """
    size = int(current_app.config["NOTIFICATIONS_PAGE_SIZE"])
    n = Notification
    stmt = select(n.id, n.kind, n.subject_id, n.payload, n.created_at, n.read_at).where(n.user_id == user.id)
    if after is not None:
        stmt = stmt.where(n.id < after)
    found = db.session.execute(stmt.order_by(n.id.desc()).limit(size + 1)).all()
    items = [Item(r.id, r.kind, r.subject_id, _shown(r.payload), r.created_at, r.read_at is None)
             for r in found[:size]]
    unread = unread_count(user.id)
    newest = db.session.scalar(select(func.max(n.id)).where(n.user_id == user.id))
    shown_unread = [i.id for i in items if i.unread]
    if shown_unread:
        db.session.execute(
            update(n).where(n.user_id == user.id, n.id.in_(shown_unread), n.read_at.is_(None)).values(read_at=now),
            execution_options={"synchronize_session": False},
        )
    db.session.commit()
    return Page(items, items[-1].id if len(found) > size else None, unread, newest)


@dataclass(frozen=True, slots=True)
class Target:
    """Where opening an event leads: its kind and subject (None when the subject is gone)."""

    kind: str
    subject_id: int | None


def open_item(user: User, notification_id: int, now: datetime) -> Target | None:
    """Mark one of the member's events read and return where it leads; None when it isn't theirs."""
    n = Notification
    row = db.session.execute(
        select(n.id, n.kind, n.subject_id, n.read_at).where(n.id == notification_id, n.user_id == user.id)
    ).first()
    if row is None:
        db.session.rollback()
        return None
    if row.read_at is None:
        db.session.execute(update(n).where(n.id == row.id, n.read_at.is_(None)).values(read_at=now))
    subject = row.subject_id
    if row.kind in (LINK_EXPIRING, LINK_REQUESTS) and subject is not None:
        subject = db.session.scalar(
            select(InviteLink.id).where(InviteLink.id == subject, InviteLink.owner_id == user.id)
        )
    db.session.commit()
    return Target(row.kind, subject)


def mark_all_read(user: User, now: datetime, upto: int | None = None) -> int:
    """Mark the member's unread events read (those up to id ``upto`` when given: the page they saw); return how
    many."""
    n = Notification
    stmt = update(n).where(n.user_id == user.id, n.read_at.is_(None))
    if upto is not None:
        stmt = stmt.where(n.id <= min(upto, MAX_ID))
    done = db.session.execute(stmt.values(read_at=now), execution_options={"synchronize_session": False}).rowcount
    db.session.commit()
    return done

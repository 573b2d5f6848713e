"""Inbound requests, connections, blocks and owner notifications.

Every function takes the acting user explicitly (never ``current_user``) and commits at most one
transaction. Requests through links never touch invitation allotments or decline counters.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask import current_app
from sqlalchemy import Integer, and_, delete, func, literal, or_, select, tuple_, update
from sqlalchemy.exc import IntegrityError

from .. import emails, tokens
from ..contacts import services as contacts
from ..db_helpers import insert_for
from ..extensions import db
from ..links.services import link_token, resolve_token
from ..models import (
    Block,
    Connection,
    ConnectionRequest,
    GuestConfirmation,
    InviteLink,
    User,
    UTCDateTime,
    new_public_id,
)
from ..notifications import services as notifications
from ..validators import MAX_ID
from ..webhooks import services as webhooks
from . import rules

log = logging.getLogger(__name__)

STATUSES = ("pending", "accepted", "declined")
ACTIONS = ("accept", "decline", "block")
SOURCES = ("link", "invitation")
#: Most ids one bulk action touches (a page holds far fewer).
MAX_BULK = 200
#: Counts shown in the nav badge and tabs stop here ("99+"), so they stay cheap for huge inboxes.
BADGE_CAP = 99
TAB_COUNT_CAP = 999

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


# --- Keyset cursors ----------------------------------------------------------------------------------


def encode_cursor(created_at: datetime, row_id: int) -> str:
    """Return an opaque cursor for the row after which the next page starts."""
    micros = (created_at - _EPOCH) // timedelta(microseconds=1)
    return f"{micros}-{row_id}"


def decode_cursor(cursor: str | None) -> tuple[datetime, int] | None:
    """Return ``(created_at, id)`` from a cursor, or None for a missing or malformed one."""
    if not cursor or len(cursor) > 40:
        return None
    micros, sep, row_id = cursor.partition("-")
    # ASCII digits only: str.isdigit() also takes "²" or "٣", which int() then refuses or reads differently.
    if not sep or not (micros + row_id).isascii() or not micros.isdigit() or not row_id.isdigit():
        return None
    if int(row_id) > MAX_ID:  # beyond an id column: no row comes after it, and the database would refuse it
        return None
    try:
        return _EPOCH + timedelta(microseconds=int(micros)), int(row_id)
    except OverflowError:
        return None


def _before(created_col, id_col, cursor: tuple[datetime, int]):
    """Return the keyset condition "(created_at, id) < cursor" (newest-first pages)."""
    return tuple_(created_col, id_col) < tuple_(literal(cursor[0], UTCDateTime()), literal(cursor[1], Integer()))


# --- The visitor's side ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class VisitorState:
    """What the request area of a landing page shows to this visitor.

    ``kind``: "owner" (previewing their own link), "connected", "pending" (``since`` is the request
    date), "member" (one-button form), "guest" (name, email and note) or "guest_sent" (this browser sent a
    guest request on ``since``: "check your inbox", the same whatever became of it).
    """

    kind: str
    since: datetime | None = None


def _open_request(owner_id: int, email: str) -> ConnectionRequest | None:
    """Return the visitor's latest unanswered request to this owner.

    A declined request counts as open for the visitor: declining is silent, so they keep seeing
    "pending" and cannot ask again and again.
    """
    return db.session.scalar(
        select(ConnectionRequest)
        .where(
            ConnectionRequest.owner_id == owner_id,
            ConnectionRequest.requester_email == email,
            ConnectionRequest.status.in_(("pending", "declined")),
        )
        .order_by(ConnectionRequest.created_at.desc(), ConnectionRequest.id.desc())
        .limit(1)
    )


def _is_connected(owner_id: int, email: str, member_id: int | None = None) -> bool:
    """Return True when the owner is connected with ``email``.

    For a member (``member_id``), a guest-side row counts only when the guest proved the address (a confirmed
    request led to it): a row left by someone who merely typed the address before the double opt-in must not
    stop its real owner from connecting.
    """
    c, cr = Connection, ConnectionRequest
    stmt = select(c.id).where(c.owner_id == owner_id, c.email == email)
    if member_id is not None:
        proved = (
            select(cr.id)
            .where(cr.owner_id == owner_id, cr.requester_email == email, cr.status == "accepted",
                   cr.email_confirmed_at.is_not(None))
            .exists()
        )
        stmt = stmt.where(or_(c.member_id == member_id, and_(c.member_id.is_(None), proved)))
    return db.session.scalar(stmt.limit(1)) is not None


def visitor_state(link: InviteLink, viewer: User | None, guest_sent_at: datetime | None = None) -> VisitorState:
    """Return what the request area shows; anonymous visitors cost no query.

    ``guest_sent_at`` is when this browser sent the link's owner a guest request, if it did. What became of
    that request is never looked up: anyone can type any address, so the page must not depend on it.
    """
    if viewer is None:
        return VisitorState("guest") if guest_sent_at is None else VisitorState("guest_sent", guest_sent_at)
    if viewer.id == link.owner_id:
        return VisitorState("owner")
    if _is_connected(link.owner_id, viewer.email, viewer.id):
        return VisitorState("connected")
    pending = _open_request(link.owner_id, viewer.email)
    if pending is not None:
        return VisitorState("pending", pending.created_at)
    return VisitorState("member")


@dataclass(frozen=True, slots=True)
class SendResult:
    """What happened to a request.

    ``outcome``: "sent", "connected" (auto-accept), "already_pending", "already_connected",
    "own_link", "unavailable" (``link_state`` says why) or "daily_cap". A blocked sender gets "sent" and
    a request that is declined at once (a real row, so every later answer matches an unblocked sender's):
    a block is never revealed.
    """

    outcome: str
    link_state: str = "ok"
    request_id: int | None = None
    since: datetime | None = None
    owner_name: str = ""
    owner_public_id: str = ""


def _insert_connection(**values) -> None:
    """Insert one side of a connection unless (owner, email) is connected already.

    A member (``member_id`` given) takes over a guest-side row of their verified address: such a row may have
    been left by anyone who typed the address before the double opt-in.
    """
    insert = insert_for(db.session)
    stmt = insert(Connection).values(**values)
    if values.get("member_id") is not None:
        stmt = stmt.on_conflict_do_update(
            index_elements=["owner_id", "email"],
            set_={"member_id": stmt.excluded.member_id, "name": stmt.excluded.name},
            where=Connection.member_id.is_(None),
        )
    else:
        stmt = stmt.on_conflict_do_nothing(index_elements=["owner_id", "email"])
    db.session.execute(stmt)


def _connect(owner: User, requester_id: int | None, email: str, name: str, link_id: int | None, now,
             share_fields: str = "", shared_card: dict | None = None) -> None:
    """Connect the owner with a requester: the owner's side, and the member's side when they are one.

    Each row carries what the other side shares with its owner (``contacts.connection_shares``): the request's
    choice on the owner's row, the link's on the requester's.
    """
    owner_side, requester_side = contacts.connection_shares(link_id, requester_id, share_fields, shared_card)
    _insert_connection(
        owner_id=owner.id, member_id=requester_id, email=email, name=name, source="link", link_id=link_id,
        created_at=now, **owner_side,
    )
    if requester_id is not None:
        _insert_connection(
            owner_id=requester_id, member_id=owner.id, email=owner.email, name=owner.name, source="link",
            link_id=None, created_at=now, **requester_side,
        )


@dataclass(frozen=True, slots=True)
class _Notice:
    """An instant notification to mail once the request is committed."""

    to: str
    owner_name: str
    name: str
    email: str
    note: str
    link_label: str
    auto: bool


def _requests_today(link_id: int, now: datetime) -> int:
    """Count the requests through the link since the start of ``now``'s day (the daily cap's window)."""
    return db.session.scalar(
        select(func.count())
        .select_from(ConnectionRequest)
        .where(ConnectionRequest.link_id == link_id, ConnectionRequest.created_at >= rules.day_start(now))
    ) or 0


def _is_blocked(owner_id: int, email: str) -> bool:
    return db.session.scalar(select(Block.id).where(Block.owner_id == owner_id, Block.email == email)) is not None


def _facts(link, owner: User, requester_id: int | None, email: str, now: datetime):
    """Read what the rules need about one request (the caller holds the link's row lock)."""
    existing = _open_request(owner.id, email)
    facts = rules.Facts(
        own_link=requester_id is not None and requester_id == owner.id,
        connected=_is_connected(owner.id, email, requester_id),
        open_request=existing is not None,
        sent_today=_requests_today(link.id, now),
        blocked=_is_blocked(owner.id, email),
        auto_accept=bool(link.auto_accept),
        notify_instant=owner.notify_mode == "instant",
    )
    return facts, existing


def _place_request(
    link, owner: User, requester_id: int | None, name: str, email: str, note: str, now: datetime,
    share_fields: str = "", shared_card: dict | None = None,
) -> tuple[SendResult, list]:
    """Decide (``rules``) and store one request from a verified address through an open link whose row the
    caller locked, with its notifications (the owner's, the requester's when auto-accepted, a request-limit
    warning when this request reached it).

    Does not commit, except that a lost race rolls the whole transaction back (the caller's writes too).
    The caller rolls back on "daily_cap"; otherwise it queues the returned mails (``_send_notice``) and commits.
    """
    owner_id, owner_name = owner.id, owner.name
    who = {"owner_name": owner_name, "owner_public_id": owner.public_id}
    facts, existing = _facts(link, owner, requester_id, email, now)
    decision = rules.can_send(facts, rules.Limits.from_config(current_app.config))
    if not decision.allowed:
        if decision.reason == "already_pending":
            return SendResult("already_pending", request_id=existing.id, since=existing.created_at, **who), []
        return SendResult(decision.reason, **who), []
    placement = rules.place(facts)
    req = ConnectionRequest(
        owner_id=owner.id,
        link_id=link.id,
        requester_id=requester_id,
        requester_email=email,
        name=name,
        note=note or "",
        status=placement.status,
        created_at=now,
        decided_at=now if placement.status != "pending" else None,
        email_confirmed_at=now,
        share_fields=share_fields,
        shared_card=shared_card,
    )
    db.session.add(req)
    try:
        db.session.flush()
    except IntegrityError:
        # Another submit for the same (owner, sender) won the race: answer with its request.
        db.session.rollback()
        existing = _open_request(owner_id, email)
        if existing is None:  # pragma: no cover - the winner was decided between our two statements
            return SendResult("already_connected", **who), []
        return SendResult("already_pending", request_id=existing.id, since=existing.created_at, **who), []
    if placement.connect:
        _connect(owner, req.requester_id, email, name, link.id, now, share_fields, shared_card)
    result = SendResult(placement.outcome, request_id=req.id, since=now, **who)
    mails: list = []
    if placement.notify:
        mails.append(_Notice(owner.email, owner_name, name, email, note or "", link.label, placement.connect))
    if placement.status != "declined":  # a blocked sender's request is never announced
        notifications.request_received(owner.id, req.id, name, link.label, placement.connect, now)
        webhooks.emit(db.session, owner.id, "request.created", webhooks.request_data(req.id, link.id, name, email))
    if placement.connect:  # the sender proved the address: a member's verified account or a confirmed guest
        mails.append(notifications.request_accepted(owner, req.id, requester_id, email, True, now))
        webhooks.emit(db.session, owner.id, "request.accepted", webhooks.request_data(req.id, link.id, name, email))
    mails.append(notifications.link_requests_warning(link, now))
    return result, mails


def _send_notice(mails: list) -> None:
    """Send what a committed request decided: the owner's instant mail, an acceptance, a link warning."""
    for notice in mails:
        if isinstance(notice, _Notice):
            _notify_instant(notice.to, notice.owner_name, notice.name, notice.email, notice.note, notice.link_label,
                            notice.auto)
        else:
            notifications.send_mails([notice])


def send_request(token: str, requester: User, name: str, email: str, note: str, now: datetime,
                 share_fields: str = "") -> SendResult:
    """Send a member's connection request through the link in ``token``; at most one pending per (owner, sender).

    The member's own (verified) name and email are used; guests go through ``start_guest_request`` and
    ``confirm_guest_request`` instead. Concurrent double submits create one request: they queue on the link
    row (SQLite: BEGIN IMMEDIATE), and the partial unique index catches the rest (two links of one owner).
    """
    if requester is None:
        raise ValueError("guests send through start_guest_request (double opt-in)")
    parsed = tokens.unsign_link(token)
    if parsed is None:
        return SendResult("unavailable", "not_found")
    db.session.execute(select(InviteLink.id).where(InviteLink.public_id == parsed[0]).with_for_update())
    resolution = resolve_token(token, now)
    if not resolution.ok:
        db.session.rollback()
        return SendResult("unavailable", resolution.state)
    link = resolution.link
    owner = db.session.get(User, link.owner_id)
    result, notice = _place_request(
        link, owner, requester.id, requester.name, requester.email.strip().lower(), note, now,
        share_fields=share_fields,
    )
    if result.request_id is None:  # refused (own link, connected, over the cap): nothing to keep
        db.session.rollback()
        return result
    _send_notice(notice)  # queued in the request's own transaction
    db.session.commit()
    return result


# --- Guests: double opt-in ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class GuestStart:
    """What a guest's form did: "mailed" (always, whatever the address did before), "own_address" or
    "unavailable" (``link_state`` says why)."""

    outcome: str
    link_state: str = "ok"
    owner_name: str = ""
    owner_public_id: str = ""


def _confirm_max_age() -> int:
    return int(current_app.config["GUEST_CONFIRM_MAX_AGE"])


def start_guest_request(token: str, name: str, email: str, note: str, now: datetime,
                        shared_card: dict | None = None) -> GuestStart:
    """Keep a guest's request unconfirmed and mail its sender a confirmation link (the double opt-in).

    Every address gets the same answer and the same mail, whether it is new, pending, declined, connected or
    blocked: what it did is decided when the address's owner confirms. One unconfirmed row per (owner, email):
    sending again re-mails it, and changed details give it a new id, so only the newest mail confirms them.
    """
    resolution = resolve_token(token, now)
    if not resolution.ok:
        db.session.rollback()
        return GuestStart("unavailable", resolution.state)
    link = resolution.link
    owner = db.session.get(User, link.owner_id)
    who = {"owner_name": owner.name, "owner_public_id": owner.public_id}
    email = email.strip().lower()
    decision = rules.can_start_guest_request(email, owner.email)
    if not decision.allowed:
        db.session.rollback()
        return GuestStart(decision.reason, **who)
    note = note or ""
    gc = GuestConfirmation
    for attempt in range(2):
        row = db.session.scalar(
            select(gc).where(gc.owner_id == owner.id, gc.email == email, gc.confirmed_at.is_(None)).with_for_update()
        )
        if row is None:
            row = GuestConfirmation(owner_id=owner.id, link_id=link.id, email=email, name=name, note=note,
                                    created_at=now, sent_at=now, shared_card=shared_card)
            db.session.add(row)
        else:
            if (row.name, row.note, row.link_id, row.shared_card) != (name, note, link.id, shared_card):
                row.public_id = new_public_id()  # older mails no longer confirm other details
            row.name, row.note, row.link_id, row.sent_at = name, note, link.id, now
            row.shared_card = shared_card
        try:
            db.session.flush()
            break
        except IntegrityError:  # a simultaneous submit for this address inserted first: update that row
            db.session.rollback()
            if attempt:
                raise
    # The mail is queued in the transaction that keeps the row: both are stored, or neither.
    emails.send_guest_confirmation(email, owner.name, tokens.sign_guest_confirmation(row.public_id))
    db.session.commit()
    return GuestStart("mailed", **who)


@dataclass(frozen=True, slots=True)
class PendingGuest:
    """A guest confirmation as its page shows it; ``state`` is "ok", "used" or "gone"."""

    state: str
    owner_name: str = ""
    name: str = ""
    note: str = ""


def guest_confirmation(public_id: str) -> PendingGuest:
    """Return the unconfirmed guest request behind a confirmation link, for the page that confirms it."""
    row = db.session.scalar(select(GuestConfirmation).where(GuestConfirmation.public_id == public_id))
    if row is None or row.link_id is None:
        db.session.rollback()
        return PendingGuest("gone")
    owner = db.session.get(User, row.owner_id)
    result = PendingGuest("used" if row.confirmed_at is not None else "ok", owner.name, row.name, row.note)
    db.session.commit()
    return result


@dataclass(frozen=True, slots=True)
class ConfirmResult:
    """What confirming did: ``request`` (a SendResult) when the link was live, else ``state`` "used"/"gone"."""

    state: str
    request: SendResult | None = None
    link_public_id: str = ""
    link_token: str = ""


def confirm_guest_request(public_id: str, now: datetime) -> ConfirmResult:
    """Confirm a guest's address and place their request: only now it counts, notifies and auto-accepts.

    Single use: a conditional UPDATE claims the confirmation, under the link's row lock (SQLite: BEGIN
    IMMEDIATE), so simultaneous clicks place one request. Over the link's daily cap nothing is claimed:
    the same link works again tomorrow, while it lasts.
    """
    gc = GuestConfirmation
    row = db.session.scalar(select(gc).where(gc.public_id == public_id))
    if row is None or row.link_id is None:
        db.session.rollback()
        return ConfirmResult("gone")
    if row.confirmed_at is not None:
        db.session.rollback()
        return ConfirmResult("used")
    link_row = db.session.scalar(select(InviteLink).where(InviteLink.id == row.link_id).with_for_update())
    if link_row is None:
        db.session.rollback()
        return ConfirmResult("gone")
    token = link_token(link_row)
    resolution = resolve_token(token, now)
    owner = db.session.get(User, row.owner_id)
    who = {"owner_name": owner.name, "owner_public_id": owner.public_id}
    where = {"link_public_id": link_row.public_id, "link_token": token}
    if not resolution.ok:
        db.session.rollback()
        return ConfirmResult("ok", SendResult("unavailable", resolution.state, **who), **where)
    claimed = db.session.execute(
        update(gc).where(gc.id == row.id, gc.confirmed_at.is_(None)).values(confirmed_at=now),
        execution_options={"synchronize_session": False},
    ).rowcount
    if claimed != 1:
        db.session.rollback()
        return ConfirmResult("used")
    name, email, note, shared_card = row.name, row.email, row.note, row.shared_card
    result, notice = _place_request(resolution.link, owner, None, name, email, note, now, shared_card=shared_card)
    if result.outcome == "daily_cap":
        db.session.rollback()
        return ConfirmResult("ok", result, **where)
    _send_notice(notice)  # queued in the transaction that places the request
    db.session.commit()
    return ConfirmResult("ok", result, **where)


def purge_unconfirmed(now: datetime) -> int:
    """Delete guest confirmations older than GUEST_CONFIRM_MAX_AGE (expired unconfirmed requests and spent
    links); return how many."""
    cutoff = now - timedelta(seconds=_confirm_max_age())
    gone = db.session.execute(delete(GuestConfirmation).where(GuestConfirmation.sent_at < cutoff)).rowcount
    db.session.commit()
    return gone


def attach_guest_history(user: User, now: datetime) -> None:
    """Give a newly verified member the requests and connections they made as a confirmed guest with this email.

    Only requests whose sender proved the address (the double opt-in) follow, and connections only when such
    a request led to them: a guest who typed someone else's address never lands in that person's account.
    Part of the caller's transaction (account activation); does not commit.
    """
    if user.email_verified_at is None:
        return
    email = user.email
    cr = ConnectionRequest
    db.session.execute(
        update(cr)
        .where(cr.requester_email == email, cr.requester_id.is_(None), cr.email_confirmed_at.is_not(None))
        .values(requester_id=user.id),
        execution_options={"synchronize_session": False},
    )
    confirmed = (
        select(cr.id)
        .where(
            cr.owner_id == Connection.owner_id, cr.requester_email == email, cr.status == "accepted",
            cr.email_confirmed_at.is_not(None),
        )
        .exists()
    )
    db.session.execute(
        update(Connection)
        .where(Connection.email == email, Connection.member_id.is_(None), Connection.owner_id != user.id, confirmed)
        .values(member_id=user.id),
        execution_options={"synchronize_session": False},
    )
    owners = db.session.execute(
        select(User.id, User.email, User.name, Connection.link_id)
        .join(Connection, Connection.owner_id == User.id)
        .where(Connection.member_id == user.id, Connection.source == "link")
    ).all()
    for owner_id, owner_email, owner_name, link_id in owners:
        # What the owner's link shares with the people it connects (the guest had it by mail on acceptance).
        _insert_connection(
            owner_id=user.id, member_id=owner_id, email=owner_email, name=owner_name, source="link", link_id=None,
            created_at=now, card_fields=contacts.link_card_fields(link_id),
        )


# --- The owner's inbox --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class InboxRow:
    """One request as the inbox shows it."""

    id: int
    name: str
    email: str
    note: str
    status: str
    created_at: datetime
    decided_at: datetime | None
    is_member: bool
    link_label: str | None
    is_new: bool
    email_confirmed: bool = False


@dataclass(frozen=True, slots=True)
class InboxPage:
    """A page of the inbox and what the page needs around it."""

    rows: list[InboxRow]
    next_cursor: str | None
    pending_count: int
    links: list[tuple[str, str]]  # (public id, label) for the link filter


def owner_links(owner: User) -> list[tuple[str, str]]:
    """Return ``(public id, label)`` of the owner's links, newest first, for filters."""
    rows = db.session.execute(
        select(InviteLink.public_id, InviteLink.label)
        .where(InviteLink.owner_id == owner.id)
        .order_by(InviteLink.created_at.desc(), InviteLink.id.desc())
    )
    return [(public_id, label) for public_id, label in rows]


def _capped_count(stmt, cap: int) -> int:
    """Return ``min(count, cap + 1)`` for a select of rows, touching at most cap + 1 of them."""
    return db.session.scalar(select(func.count()).select_from(stmt.limit(cap + 1).subquery()))


def inbox(
    owner: User,
    status: str,
    now: datetime,
    link_public_id: str | None = None,
    search: str | None = None,
    cursor: str | None = None,
) -> InboxPage:
    """Return one page of the owner's requests, newest first (keyset on created_at, id).

    Opening the first page of pending requests marks them seen: the badge clears.
    """
    size = current_app.config["INBOX_PAGE_SIZE"]
    cr = ConnectionRequest
    stmt = (
        select(
            cr.id, cr.name, cr.requester_email, cr.note, cr.status, cr.created_at, cr.decided_at, cr.requester_id,
            InviteLink.label, cr.email_confirmed_at,
        )
        .outerjoin(InviteLink, InviteLink.id == cr.link_id)
        .where(cr.owner_id == owner.id, cr.status == status)
    )
    if link_public_id:
        link_id = db.session.scalar(
            select(InviteLink.id).where(InviteLink.public_id == link_public_id, InviteLink.owner_id == owner.id)
        )
        stmt = stmt.where(cr.link_id == (link_id or 0))
    if search:
        stmt = stmt.where(
            or_(cr.name.icontains(search, autoescape=True), cr.requester_email.icontains(search, autoescape=True))
        )
    position = decode_cursor(cursor)
    if position is not None:
        stmt = stmt.where(_before(cr.created_at, cr.id, position))
    found = db.session.execute(stmt.order_by(cr.created_at.desc(), cr.id.desc()).limit(size + 1)).all()

    seen = owner.requests_seen_at
    rows = [
        InboxRow(
            id=r.id, name=r.name, email=r.requester_email, note=r.note, status=r.status, created_at=r.created_at,
            decided_at=r.decided_at, is_member=r.requester_id is not None, link_label=r.label,
            is_new=r.status == "pending" and (seen is None or r.created_at > seen),
            email_confirmed=r.email_confirmed_at is not None,
        )
        for r in found[:size]
    ]
    next_cursor = encode_cursor(rows[-1].created_at, rows[-1].id) if len(found) > size else None
    pending_count = _capped_count(
        select(cr.id).where(cr.owner_id == owner.id, cr.status == "pending"), TAB_COUNT_CAP
    )
    page = InboxPage(rows=rows, next_cursor=next_cursor, pending_count=pending_count, links=owner_links(owner))
    if status == "pending" and position is None:
        owner.requests_seen_at = now
    db.session.commit()
    return page


def new_request_count(owner_id: int, seen_at: datetime | None) -> int:
    """Return how many pending requests arrived since the owner last opened the inbox (capped at 100)."""
    cr = ConnectionRequest
    stmt = select(cr.id).where(cr.owner_id == owner_id, cr.status == "pending")
    if seen_at is not None:
        stmt = stmt.where(cr.created_at > seen_at)
    return _capped_count(stmt, BADGE_CAP)


def decide_requests(owner: User, ids: list[int], action: str, now: datetime) -> int:
    """Accept, decline, or decline and block the owner's pending requests among ``ids``; return how many.

    Ids of other owners' requests, or of requests already decided, are ignored. Declining is silent; accepting
    tells each requester (``notifications.request_accepted``: in the app and by mail, queued in this transaction).
    """
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    wanted = sorted({i for i in ids if isinstance(i, int) and 0 < i < 2**63})[:MAX_BULK]
    if not wanted:
        return 0
    cr = ConnectionRequest
    rows = db.session.execute(
        update(cr)
        .where(cr.owner_id == owner.id, cr.id.in_(wanted), cr.status == "pending")
        .values(status="accepted" if action == "accept" else "declined", decided_at=now)
        .returning(cr.id, cr.requester_id, cr.requester_email, cr.name, cr.link_id, cr.email_confirmed_at,
                   cr.share_fields, cr.shared_card),
        execution_options={"synchronize_session": False},
    ).all()
    mails = []
    for row in rows:
        if action == "accept":
            _connect(owner, row.requester_id, row.requester_email, row.name, row.link_id, now, row.share_fields,
                     row.shared_card)
            mails.append(notifications.request_accepted(
                owner, row.id, row.requester_id, row.requester_email, row.email_confirmed_at is not None, now
            ))
            webhooks.emit(db.session, owner.id, "request.accepted",
                          webhooks.request_data(row.id, row.link_id, row.name, row.requester_email))
        elif action == "block":
            _insert_block(owner.id, row.requester_email, now)
    notifications.send_mails(mails)  # accepted only (declining is silent); queued in this transaction
    db.session.commit()
    return len(rows)


def owns_request(owner: User, request_id: int) -> bool:
    """Return True when the request with this id was sent to ``owner``."""
    cr = ConnectionRequest
    return db.session.scalar(select(cr.id).where(cr.id == request_id, cr.owner_id == owner.id)) is not None


def decide_request(owner: User, request_id: int, action: str, now: datetime) -> bool | None:
    """Act on one of the owner's requests: None when it isn't theirs, else whether it was still pending."""
    if not owns_request(owner, request_id):
        db.session.rollback()
        return None
    return decide_requests(owner, [request_id], action, now) == 1


# --- Connections ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ConnectionRow:
    """One connection as the connections page shows it."""

    id: int
    name: str
    email: str
    source: str
    link_label: str | None
    is_member: bool
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ConnectionsPage:
    rows: list[ConnectionRow]
    next_cursor: str | None


def connections(
    owner: User, search: str | None = None, source: str | None = None, cursor: str | None = None
) -> ConnectionsPage:
    """Return one page of the owner's connections, newest first (keyset on created_at, id)."""
    size = current_app.config["CONNECTIONS_PAGE_SIZE"]
    c = Connection
    stmt = (
        select(c.id, c.name, c.email, c.source, c.member_id, c.created_at, InviteLink.label)
        .outerjoin(InviteLink, InviteLink.id == c.link_id)
        .where(c.owner_id == owner.id)
    )
    if source in SOURCES:
        stmt = stmt.where(c.source == source)
    if search:
        stmt = stmt.where(or_(c.name.icontains(search, autoescape=True), c.email.icontains(search, autoescape=True)))
    position = decode_cursor(cursor)
    if position is not None:
        stmt = stmt.where(_before(c.created_at, c.id, position))
    found = db.session.execute(stmt.order_by(c.created_at.desc(), c.id.desc()).limit(size + 1)).all()
    rows = [
        ConnectionRow(
            id=r.id, name=r.name, email=r.email, source=r.source, link_label=r.label,
            is_member=r.member_id is not None, created_at=r.created_at,
        )
        for r in found[:size]
    ]
    next_cursor = encode_cursor(rows[-1].created_at, rows[-1].id) if len(found) > size else None
    db.session.commit()
    return ConnectionsPage(rows=rows, next_cursor=next_cursor)


def remove_connection(owner: User, connection_id: int) -> bool:
    """Remove one of the owner's connections (both sides when the other is a member); False if not theirs."""
    conn = db.session.scalar(
        select(Connection).where(Connection.id == connection_id, Connection.owner_id == owner.id)
    )
    if conn is None:
        db.session.rollback()
        return False
    if conn.member_id is not None:
        db.session.execute(
            delete(Connection).where(Connection.owner_id == conn.member_id, Connection.member_id == owner.id)
        )
    webhooks.emit(db.session, owner.id, "connection.removed",
                  {"connection": {"id": conn.id, "name": conn.name, "email": conn.email}})
    db.session.delete(conn)
    db.session.commit()
    return True


def _csv_safe(value) -> str:
    """Return a cell that spreadsheets won't run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _iso(value: datetime | None) -> str:
    return value.isoformat(timespec="seconds") if value else ""


def export_connections(owner: User) -> Iterator[list[str]]:
    """Yield the owner's connections as CSV rows, header first."""
    yield ["name", "email", "source", "link", "member", "connected_at"]
    c = Connection
    stmt = (
        select(c.name, c.email, c.source, InviteLink.label, c.member_id, c.created_at)
        .outerjoin(InviteLink, InviteLink.id == c.link_id)
        .where(c.owner_id == owner.id)
        .order_by(c.created_at.desc(), c.id.desc())
        .execution_options(yield_per=1000)
    )
    for r in db.session.execute(stmt):
        yield [_csv_safe(v) for v in (r.name, r.email, r.source, r.label, "yes" if r.member_id else "no")] + [
            _iso(r.created_at)
        ]


def export_requests(owner: User) -> Iterator[list[str]]:
    """Yield the owner's requests (every status) as CSV rows, header first."""
    yield ["name", "email", "note", "status", "link", "member", "requested_at", "decided_at"]
    cr = ConnectionRequest
    stmt = (
        select(cr.name, cr.requester_email, cr.note, cr.status, InviteLink.label, cr.requester_id, cr.created_at,
               cr.decided_at)
        .outerjoin(InviteLink, InviteLink.id == cr.link_id)
        .where(cr.owner_id == owner.id)
        .order_by(cr.created_at.desc(), cr.id.desc())
        .execution_options(yield_per=1000)
    )
    for r in db.session.execute(stmt):
        cells = (r.name, r.requester_email, r.note, r.status, r.label, "yes" if r.requester_id else "no")
        yield [_csv_safe(v) for v in cells] + [_iso(r.created_at), _iso(r.decided_at)]


# --- Blocks ---------------------------------------------------------------------------------------------


def _insert_block(owner_id: int, email: str, now: datetime) -> None:
    insert = insert_for(db.session)
    db.session.execute(
        insert(Block)
        .values(owner_id=owner_id, email=email, created_at=now)
        .on_conflict_do_nothing(index_elements=["owner_id", "email"])
    )


def blocks(owner: User) -> list[Block]:
    """Return the owner's blocked emails, newest first."""
    return list(
        db.session.scalars(
            select(Block).where(Block.owner_id == owner.id).order_by(Block.created_at.desc(), Block.id.desc())
        )
    )


def block_email(owner: User, email: str, now: datetime) -> None:
    """Bar an email (guest or member) from all of the owner's links; their pending requests are declined."""
    email = email.strip().lower()
    _insert_block(owner.id, email, now)
    db.session.execute(
        update(ConnectionRequest)
        .where(
            ConnectionRequest.owner_id == owner.id,
            ConnectionRequest.requester_email == email,
            ConnectionRequest.status == "pending",
        )
        .values(status="declined", decided_at=now)
    )
    db.session.commit()


def unblock(owner: User, block_id: int) -> bool:
    """Lift one of the owner's blocks; False when it isn't theirs."""
    result = db.session.execute(delete(Block).where(Block.id == block_id, Block.owner_id == owner.id))
    db.session.commit()
    return result.rowcount == 1


# --- Dashboard ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Summary:
    """The numbers on the owner's dashboard."""

    pending: int
    new: int
    connections: int
    clicks_7d: int
    funnel: object  # links.services.FunnelReport
    links: list[tuple[int, str]]  # (id, label), newest first


def dashboard_summary(owner: User, now: datetime) -> Summary:
    """Return the owner's dashboard numbers: requests, connections, clicks and the links funnel."""
    from ..links.services import clicks_since, links_funnel

    cr = ConnectionRequest
    pending = db.session.scalar(
        select(func.count()).select_from(cr).where(cr.owner_id == owner.id, cr.status == "pending")
    )
    new = pending
    if owner.requests_seen_at is not None:
        new = db.session.scalar(
            select(func.count())
            .select_from(cr)
            .where(cr.owner_id == owner.id, cr.status == "pending", cr.created_at > owner.requests_seen_at)
        )
    connected = db.session.scalar(select(func.count()).select_from(Connection).where(Connection.owner_id == owner.id))
    clicks = clicks_since(owner.id, (now - timedelta(days=6)).date())
    funnel = links_funnel(owner.id)
    links = [
        (link_id, label)
        for link_id, label in db.session.execute(
            select(InviteLink.id, InviteLink.label)
            .where(InviteLink.owner_id == owner.id)
            .order_by(InviteLink.created_at.desc(), InviteLink.id.desc())
        )
    ]
    db.session.commit()
    return Summary(pending=pending, new=new, connections=connected, clicks_7d=clicks, funnel=funnel, links=links)


# --- Notifications ---------------------------------------------------------------------------------------


NOTIFY_MODES = ("off", "instant", "daily")


def set_notify_mode(owner: User, mode: str) -> None:
    """Choose whether new requests are mailed to the owner: off, instant or a daily digest."""
    if mode not in NOTIFY_MODES:
        raise ValueError(f"unknown notify mode {mode!r}")
    db.session.execute(update(User).where(User.id == owner.id).values(notify_mode=mode))
    db.session.commit()


def _notify_instant(to: str, owner_name: str, name: str, email: str, note: str, link_label: str, auto: bool) -> None:
    """Mail the owner about one new request; a mail failure never loses the request."""
    try:
        emails.send_new_request(to, owner_name, name, email, note, link_label, auto)
    except Exception:  # the request is stored; the mail is a courtesy
        log.exception("could not mail the owner about a new request")


def send_digests(now: datetime) -> int:
    """Mail every daily-digest owner the pending requests that arrived since their last digest; return mails sent.

    Each owner's digest is marked sent in its own transaction, so a rerun never mails the same requests twice.
    """
    owner_ids = list(
        db.session.scalars(
            select(User.id).where(User.notify_mode == "daily", User.email_verified_at.is_not(None)).order_by(User.id)
        )
    )
    db.session.commit()
    sent = 0
    cr = ConnectionRequest
    for owner_id in owner_ids:
        owner = db.session.get(User, owner_id)
        since = owner.notify_digest_at or (now - timedelta(days=1))
        window = (cr.owner_id == owner.id, cr.status == "pending", cr.created_at > since, cr.created_at <= now)
        total = db.session.scalar(select(func.count()).select_from(cr).where(*window))
        if total:
            rows = db.session.execute(
                select(cr.name, cr.requester_email, cr.note, InviteLink.label)
                .outerjoin(InviteLink, InviteLink.id == cr.link_id)
                .where(*window)
                .order_by(cr.created_at.desc(), cr.id.desc())
                .limit(20)
            ).all()
            try:
                # One key per owner and window: two runs at once (cron and the queue) queue one mail.
                emails.send_digest(owner.email, owner.name, rows, total,
                                   key=f"digest:{owner.id}:{since.isoformat()}")
            except Exception:  # try again on the next run: the marker is not moved
                log.exception("could not mail the daily digest to owner %s", owner.id)
                db.session.rollback()
                continue
            sent += 1
        owner.notify_digest_at = now
        try:
            db.session.commit()
        except IntegrityError:  # another run queued this owner's digest for the same window first
            db.session.rollback()
            sent -= 1
    return sent

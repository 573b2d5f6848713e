"""Inbound requests, connections, blocks and owner notifications.

Every function takes the acting user explicitly (never ``current_user``) and commits at most one
transaction. Requests through links never touch invitation allotments or decline counters.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask import current_app, has_request_context, render_template, url_for
from sqlalchemy import Integer, delete, func, literal, or_, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from .. import tokens
from ..extensions import db
from ..links.services import resolve_token
from ..mail import send_mail
from ..models import Block, Connection, ConnectionRequest, InviteLink, User, UTCDateTime

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
    if not sep or not micros.isdigit() or not row_id.isdigit():
        return None
    try:
        return _EPOCH + timedelta(microseconds=int(micros)), int(row_id)
    except OverflowError:
        return None


def _before(created_col, id_col, cursor: tuple[datetime, int]):
    """Return the keyset condition "(created_at, id) < cursor" (newest-first pages)."""
    return tuple_(created_col, id_col) < tuple_(literal(cursor[0], UTCDateTime()), literal(cursor[1], Integer()))


def _like(text: str) -> str:
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


# --- The visitor's side ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class VisitorState:
    """What the request area of a landing page shows to this visitor.

    ``kind``: "owner" (previewing their own link), "connected", "pending" (``since`` is the request
    date), "member" (one-button form) or "guest" (name, email and note).
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


def _is_connected(owner_id: int, email: str) -> bool:
    return (
        db.session.scalar(select(Connection.id).where(Connection.owner_id == owner_id, Connection.email == email))
        is not None
    )


def visitor_state(
    link: InviteLink, viewer: User | None, now: datetime, guest_request_id: int | None = None
) -> VisitorState:
    """Return what the request area shows; anonymous visitors cost no query unless they sent one before.

    ``guest_request_id`` is the request this browser sent to the link's owner as a guest, if any.
    """
    if viewer is None:
        if guest_request_id is None:
            return VisitorState("guest")
        sent = db.session.scalar(
            select(ConnectionRequest).where(
                ConnectionRequest.id == guest_request_id, ConnectionRequest.owner_id == link.owner_id
            )
        )
        if sent is None:
            return VisitorState("guest")
        if sent.status == "accepted":
            return VisitorState("connected") if _is_connected(link.owner_id, sent.requester_email) else VisitorState(
                "guest"
            )
        return VisitorState("pending", sent.created_at)
    if viewer.id == link.owner_id:
        return VisitorState("owner")
    if _is_connected(link.owner_id, viewer.email):
        return VisitorState("connected")
    pending = _open_request(link.owner_id, viewer.email)
    if pending is not None:
        return VisitorState("pending", pending.created_at)
    return VisitorState("member")


@dataclass(frozen=True, slots=True)
class SendResult:
    """What happened to a request.

    ``outcome``: "sent", "connected" (auto-accept), "already_pending", "already_connected",
    "own_link", "unavailable" (``link_state`` says why) or "daily_cap". A blocked sender gets "sent"
    and nothing is stored: a block is never revealed.
    """

    outcome: str
    link_state: str = "ok"
    request_id: int | None = None
    since: datetime | None = None
    owner_name: str = ""
    owner_public_id: str = ""


def _insert_connection(**values) -> None:
    """Insert one side of a connection unless (owner, email) is connected already."""
    insert = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = insert(Connection).values(**values).on_conflict_do_nothing(index_elements=["owner_id", "email"])
    db.session.execute(stmt)


def _connect(owner: User, requester_id: int | None, email: str, name: str, link_id: int | None, now) -> None:
    """Connect the owner with a requester: the owner's side, and the member's side when they are one."""
    _insert_connection(
        owner_id=owner.id, member_id=requester_id, email=email, name=name, source="link", link_id=link_id,
        created_at=now,
    )
    if requester_id is not None:
        _insert_connection(
            owner_id=requester_id, member_id=owner.id, email=owner.email, name=owner.name, source="link",
            link_id=None, created_at=now,
        )


def send_request(
    token: str, requester: User | None, name: str, email: str, note: str, now: datetime
) -> SendResult:
    """Send a connection request through the link in ``token``; at most one pending per (owner, sender).

    ``requester`` is the signed-in member (their own name and email are used) or None for a guest.
    Concurrent double submits create one request: they queue on the link row (SQLite: BEGIN
    IMMEDIATE), and the partial unique index catches the rest (two links of one owner).
    """
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
    owner_id, owner_name = owner.id, owner.name
    who = {"owner_name": owner_name, "owner_public_id": owner.public_id}
    if requester is not None:
        if requester.id == owner.id:
            db.session.rollback()
            return SendResult("own_link", **who)
        name, email = requester.name, requester.email
    email = email.strip().lower()

    if db.session.scalar(select(Block.id).where(Block.owner_id == owner.id, Block.email == email)) is not None:
        db.session.rollback()
        return SendResult("sent", **who)
    if _is_connected(owner.id, email):
        db.session.rollback()
        return SendResult("already_connected", **who)
    existing = _open_request(owner.id, email)
    if existing is not None:
        result = SendResult("already_pending", request_id=existing.id, since=existing.created_at, **who)
        db.session.rollback()
        return result

    day_start = now.replace(hour=0, minute=0, second=0, microsecond=0)
    today = db.session.scalar(
        select(func.count())
        .select_from(ConnectionRequest)
        .where(ConnectionRequest.link_id == link.id, ConnectionRequest.created_at >= day_start)
    )
    if today >= current_app.config["REQUEST_DAILY_CAP_PER_LINK"]:
        db.session.rollback()
        return SendResult("daily_cap", **who)

    auto = bool(link.auto_accept)
    req = ConnectionRequest(
        owner_id=owner.id,
        link_id=link.id,
        requester_id=requester.id if requester is not None else None,
        requester_email=email,
        name=name,
        note=note or "",
        status="accepted" if auto else "pending",
        created_at=now,
        decided_at=now if auto else None,
    )
    db.session.add(req)
    try:
        db.session.flush()
    except IntegrityError:
        # Another submit for the same (owner, sender) won the race: answer with its request.
        db.session.rollback()
        existing = _open_request(owner_id, email)
        if existing is None:  # pragma: no cover - the winner was decided between our two statements
            db.session.rollback()
            return SendResult("already_connected", **who)
        result = SendResult("already_pending", request_id=existing.id, since=existing.created_at, **who)
        db.session.rollback()
        return result
    if auto:
        _connect(owner, req.requester_id, email, name, link.id, now)
    result = SendResult("connected" if auto else "sent", request_id=req.id, since=now, **who)
    mode, owner_email, link_label = owner.notify_mode, owner.email, link.label
    db.session.commit()
    if mode == "instant":
        _notify_instant(owner_email, owner_name, name, email, note or "", link_label, auto)
    return result


def attach_guest_history(user: User, now: datetime) -> None:
    """Give a newly verified member the requests and connections they made as a guest with this email.

    Part of the caller's transaction (account activation); does not commit.
    """
    email = user.email
    db.session.execute(
        update(ConnectionRequest)
        .where(ConnectionRequest.requester_email == email, ConnectionRequest.requester_id.is_(None))
        .values(requester_id=user.id)
    )
    db.session.execute(
        update(Connection)
        .where(Connection.email == email, Connection.member_id.is_(None), Connection.owner_id != user.id)
        .values(member_id=user.id)
    )
    owners = db.session.execute(
        select(User.id, User.email, User.name)
        .join(Connection, Connection.owner_id == User.id)
        .where(Connection.member_id == user.id, Connection.source == "link")
    ).all()
    for owner_id, owner_email, owner_name in owners:
        _insert_connection(
            owner_id=user.id, member_id=owner_id, email=owner_email, name=owner_name, source="link", link_id=None,
            created_at=now,
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
            InviteLink.label,
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
        pattern = _like(search)
        stmt = stmt.where(
            or_(func.lower(cr.name).like(pattern, escape="\\"), cr.requester_email.like(pattern, escape="\\"))
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

    Ids of other owners' requests, or of requests already decided, are ignored. Declining is silent.
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
        .returning(cr.id, cr.requester_id, cr.requester_email, cr.name, cr.link_id),
        execution_options={"synchronize_session": False},
    ).all()
    for row in rows:
        if action == "accept":
            _connect(owner, row.requester_id, row.requester_email, row.name, row.link_id, now)
        elif action == "block":
            _insert_block(owner.id, row.requester_email, now)
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
        pattern = _like(search)
        stmt = stmt.where(or_(func.lower(c.name).like(pattern, escape="\\"), c.email.like(pattern, escape="\\")))
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
    insert = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
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
    funnel = links_funnel(owner.id, now)
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


def _inbox_url() -> str:
    if has_request_context():
        return current_app.config["PUBLIC_URL"] + url_for("requests.inbox")
    with current_app.test_request_context():  # the digest runs from the CLI, outside any request
        return current_app.config["PUBLIC_URL"] + url_for("requests.inbox")


def _notify_instant(to: str, owner_name: str, name: str, email: str, note: str, link_label: str, auto: bool) -> None:
    """Mail the owner about one new request; a mail failure never loses the request."""
    subject = f"{name} connected with you" if auto else f"{name} wants to connect with you"
    text = render_template(
        "email/new_request.txt", owner_name=owner_name, name=name, email=email, note=note, link_label=link_label,
        auto=auto, inbox_url=_inbox_url(),
    )
    try:
        send_mail(to, subject, text)
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
            text = render_template(
                "email/request_digest.txt", owner=owner, rows=rows, total=total, inbox_url=_inbox_url()
            )
            subject = f"{total} new connection request{'s' if total != 1 else ''}"
            try:
                send_mail(owner.email, subject, text)
            except Exception:  # try again on the next run: the marker is not moved
                log.exception("could not mail the daily digest to owner %s", owner.id)
                db.session.rollback()
                continue
            sent += 1
        owner.notify_digest_at = now
        db.session.commit()
    return sent

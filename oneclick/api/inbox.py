"""API: one-click requests (sending and the inbox) and connections (thin over ``inbox.services``)."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

from sqlalchemy import select

from .. import limits
from ..clock import utcnow
from ..contacts import services as contacts
from ..extensions import db
from ..inbox import services
from ..links import services as links
from ..models import Connection, ConnectionRequest, User
from ..validators import MAX_ID
from . import schemas
from .core import acting_user, bp, decode_cursor, encode_cursor, iso
from .errors import ApiError, not_found
from .schemas import CURSOR, Body, Choice, Int, Query, Str

# Declining is silent: the person who asked keeps seeing "pending" (as on the landing page).
_REQUESTER_STATUS = {"pending": "pending", "declined": "pending", "accepted": "accepted"}


def _token_from(url: str) -> str:
    """Return the link token in a one-click URL (``…/c/<token>``, any host) or the token itself."""
    path = urlsplit(url).path if "/" in url else url
    if "/c/" in path:
        path = path.split("/c/", 1)[1]
    return path.strip("/").split("/", 1)[0]


class SendBody(Body):
    url = Str(min_length=1, max_length=500, required=True, description="The one-click URL, or its token.")
    note = Str(max_length=limits.REQUEST_NOTE_MAX, multiline=True, description="A short note for the owner.")


@bp.operation(
    "/requests",
    "POST",
    summary="Send a one-click request through a link",
    tag="Requests",
    description="As the token's member, ask the link's owner to connect. Answers 201 with the new request, "
    "or 200 with your earlier request when one is still waiting. Declining and blocking are silent: a request "
    "the owner declined, or from an address they blocked, answers like any other (`pending`).",
    errors=("self_invite", "not_found", "already_connected", "link_inactive", "rate_limited"),
)
@bp.arguments(SendBody)
@bp.response(201, schemas.Request)
@bp.alt_response(200, schema=schemas.Request, success=True)
def send_request(data: dict):
    """Send a connection request through a link URL or token."""
    user = acting_user()
    now = utcnow()
    result = services.send_request(_token_from(data["url"]), user, user.name, user.email, data.get("note", ""), now)
    if result.outcome == "unavailable":
        if result.link_state == "not_found":
            raise not_found("No link has this URL.")
        raise ApiError(410, "link_inactive", f"This link doesn't take requests now ({result.link_state}).")
    if result.outcome == "own_link":
        raise ApiError(400, "self_invite", "That is your own link.")
    if result.outcome == "already_connected":
        raise ApiError(409, "already_connected", f"You're already connected with {result.owner_name}.")
    if result.outcome == "daily_cap":
        tomorrow = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
        seconds = max(1, int((tomorrow - now).total_seconds()))
        raise ApiError(
            429, "rate_limited", "This link takes no more requests today.", headers={"Retry-After": str(seconds)}
        )
    # Every other outcome stored a request (a blocked sender's lands declined): the answer never tells them apart.
    row = db.session.get(ConnectionRequest, result.request_id)
    body = {**_request_body(row), "status": _REQUESTER_STATUS.get(row.status, "pending")}
    if result.outcome != "already_pending":
        # No landing page was seen: the new request counts its click (without a source), so the link's funnel
        # never shows more requests than clicks.
        links.count_arrival(_token_from(data["url"]), user.id, now)
    return body, 200 if result.outcome == "already_pending" else 201


def _request_body(row: ConnectionRequest) -> dict:
    return {
        "id": row.id,
        "name": row.name,
        "email": row.requester_email,
        "note": row.note,
        "link_id": row.link_id,
        "status": row.status,
        "email_confirmed": row.email_confirmed_at is not None,
        "created_at": iso(row.created_at),
    }


class ListQuery(Query):
    status = Choice(services.STATUSES, description="`pending` when omitted.")
    link = Int(minimum=1, maximum=MAX_ID, query=True, description="Only requests through this link (its id).")
    cursor = Str(min_length=1, max_length=300, description=CURSOR)


def _link_ids(request_ids: list[int]) -> dict[int, int | None]:
    # The inbox rows carry the link's label only; the API shows the link's id.
    if not request_ids:
        return {}
    rows = db.session.execute(
        select(ConnectionRequest.id, ConnectionRequest.link_id).where(ConnectionRequest.id.in_(request_ids))
    )
    return dict(rows.all())


@bp.operation(
    "/requests", "GET", summary="Your inbox of requests, newest first", tag="Requests", errors=("not_found",)
)
@bp.arguments(ListQuery, location="query")
@bp.response(200, schemas.RequestList)
def list_requests(args: dict):
    """Return a page of the member's inbox."""
    owner = acting_user()
    link_public_id = None
    if "link" in args:
        link = links.get_owned_link(owner, args["link"])
        if link is None:
            raise not_found("You have no link with this id.")
        link_public_id = link.public_id
    cursor = decode_cursor("requests", args.get("cursor"))
    page = services.inbox(owner, args.get("status", "pending"), utcnow(), link_public_id=link_public_id, cursor=cursor)
    link_ids = _link_ids([r.id for r in page.rows])
    items = [
        {
            "id": r.id,
            "name": r.name,
            "email": r.email,
            "note": r.note,
            "link_id": link_ids.get(r.id),
            "status": r.status,
            "email_confirmed": r.email_confirmed,
            "created_at": iso(r.created_at),
        }
        for r in page.rows
    ]
    next_cursor = encode_cursor("requests", page.next_cursor) if page.next_cursor else None
    return {"items": items, "next_cursor": next_cursor}


def _decide(request_id: int, action: str, outcome: str):
    owner = acting_user()
    done = services.decide_request(owner, request_id, action, utcnow())
    if done is None:
        raise not_found("You have no request with this id.")
    row = db.session.get(ConnectionRequest, request_id)
    if not done and row.status != outcome:
        raise ApiError(409, "already_decided", f"This request was {row.status} already.")
    return _request_body(row)


@bp.operation(
    "/requests/<api_id:request_id>/accept",
    "POST",
    summary="Accept a request",
    tag="Requests",
    description="Connects you both. Accepting an accepted request again changes nothing.",
    errors=("already_decided",),
)
@bp.response(200, schemas.Request)
def accept_request(request_id: int):
    """Accept one of the member's pending requests."""
    return _decide(request_id, "accept", "accepted")


@bp.operation(
    "/requests/<api_id:request_id>/decline",
    "POST",
    summary="Decline a request",
    tag="Requests",
    description="Silent: the person who asked is not told.",
    errors=("already_decided",),
)
@bp.response(200, schemas.Request)
def decline_request(request_id: int):
    """Decline one of the member's pending requests."""
    return _decide(request_id, "decline", "declined")


class ConnectionsQuery(Query):
    cursor = Str(min_length=1, max_length=300, description=CURSOR)


def _member_ids(connection_ids: list[int]) -> dict[int, str | None]:
    # The connection rows say whether the other side is a member; the API shows the member's id.
    if not connection_ids:
        return {}
    rows = db.session.execute(
        select(Connection.id, User.public_id)
        .outerjoin(User, User.id == Connection.member_id)
        .where(Connection.id.in_(connection_ids))
    )
    return dict(rows.all())


@bp.operation("/connections", "GET", summary="Your connections, newest first", tag="Connections")
@bp.arguments(ConnectionsQuery, location="query")
@bp.response(200, schemas.ConnectionList)
def list_connections(args: dict):
    """Return a page of the member's connections."""
    cursor = decode_cursor("connections", args.get("cursor"))
    page = services.connections(acting_user(), cursor=cursor)
    member_ids = _member_ids([r.id for r in page.rows])
    cards = contacts.shared_by_connection(acting_user(), [r.id for r in page.rows])
    items = [
        {
            "id": r.id,
            "name": r.name,
            "email": r.email,
            "member_id": member_ids.get(r.id),
            "source": r.source,
            "created_at": iso(r.created_at),
            "card": cards.get(r.id, {}),
        }
        for r in page.rows
    ]
    next_cursor = encode_cursor("connections", page.next_cursor) if page.next_cursor else None
    return {"items": items, "next_cursor": next_cursor}

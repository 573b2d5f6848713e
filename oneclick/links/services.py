"""Link operations and statistics. Each takes the acting owner explicitly and commits one transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, load_only

from .. import tokens
from ..extensions import db
from ..models import ConnectionRequest, InviteLink, User

#: Every state a token can resolve to; only "ok" accepts visitors.
STATES = ("ok", "not_found", "replaced", "paused", "expired", "full")


@dataclass(frozen=True, slots=True)
class Resolution:
    """What a ``/c/<token>`` token leads to: the link (None when not found) and its state."""

    link: InviteLink | None
    state: str

    @property
    def ok(self) -> bool:
        """Return True when the link accepts visitors."""
        return self.state == "ok"


_NOT_FOUND = Resolution(None, "not_found")


def request_count(link_id: int) -> int:
    """Return how many requests (any status) came in through this link."""
    return db.session.scalar(
        select(func.count()).select_from(ConnectionRequest).where(ConnectionRequest.link_id == link_id)
    )


def link_state(link: InviteLink, now: datetime) -> str:
    """Return the state of a current-version link: ok, paused, expired or full."""
    if not link.active:
        return "paused"
    if link.expires_at is not None and link.expires_at <= now:
        return "expired"
    if link.max_requests is not None and request_count(link.id) >= link.max_requests:
        return "full"
    return "ok"


def resolve_token(token: str, now: datetime) -> Resolution:
    """Return the link a public token leads to and its state; never raises for bad input.

    The link comes with its owner loaded (name, headline, handle) so the landing page needs one query.
    """
    parsed = tokens.unsign_link(token)
    if parsed is None:
        return _NOT_FOUND
    public_id, version = parsed
    link = db.session.scalar(
        select(InviteLink)
        .options(
            joinedload(InviteLink.owner).load_only(User.id, User.name, User.headline, User.handle, User.public_id)
        )
        .where(InviteLink.public_id == public_id)
    )
    if link is None or version > link.version:
        return _NOT_FOUND
    if version < link.version:
        return Resolution(link, "replaced")
    return Resolution(link, link_state(link, now))


def link_version(token: str) -> tuple[InviteLink | None, str]:
    """Return a cheap ``(link, state)`` for a token: "ok", "not_found" or "replaced" (QR codes use this).

    The link is loaded with only the columns a QR code needs (id, public id, version, channel, owner name).
    """
    parsed = tokens.unsign_link(token)
    if parsed is None:
        return None, "not_found"
    public_id, version = parsed
    link = db.session.scalar(
        select(InviteLink)
        .options(
            load_only(InviteLink.id, InviteLink.public_id, InviteLink.version, InviteLink.channel),
            joinedload(InviteLink.owner).load_only(User.id, User.name),
        )
        .where(InviteLink.public_id == public_id)
    )
    if link is None or version > link.version:
        return None, "not_found"
    if version < link.version:
        return link, "replaced"
    return link, "ok"

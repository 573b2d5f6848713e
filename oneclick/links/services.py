"""Link operations and statistics. Each takes the acting owner explicitly and commits one transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import bindparam, case, delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import joinedload, load_only

from .. import tokens
from ..extensions import db
from ..models import ConnectionRequest, InviteLink, LinkDailyStat, User

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


def link_state(link: InviteLink, now: datetime, requests: int | None = None) -> str:
    """Return the state of a current-version link: ok, paused, expired or full.

    ``requests`` is the link's request count when the caller already knows it (else it is counted).
    """
    if not link.active:
        return "paused"
    if link.expires_at is not None and link.expires_at <= now:
        return "expired"
    if link.max_requests is not None:
        if requests is None:
            requests = request_count(link.id)
        if requests >= link.max_requests:
            return "full"
    return "ok"


# Built once: the click path only binds a value (statement construction costs more than the query).
_LINK_FOR_LANDING = (
    select(InviteLink)
    .options(
        joinedload(InviteLink.owner).load_only(
            User.id, User.name, User.headline, User.handle, User.public_id, User.vanity_enabled
        )
    )
    .where(InviteLink.public_id == bindparam("public_id"))
)
_LINK_FOR_QR = (
    select(InviteLink.__table__.c.version, InviteLink.__table__.c.channel, User.__table__.c.name)
    .select_from(InviteLink.__table__.join(User.__table__, User.__table__.c.id == InviteLink.__table__.c.owner_id))
    .where(InviteLink.__table__.c.public_id == bindparam("public_id"))
)


def resolve_token(token: str, now: datetime) -> Resolution:
    """Return the link a public token leads to and its state; never raises for bad input.

    The link comes with its owner loaded (name, headline, handle) so the landing page needs one query.
    """
    parsed = tokens.unsign_link(token)
    if parsed is None:
        return _NOT_FOUND
    public_id, version = parsed
    link = db.session.scalar(_LINK_FOR_LANDING, {"public_id": public_id})
    if link is None or version > link.version:
        return _NOT_FOUND
    if version < link.version:
        return Resolution(link, "replaced")
    return Resolution(link, link_state(link, now))


@dataclass(frozen=True, slots=True)
class QrTarget:
    """What a QR code needs of a link: its current token parts, channel and owner's name."""

    public_id: str
    version: int
    channel: str
    owner_name: str


def link_version(token: str) -> tuple[QrTarget | None, str]:
    """Return a cheap ``(target, state)`` for a token: "ok", "not_found" or "replaced" (QR codes use this).

    One Core query of four columns: a hot QR code costs little more than a cache lookup.
    """
    parsed = tokens.unsign_link(token)
    if parsed is None:
        return None, "not_found"
    public_id, version = parsed
    row = db.session.connection().execute(_LINK_FOR_QR, {"public_id": public_id}).first()
    if row is None or version > row.version:
        return None, "not_found"
    target = QrTarget(public_id, row.version, row.channel, row.name)
    return target, ("replaced" if version < row.version else "ok")


def target_url(target: QrTarget) -> str:
    """Return the public URL a QR target encodes."""
    return f"{current_app.config['PUBLIC_URL']}/c/{tokens.sign_link(target.public_id, target.version)}"


# --- Click counting --------------------------------------------------------------------------------


_UPSERTS: dict[str, object] = {}


def _upsert_click(dialect: str):
    """Return the (cached) INSERT ... ON CONFLICT DO UPDATE that adds one click to a link's day."""
    stmt = _UPSERTS.get(dialect)
    if stmt is None:
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        table = LinkDailyStat.__table__  # Core, not the ORM bulk path: this runs on every click
        base = insert(table).values(link_id=bindparam("link_id"), day=bindparam("day"), clicks=1)
        stmt = _UPSERTS[dialect] = base.on_conflict_do_update(
            index_elements=[table.c.link_id, table.c.day],
            set_={"clicks": table.c.clicks + 1},
        )
    return stmt


def record_click(link_id: int, now: datetime) -> None:
    """Count one click on a link for today's UTC day: one upsert statement, then commit."""
    connection = db.session.connection()  # the session's transaction, without the ORM execution layer
    dialect = connection.dialect.name
    if dialect == "postgresql":
        # A click is statistics: don't make the visitor wait for the WAL flush (a crash may lose the last few).
        connection.exec_driver_sql("SET LOCAL synchronous_commit TO OFF")
    connection.execute(_upsert_click(dialect), {"link_id": link_id, "day": now.date()})
    db.session.commit()


# --- Owner operations ------------------------------------------------------------------------------


def link_token(link: InviteLink) -> str:
    """Return the token of a link's current version."""
    return tokens.sign_link(link.public_id, link.version)


def link_url(link: InviteLink) -> str:
    """Return the public URL of a link's current version (always built from PUBLIC_URL)."""
    return f"{current_app.config['PUBLIC_URL']}/c/{link_token(link)}"


def vanity_url(owner: User) -> str | None:
    """Return the owner's /@handle URL when they have a handle, else None."""
    return f"{current_app.config['PUBLIC_URL']}/@{owner.handle}" if owner.handle else None


def owned_links(owner: User) -> list[InviteLink]:
    """Return the owner's links, primary first, then newest first."""
    return list(
        db.session.scalars(
            select(InviteLink)
            .where(InviteLink.owner_id == owner.id)
            .order_by(InviteLink.is_primary.desc(), InviteLink.created_at.desc(), InviteLink.id.desc())
        )
    )


def get_owned_link(owner: User, link_id: int) -> InviteLink | None:
    """Return the owner's link with this id, or None (also for someone else's link)."""
    return db.session.scalar(select(InviteLink).where(InviteLink.id == link_id, InviteLink.owner_id == owner.id))


def link_count(owner: User) -> int:
    """Return how many links the owner has."""
    return db.session.scalar(select(func.count()).select_from(InviteLink).where(InviteLink.owner_id == owner.id))


class LinkLimitReached(Exception):
    """The owner already has as many links as allowed."""


@dataclass(slots=True)
class LinkFields:
    """What an owner can set on a link."""

    label: str
    channel: str = "other"
    message: str = ""
    expires_at: datetime | None = None
    max_requests: int | None = None
    auto_accept: bool = False


def create_link(owner: User, fields: LinkFields) -> InviteLink:
    """Create a link for the owner; the first link becomes primary. Raise LinkLimitReached at the cap."""
    # Lock the owner row so concurrent creates can't both pass the cap (SQLite: BEGIN IMMEDIATE does this).
    db.session.execute(select(User.id).where(User.id == owner.id).with_for_update())
    if link_count(owner) >= current_app.config["LINKS_MAX_PER_OWNER"]:
        db.session.rollback()
        raise LinkLimitReached
    has_primary = db.session.scalar(
        select(func.count()).select_from(InviteLink).where(InviteLink.owner_id == owner.id, InviteLink.is_primary)
    )
    link = InviteLink(owner_id=owner.id, is_primary=not has_primary, **_columns(fields))
    db.session.add(link)
    db.session.commit()
    return link


def _columns(fields: LinkFields) -> dict:
    return {
        "label": fields.label,
        "channel": fields.channel,
        "message": fields.message or "",
        "expires_at": fields.expires_at,
        "max_requests": fields.max_requests,
        "auto_accept": bool(fields.auto_accept),
    }


def update_link(owner: User, link_id: int, fields: LinkFields) -> bool:
    """Save new settings on the owner's link; return False when it isn't theirs."""
    result = db.session.execute(
        update(InviteLink).where(InviteLink.id == link_id, InviteLink.owner_id == owner.id).values(**_columns(fields))
    )
    db.session.commit()
    return result.rowcount == 1


def set_active(owner: User, link_id: int, active: bool) -> bool:
    """Pause or resume the owner's link; return False when it isn't theirs."""
    result = db.session.execute(
        update(InviteLink).where(InviteLink.id == link_id, InviteLink.owner_id == owner.id).values(active=active)
    )
    db.session.commit()
    return result.rowcount == 1


def rotate_link(owner: User, link_id: int) -> bool:
    """Give the owner's link a new URL (version + 1); the old URL then answers 410. False if not theirs."""
    result = db.session.execute(
        update(InviteLink)
        .where(InviteLink.id == link_id, InviteLink.owner_id == owner.id)
        .values(version=InviteLink.version + 1)
    )
    db.session.commit()
    return result.rowcount == 1


def set_primary(owner: User, link_id: int) -> bool:
    """Make the owner's link the one /@handle leads to; return False when it isn't theirs."""
    # Serialise per owner: the partial unique index allows one primary, the row lock avoids tripping it.
    db.session.execute(select(User.id).where(User.id == owner.id).with_for_update())
    exists = db.session.scalar(
        select(InviteLink.id).where(InviteLink.id == link_id, InviteLink.owner_id == owner.id)
    )
    if exists is None:
        db.session.rollback()
        return False
    db.session.execute(
        update(InviteLink)
        .where(InviteLink.owner_id == owner.id, InviteLink.is_primary, InviteLink.id != link_id)
        .values(is_primary=False)
    )
    db.session.execute(update(InviteLink).where(InviteLink.id == link_id).values(is_primary=True))
    db.session.commit()
    return True


def delete_link(owner: User, link_id: int) -> bool:
    """Delete the owner's link with its statistics (requests keep their history, unlinked)."""
    result = db.session.execute(
        delete(InviteLink).where(InviteLink.id == link_id, InviteLink.owner_id == owner.id)
    )
    db.session.commit()
    return result.rowcount == 1


def set_vanity(owner: User, enabled: bool) -> None:
    """Switch the owner's /@handle URL on or off."""
    db.session.execute(update(User).where(User.id == owner.id).values(vanity_enabled=enabled))
    db.session.commit()


def vanity_target(handle: str) -> InviteLink | None:
    """Return the primary link /@handle leads to, or None when there is none or the owner switched it off."""
    if not handle or len(handle) > 30:
        return None
    return db.session.scalar(
        select(InviteLink)
        .options(load_only(InviteLink.public_id, InviteLink.version))
        .join(User, User.id == InviteLink.owner_id)
        .where(User.handle == handle.lower(), User.vanity_enabled, InviteLink.is_primary)
    )


# --- Statistics ------------------------------------------------------------------------------------


@dataclass(slots=True)
class Funnel:
    """Clicks, requests and accepted requests, with conversion rates."""

    clicks: int = 0
    requests: int = 0
    accepted: int = 0

    @property
    def request_rate(self) -> float | None:
        """Return requests per click (None without clicks)."""
        return self.requests / self.clicks if self.clicks else None

    @property
    def accept_rate(self) -> float | None:
        """Return accepted per request (None without requests)."""
        return self.accepted / self.requests if self.requests else None

    @property
    def conversion(self) -> float | None:
        """Return accepted per click (None without clicks)."""
        return self.accepted / self.clicks if self.clicks else None


@dataclass(slots=True)
class FunnelReport:
    """The funnel for every link of an owner (by link id) and in total."""

    per_link: dict[int, Funnel]
    total: Funnel


def links_funnel(owner_id: int, now: datetime | None = None) -> FunnelReport:
    """Return all-time clicks, requests and accepted requests per link of the owner, and their total.

    ``now`` is accepted for symmetry with other statistics; the funnel counts everything up to now.
    """
    link_ids = list(db.session.scalars(select(InviteLink.id).where(InviteLink.owner_id == owner_id)))
    per_link = {link_id: Funnel() for link_id in link_ids}
    clicks = db.session.execute(
        select(LinkDailyStat.link_id, func.sum(LinkDailyStat.clicks))
        .join(InviteLink, InviteLink.id == LinkDailyStat.link_id)
        .where(InviteLink.owner_id == owner_id)
        .group_by(LinkDailyStat.link_id)
    )
    for link_id, count in clicks:
        per_link[link_id].clicks = int(count or 0)
    accepted = func.sum(case((ConnectionRequest.status == "accepted", 1), else_=0))
    requests = db.session.execute(
        select(ConnectionRequest.link_id, func.count(), accepted)
        .where(ConnectionRequest.owner_id == owner_id, ConnectionRequest.link_id.is_not(None))
        .group_by(ConnectionRequest.link_id)
    )
    for link_id, count, ok in requests:
        if link_id in per_link:
            per_link[link_id].requests = int(count)
            per_link[link_id].accepted = int(ok or 0)
    total = Funnel(
        clicks=sum(f.clicks for f in per_link.values()),
        requests=sum(f.requests for f in per_link.values()),
        accepted=sum(f.accepted for f in per_link.values()),
    )
    return FunnelReport(per_link=per_link, total=total)


def link_funnel(link: InviteLink) -> Funnel:
    """Return the all-time funnel of one link."""
    clicks = db.session.scalar(
        select(func.coalesce(func.sum(LinkDailyStat.clicks), 0)).where(LinkDailyStat.link_id == link.id)
    )
    accepted = func.sum(case((ConnectionRequest.status == "accepted", 1), else_=0))
    count, ok = db.session.execute(
        select(func.count(), accepted).where(ConnectionRequest.link_id == link.id)
    ).one()
    return Funnel(clicks=int(clicks or 0), requests=int(count or 0), accepted=int(ok or 0))


def clicks_since(owner_id: int, since: date | datetime) -> int:
    """Return the owner's clicks on all links from the UTC day of ``since`` on."""
    day = since.date() if isinstance(since, datetime) else since
    return int(
        db.session.scalar(
            select(func.coalesce(func.sum(LinkDailyStat.clicks), 0))
            .join(InviteLink, InviteLink.id == LinkDailyStat.link_id)
            .where(InviteLink.owner_id == owner_id, LinkDailyStat.day >= day)
        )
        or 0
    )


def daily_clicks(link_id: int, today: date, days: int = 30) -> list[tuple[date, int]]:
    """Return ``(day, clicks)`` for each of the last ``days`` UTC days up to ``today``, zeros included."""
    first = today - timedelta(days=days - 1)
    rows = dict(
        db.session.execute(
            select(LinkDailyStat.day, LinkDailyStat.clicks).where(
                LinkDailyStat.link_id == link_id, LinkDailyStat.day >= first, LinkDailyStat.day <= today
            )
        ).all()
    )
    return [(first + timedelta(days=i), int(rows.get(first + timedelta(days=i), 0))) for i in range(days)]


# --- Page models -----------------------------------------------------------------------------------


@dataclass(slots=True)
class LinkRow:
    """A link with its state, public URL and funnel, as the overview lists it."""

    link: InviteLink
    state: str
    url: str
    funnel: Funnel


@dataclass(slots=True)
class LinksOverview:
    """Everything the links overview shows."""

    rows: list[LinkRow]
    total: Funnel
    count: int
    limit: int
    vanity_url: str | None
    vanity_enabled: bool
    primary: InviteLink | None


def links_overview(owner: User, now: datetime) -> LinksOverview:
    """Return the owner's links with states and the funnel, for the overview page."""
    links = owned_links(owner)
    report = links_funnel(owner.id, now)
    rows = []
    for link in links:
        funnel = report.per_link.get(link.id, Funnel())
        rows.append(LinkRow(link, link_state(link, now, funnel.requests), link_url(link), funnel))
    return LinksOverview(
        rows=rows,
        total=report.total,
        count=len(links),
        limit=current_app.config["LINKS_MAX_PER_OWNER"],
        vanity_url=vanity_url(owner),
        vanity_enabled=bool(owner.vanity_enabled),
        primary=next((link for link in links if link.is_primary), None),
    )


@dataclass(slots=True)
class LinkDetail:
    """Everything one link's page shows."""

    link: InviteLink
    state: str
    token: str
    url: str
    funnel: Funnel
    daily: list[tuple[date, int]]
    vanity_url: str | None


def link_detail(owner: User, link_id: int, now: datetime) -> LinkDetail | None:
    """Return one of the owner's links with its state, funnel and 30-day clicks; None if not theirs."""
    link = get_owned_link(owner, link_id)
    if link is None:
        return None
    funnel = link_funnel(link)
    return LinkDetail(
        link=link,
        state=link_state(link, now, funnel.requests),
        token=link_token(link),
        url=link_url(link),
        funnel=funnel,
        daily=daily_clicks(link.id, now.date(), 30),
        vanity_url=vanity_url(owner) if link.is_primary and owner.vanity_enabled else None,
    )

"""Link operations and statistics. Each takes the acting owner explicitly and commits one transaction."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import current_app, url_for
from sqlalchemy import bindparam, case, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import load_only

from .. import clicks, tokens
from ..clock import as_utc
from ..extensions import db
from ..models import DEFAULT_LINK_CARD_FIELDS, ConnectionRequest, InviteLink, LinkDailyStat, LinkSourceStat, User
from ..urls import external_url
from ..webhooks import services as webhooks
from . import rules

#: Where an owner puts a link: (value, label), in the order the form offers them.
CHANNELS = [
    ("email", "Email signature"),
    ("website", "Website or blog"),
    ("social", "Social media bio"),
    ("slides", "Slides or talk"),
    ("print", "Print (cards, posters)"),
    ("other", "Other"),
]
CHANNEL_NAMES = dict(CHANNELS)



@dataclass(frozen=True, slots=True)
class OwnerView:
    """The owner as the public side of a link shows them."""

    id: int
    public_id: str
    name: str
    headline: str
    handle: str | None
    vanity_enabled: bool
    photo_etag: str | None = None  # the contact card photo's version (oneclick.contacts), None without one


@dataclass(frozen=True, slots=True)
class LinkView:
    """A read-only snapshot of a link and its owner, loaded by one Core query (the click path's only read)."""

    id: int
    public_id: str
    version: int
    owner_id: int
    label: str
    channel: str
    message: str
    expires_at: datetime | None
    max_requests: int | None
    auto_accept: bool
    active: bool
    is_primary: bool
    public_fields: str  # card fields "Save contact" offers on the landing page (empty: no button)
    owner: OwnerView


@dataclass(frozen=True, slots=True)
class Resolution:
    """What a ``/c/<token>`` token leads to: the link (None when not found) and its state."""

    link: LinkView | None
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
_links, _users = InviteLink.__table__, User.__table__
_LINK_COLUMNS = tuple(_links.c[name] for name in LinkView.__slots__ if name != "owner")
_OWNER_COLUMNS = tuple(_users.c[name] for name in OwnerView.__slots__)
_LINK_FOR_LANDING = (
    select(*_LINK_COLUMNS, *_OWNER_COLUMNS)
    .select_from(_links.join(_users, _users.c.id == _links.c.owner_id))
    .where(_links.c.public_id == bindparam("public_id"))
)
_N_LINK = len(_LINK_COLUMNS)
_RAW_SQL: dict[str, str] = {}
_MISSING = object()


def _raw_sql(dialect: str) -> str:
    """Return _LINK_FOR_LANDING as the driver's own SQL string (compiled once per dialect)."""
    sql = _RAW_SQL.get(dialect)
    if sql is None:
        compiled = _LINK_FOR_LANDING.compile(dialect=db.engine.dialect)
        sql = _RAW_SQL[dialect] = str(compiled)
    return sql


def _view(row) -> LinkView:
    """Build the snapshot from a driver row (SQLite hands back ints for booleans and text for times)."""
    (id_, public_id, version, owner_id, label, channel, message, expires_at, max_requests, auto_accept, active,
     is_primary, public_fields, o_id, o_public_id, o_name, o_headline, o_handle, o_vanity, o_photo) = row
    if isinstance(expires_at, str):
        expires_at = datetime.fromisoformat(expires_at)
    owner = OwnerView(o_id, o_public_id, o_name, o_headline, o_handle, bool(o_vanity), o_photo)
    return LinkView(id_, public_id, version, owner_id, label, channel, message, as_utc(expires_at), max_requests,
                    bool(auto_accept), bool(active), bool(is_primary), public_fields, owner)


def fetch_link(public_id: str, fresh: bool = False) -> LinkView | None:
    """Return the snapshot of the link with this public id, or None.

    Inside a transaction (a write path that locked rows first) this reads through the session, always fresh.
    Otherwise it is the request's first query, on the hot path of the landing page and QR codes: it runs
    straight on a pooled driver connection (SQLAlchemy's Connection machinery costs several times the query),
    and its answer is kept for ``LINK_CACHE_SECONDS`` per worker, so a popular link costs one query a second.
    A pause, rotation or edit shows on the landing page within that time; every write path decides on fresh data.
    ``fresh=True`` skips the cached snapshot and replaces it with the row read now (``resolve_token`` does this
    before it ever answers "not found" or "closed" from a snapshot, so a new URL or a resume works at once).
    """
    if db.session().in_transaction():
        row = db.session.execute(_LINK_FOR_LANDING, {"public_id": public_id}).first()
        return None if row is None else LinkView(*row[:_N_LINK], owner=OwnerView(*row[_N_LINK:]))
    cache = current_app.extensions["oneclick.link_cache"]  # oneclick.caches: None when LINK_CACHE_SECONDS is 0
    if cache is None:
        return _fetch_link_row(public_id)
    link = _MISSING if fresh else cache.get(public_id, _MISSING)
    if link is _MISSING:
        link = _fetch_link_row(public_id)
        cache.put(public_id, link)  # an unknown id too: a burst of bad tokens costs one query a second
    return link


def _fetch_link_row(public_id: str) -> LinkView | None:
    """Read one link snapshot on a pooled driver connection (no SQLAlchemy Connection around it)."""
    engine = db.engine
    raw = engine.raw_connection()
    try:
        if engine.dialect.paramstyle == "qmark":  # SQLite: the driver runs in autocommit mode already
            cursor = raw.cursor()
            cursor.execute(_raw_sql("sqlite"), (public_id,))
            row = cursor.fetchone()
            cursor.close()
        else:  # psycopg: one round trip in autocommit, no BEGIN and no ROLLBACK around a single SELECT
            driver = raw.driver_connection
            driver.autocommit = True
            try:
                row = driver.execute(_raw_sql(engine.dialect.name), {"public_id": public_id}).fetchone()
            finally:
                driver.autocommit = False
    finally:
        raw.close()  # back to the pool
    return None if row is None else _view(row)


def resolve_token(token: str, now: datetime) -> Resolution:
    """Return the link a public token leads to and its state; never raises for bad input.

    The link comes as a read-only snapshot with its owner (name, headline, handle): one query, or none while the
    worker's snapshot is younger than LINK_CACHE_SECONDS. A snapshot is trusted only for what can't have changed
    back since it was read: "open" for the current version (a rotation or pause shows within LINK_CACHE_SECONDS)
    and "replaced" for an older version (versions only grow). Before a newer version is called "not found", or the
    current one "paused", "expired" or "full", the row is read again: a new URL, a resume or a longer expiry works
    on every worker at once, never a second late.
    """
    parsed = tokens.unsign_link(token)
    if parsed is None:
        return _NOT_FOUND
    public_id, version = parsed
    link = fetch_link(public_id)
    if link is None:  # a signed token of a deleted link (ids are random, never reused): it stays gone
        return _NOT_FOUND
    if version < link.version:
        return Resolution(link, "replaced")
    if version == link.version:
        state = link_state(link, now)
        if state == "ok":
            return Resolution(link, state)
    link = fetch_link(public_id, fresh=True)
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
    """Return a cheap ``(target, state)`` for a token: "ok", "not_found" or "replaced" (QR codes use this)."""
    parsed = tokens.unsign_link(token)
    if parsed is None:
        return None, "not_found"
    public_id, version = parsed
    link = fetch_link(public_id)
    if link is not None and version > link.version:  # a stale snapshot: the link was rotated a moment ago
        link = fetch_link(public_id, fresh=True)
    if link is None or version > link.version:
        return None, "not_found"
    target = QrTarget(public_id, link.version, link.channel, link.owner.name)
    return target, ("replaced" if version < link.version else "ok")


# --- Click counting --------------------------------------------------------------------------------


def record_click(link_id: int, now: datetime, source: clicks.Source | None = None) -> None:
    """Count one click on a link for today's UTC day, with its source when known: (referring host, utm_source
    or None, device class) from oneclick.landing.sources (see oneclick.clicks: batched, or at once when
    configured)."""
    day = now.date()
    if current_app.config["CLICK_FLUSH_SECONDS"] > 0:
        clicks.counter(current_app._get_current_object()).add(link_id, day, source)
        return
    # Written at once: end the request's read transaction first, so the upsert starts a write transaction of
    # its own (on SQLite a read transaction must never be upgraded to a write one under concurrency).
    db.session.commit()
    sources = {} if source is None else {(link_id, day, *source): 1}
    clicks.write_tally(db.session.connection(), {(link_id, day): 1}, sources)
    db.session.commit()


def count_arrival(token: str, viewer_id: int | None, now: datetime, source: clicks.Source | None = None) -> bool:
    """Count the click of a request that arrived through a link without a counted visit; True when counted.

    The landing page counts a click per person's visit and its form says so (tokens.sign_click_counted); a
    request posted without that marker (a browser the bot filter took for a scanner, the API) counts one here,
    on the same batched path, so a link never shows more requests than clicks. Not for the owner, nor for a link
    that takes no requests now.
    """
    resolution = resolve_token(token, now)
    if not resolution.ok or resolution.link.owner_id == viewer_id:
        return False
    record_click(resolution.link.id, now, source)
    return True


# --- Owner operations ------------------------------------------------------------------------------


def link_token(link: InviteLink) -> str:
    """Return the token of a link's current version."""
    return tokens.sign_link(link.public_id, link.version)


def link_url(link: InviteLink) -> str:
    """Return the public URL of a link's current version (always built from PUBLIC_URL)."""
    return external_url("landing.page", token=link_token(link))


def stable_url(link: InviteLink) -> str | None:
    """Return the link's stable short path ``/@handle/<slug>`` as an absolute URL, or None when it has none.

    None too while the owner has no handle or switched their /@handle address off (the path then answers 404).
    """
    owner = link.owner
    if not link.slug or not owner.handle or not owner.vanity_enabled:
        return None
    return external_url("landing.stable", handle=owner.handle, slug=link.slug)


def share_url(link) -> str:
    """Return the absolute URL every QR code, present mode, snippet and card of this link shares.

    The stable path when the owner chose it for this link (and it works: slug set, handle on), else the current
    token URL. ``link`` is an ``InviteLink``; a landing snapshot (``LinkView``) is looked up by its id.
    """
    if not isinstance(link, InviteLink):
        link = db.session.get(InviteLink, link.id)
    if link.share_stable:
        url = stable_url(link)
        if url is not None:
            return url
    return link_url(link)


def share_qr_src(link: InviteLink, fmt: str, external: bool = False, **options) -> str:
    """Return the address of the QR image of the link's share URL (the stable path's or the token's)."""
    build = external_url if external else url_for
    if link.share_stable and stable_url(link) is not None:
        return build("landing.stable_qr", handle=link.owner.handle, slug=link.slug, fmt=fmt, **options)
    return build("landing.qr_image", token=link_token(link), fmt=fmt, **options)


@dataclass(frozen=True, slots=True)
class PresentShare:
    """What present mode shows: the URL to type, in parts a line may break between, and the QR image."""

    url: str
    parts: list[str]
    qr_src: str


def present_share(link_id: int) -> PresentShare:
    """Return the short URL present mode shows and its QR code, for the link with this id.

    The share URL (stable path when chosen); for a token URL of the primary link, the /@handle address while it
    is on (it leads there and is short); the URL is split after each ``/``, and a token after its ``~`` and the
    version's ``.``, so it wraps only between parts.
    """
    link = db.session.get(InviteLink, link_id)
    url = share_url(link)
    if url == link_url(link) and link.is_primary and link.owner.handle and link.owner.vanity_enabled:
        url = vanity_url(link.owner)
    shown = url.split("://", 1)[-1]
    parts = []
    for part in re.split(r"(?<=[/~])", shown):
        version = re.match(r"[0-9a-f]+\.", part) if parts and parts[-1].endswith("~") else None
        parts += [version.group(), part[version.end():]] if version else [part]
    return PresentShare(url, parts, share_qr_src(link, "svg", size=1024, ecc="Q"))


def vanity_url(owner: User) -> str | None:
    """Return the owner's /@handle URL when they have a handle, else None."""
    return external_url("landing.vanity", handle=owner.handle) if owner.handle else None


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
    slug: str | None = None
    share_stable: bool = False
    # Contact card fields shared on acceptance / offered by "Save contact" (comma-separated keys, oneclick.contacts).
    card_fields: str = DEFAULT_LINK_CARD_FIELDS
    public_fields: str = ""


class SlugTaken(Exception):
    """The owner already uses this stable short path for another link."""


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
    if fields.slug and _slug_used(owner.id, fields.slug, None):
        db.session.rollback()
        raise SlugTaken
    link = InviteLink(owner_id=owner.id, is_primary=not has_primary, **_columns(fields))
    db.session.add(link)
    try:
        db.session.commit()
    except IntegrityError as exc:  # a concurrent save took the slug between the check and the insert
        db.session.rollback()
        if fields.slug and _slug_used(owner.id, fields.slug, None):
            raise SlugTaken from exc
        raise
    return link


def _slug_used(owner_id: int, slug: str, link_id: int | None) -> bool:
    """Return True when another of the owner's links has this stable path."""
    query = select(InviteLink.id).where(InviteLink.owner_id == owner_id, InviteLink.slug == slug)
    if link_id is not None:
        query = query.where(InviteLink.id != link_id)
    return db.session.scalar(query.limit(1)) is not None


def save_link(owner: User, link_id: int, changes: dict) -> bool:
    """Save the link form's settings (``change_link``); raise SlugTaken when the stable path is another link's.

    The unique (owner, slug) constraint decides a race; False when the link isn't theirs.
    """
    slug = changes.get("slug")
    if slug and _slug_used(owner.id, slug, link_id):
        db.session.rollback()
        raise SlugTaken
    try:
        return change_link(owner, link_id, changes)
    except IntegrityError as exc:
        db.session.rollback()
        if slug and _slug_used(owner.id, slug, link_id):
            raise SlugTaken from exc
        raise


def _columns(fields: LinkFields) -> dict:
    return {
        "label": fields.label,
        "channel": fields.channel,
        "message": fields.message or "",
        "expires_at": fields.expires_at,
        "max_requests": fields.max_requests,
        "auto_accept": bool(fields.auto_accept),
        "slug": fields.slug or None,
        "share_stable": bool(fields.share_stable),
        "card_fields": fields.card_fields,
        "public_fields": fields.public_fields,
    }


def update_link(owner: User, link_id: int, fields: LinkFields) -> bool:
    """Save new settings on the owner's link; return False when it isn't theirs."""
    result = db.session.execute(
        update(InviteLink).where(InviteLink.id == link_id, InviteLink.owner_id == owner.id).values(**_columns(fields))
    )
    db.session.commit()
    return result.rowcount == 1


def change_link(owner: User, link_id: int, changes: dict) -> bool:
    """Apply some settings (any of LinkFields' names, and ``active``) to the owner's link in one UPDATE.

    False when it isn't theirs. One statement, one commit: a change of fields and a pause land together or not
    at all.
    """
    allowed = {*LinkFields.__dataclass_fields__, "active"}
    unknown = set(changes) - allowed
    if unknown:
        raise ValueError(f"Not a link setting: {', '.join(sorted(unknown))}")
    values = dict(changes)
    if "message" in values:
        values["message"] = values["message"] or ""
    if "auto_accept" in values:
        values["auto_accept"] = bool(values["auto_accept"])
    if "slug" in values:
        values["slug"] = values["slug"] or None
    if "share_stable" in values:
        values["share_stable"] = bool(values["share_stable"])
    if not values:
        return get_owned_link(owner, link_id) is not None
    if values.get("active") is False:
        webhooks.link_paused(db.session, owner.id, link_id)
    result = db.session.execute(
        update(InviteLink).where(InviteLink.id == link_id, InviteLink.owner_id == owner.id).values(**values)
    )
    db.session.commit()
    return result.rowcount == 1


def set_active(owner: User, link_id: int, active: bool) -> bool:
    """Pause or resume the owner's link; return False when it isn't theirs."""
    if not active:
        webhooks.link_paused(db.session, owner.id, link_id)
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


def stable_target(handle: str, slug: str) -> InviteLink | None:
    """Return the link ``/@handle/<slug>`` leads to, or None (unknown, bad input, or the handle switched off)."""
    if not handle or len(handle) > 30 or "\x00" in handle or not rules.looks_like_slug(slug):
        return None
    return db.session.scalar(
        select(InviteLink)
        .join(User, User.id == InviteLink.owner_id)
        .where(User.handle == handle.lower(), User.vanity_enabled, InviteLink.slug == slug)
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


def links_funnel(owner_id: int) -> FunnelReport:
    """Return all-time clicks, requests and accepted requests per link of the owner, and their total."""
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


@dataclass(frozen=True, slots=True)
class SourceSplit:
    """Where a link's clicks came from over some days: top referring hosts, utm_sources and the device split.

    Each list holds ``(value, clicks)``, most clicks first; values past the top few are added into "other" (last).
    ``devices`` always lists phone, tablet and desktop in that order; ``total`` is the clicks with a source.
    """

    days: int
    referrers: list[tuple[str, int]]
    utm_sources: list[tuple[str, int]]
    devices: list[tuple[str, int]]
    total: int


_DEVICES = ("phone", "tablet", "desktop")


def _top(counts: dict[str, int], top: int) -> list[tuple[str, int]]:
    named = sorted(((v, n) for v, n in counts.items() if v != "other" and n > 0), key=lambda item: (-item[1], item[0]))
    other = counts.get("other", 0) + sum(n for _, n in named[top:])
    return named[:top] + ([("other", other)] if other else [])


def link_sources(link_id: int, today: date, days: int = 30, top: int = 5) -> SourceSplit:
    """Return where the link's clicks of the last ``days`` UTC days up to ``today`` came from (one query)."""
    first = today - timedelta(days=days - 1)
    counts: dict[str, dict[str, int]] = {"referrer": {}, "utm": {}, "device": {}}
    rows = db.session.execute(
        select(LinkSourceStat.kind, LinkSourceStat.value, func.sum(LinkSourceStat.count))
        .where(LinkSourceStat.link_id == link_id, LinkSourceStat.day >= first, LinkSourceStat.day <= today)
        .group_by(LinkSourceStat.kind, LinkSourceStat.value)
    )
    for kind, value, n in rows:
        counts[kind][value] = int(n or 0)
    devices = [(name, counts["device"].get(name, 0)) for name in _DEVICES]
    return SourceSplit(days=days, referrers=_top(counts["referrer"], top), utm_sources=_top(counts["utm"], top),
                       devices=devices, total=sum(n for _, n in devices))


# --- Page models -----------------------------------------------------------------------------------


@dataclass(slots=True)
class LinkRow:
    """A link with its state, public URL and funnel, as the overview lists it."""

    link: InviteLink
    state: str
    url: str
    funnel: Funnel
    share_url: str = ""  # what the list's Copy, QR and Present share (share_url)
    token: str = ""


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
    report = links_funnel(owner.id)
    rows = []
    for link in links:
        funnel = report.per_link.get(link.id, Funnel())
        rows.append(LinkRow(link, link_state(link, now, funnel.requests), link_url(link), funnel, share_url(link),
                            link_token(link)))
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
    sources: SourceSplit | None = None
    share_url: str = ""  # what QR codes, present mode and snippets share (share_url)
    stable_url: str | None = None  # the stable short path, when the link has one that works


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
        sources=link_sources(link.id, now.date(), 30),
        vanity_url=vanity_url(owner) if link.is_primary and owner.vanity_enabled else None,
        share_url=share_url(link),
        stable_url=stable_url(link),
    )

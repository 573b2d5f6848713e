"""Every table in one place, so the schema reads in one sitting."""

from __future__ import annotations

import secrets
from datetime import date, datetime

from flask_login import UserMixin
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from .clock import as_utc, utcnow
from .extensions import db


class UTCDateTime(TypeDecorator):
    """A timestamp stored as UTC and always read back timezone-aware (SQLite forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return as_utc(value)

    def process_result_value(self, value, dialect):
        return as_utc(value)


def new_public_id() -> str:
    """Return a random, URL-safe public identifier (72 bits)."""
    return secrets.token_urlsafe(9)


def new_session_token() -> str:
    """Return a random token that, when replaced, ends every session and remember cookie."""
    return secrets.token_urlsafe(16)


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(16), unique=True, default=new_public_id)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    headline: Mapped[str] = mapped_column(String(160), default="")
    handle: Mapped[str | None] = mapped_column(String(30), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    # Part of the login id: replacing it signs out every session and remember cookie at once.
    session_token: Mapped[str] = mapped_column(String(32), default=new_session_token)
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Set when the owner of the address follows the activation link; until then no sign-in.
    email_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Owner's dashboard: requests newer than this are "new since last visit".
    requests_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Vanity URL /@handle leads to the owner's primary link while enabled.
    vanity_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # Email to the owner about new requests: "off", "instant" or "daily".
    notify_mode: Mapped[str] = mapped_column(String(10), default="off")
    # Daily digest: requests newer than this have not been mailed yet.
    notify_digest_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    links: Mapped[list[InviteLink]] = relationship(
        back_populates="owner",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )

    def get_id(self) -> str:
        """Return the login id flask-login stores in the session and the remember cookie."""
        return f"{self.public_id}.{self.session_token}"

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email}>"


class InviteLink(db.Model):
    """A signed one-click link an owner puts in a signature, bio, slide or print."""

    __tablename__ = "invite_links"
    __table_args__ = (
        # At most one primary link per owner: the one /@handle leads to.
        Index(
            "uq_invite_links_primary",
            "owner_id",
            unique=True,
            sqlite_where=text("is_primary"),
            postgresql_where=text("is_primary"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(16), unique=True, default=new_public_id)
    version: Mapped[int] = mapped_column(Integer, default=1)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(80))
    channel: Mapped[str] = mapped_column(String(20), default="other")
    message: Mapped[str] = mapped_column(String(500), default="")
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    max_requests: Mapped[int | None] = mapped_column(Integer)
    auto_accept: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    is_primary: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    owner: Mapped[User] = relationship(back_populates="links")


class LinkDailyStat(db.Model):
    """Clicks on one link on one UTC day: one upsert per counted click, never a row per click."""

    __tablename__ = "link_daily_stats"

    link_id: Mapped[int] = mapped_column(
        ForeignKey("invite_links.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    clicks: Mapped[int] = mapped_column(Integer, default=0)


class ConnectionRequest(db.Model):
    """An inbound request sent to an owner through one of their links."""

    __tablename__ = "connection_requests"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'accepted', 'declined')", name="status"),
        # One pending request per (owner, requester), enforced by the database on SQLite and PostgreSQL.
        Index(
            "uq_connection_requests_pending",
            "owner_id",
            "requester_email",
            unique=True,
            sqlite_where=text("status = 'pending'"),
            postgresql_where=text("status = 'pending'"),
        ),
        # Inbox: an owner's requests by status, newest first (keyset pagination on created_at, id).
        Index("ix_connection_requests_inbox", "owner_id", "status", "created_at", "id"),
        Index("ix_connection_requests_link", "link_id", "status"),
        # Inbox filtered by link (keyset on created_at, id) and the per-link daily cap.
        Index("ix_connection_requests_link_inbox", "link_id", "status", "created_at", "id"),
        Index("ix_connection_requests_link_day", "link_id", "created_at"),
        # A visitor's own request to an owner (any status): the landing page and duplicate checks.
        Index("ix_connection_requests_requester", "owner_id", "requester_email"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    link_id: Mapped[int | None] = mapped_column(ForeignKey("invite_links.id", ondelete="SET NULL"))
    requester_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    requester_email: Mapped[str] = mapped_column(String(254))
    name: Mapped[str] = mapped_column(String(100))
    note: Mapped[str] = mapped_column(String(300), default="")
    status: Mapped[str] = mapped_column(String(10), default="pending")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    link: Mapped[InviteLink | None] = relationship(foreign_keys=[link_id])


class Connection(db.Model):
    """One side of a connection: ``owner`` is connected to a member or (before they join) an email."""

    __tablename__ = "connections"
    __table_args__ = (
        UniqueConstraint("owner_id", "email"),
        Index("ix_connections_owner_created", "owner_id", "created_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    member_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(254))
    name: Mapped[str] = mapped_column(String(100))
    # "link" (an inbound request through one of the owner's links) or "invitation" (outbound).
    source: Mapped[str] = mapped_column(String(12), default="link")
    link_id: Mapped[int | None] = mapped_column(ForeignKey("invite_links.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Block(db.Model):
    """An owner's block: an email (guest or member) barred from all of the owner's links."""

    __tablename__ = "blocks"
    __table_args__ = (UniqueConstraint("owner_id", "email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

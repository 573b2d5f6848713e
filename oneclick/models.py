"""Every table in one place, so the schema reads in one sitting."""

from __future__ import annotations

import secrets
from datetime import date, datetime

from flask_login import UserMixin
from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from . import limits
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


#: Card fields a new link shares with the people who connect through it (oneclick.contacts.fields).
DEFAULT_LINK_CARD_FIELDS = "name,headline,organisation,work_email"


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(16), unique=True, default=new_public_id)
    email: Mapped[str] = mapped_column(String(limits.EMAIL_MAX), unique=True)
    name: Mapped[str] = mapped_column(String(limits.PERSON_NAME_MAX))
    headline: Mapped[str] = mapped_column(String(limits.HEADLINE_MAX), default="")
    handle: Mapped[str | None] = mapped_column(String(limits.HANDLE_MAX), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    # Part of the login id: replacing it signs out every session and remember cookie at once.
    session_token: Mapped[str] = mapped_column(String(32), default=new_session_token)
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Set when the owner of the address follows the activation link; until then no sign-in.
    email_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The last activation mail (registration, repeat registration or resend): an account still unverified
    # ACTIVATION_MAX_AGE after it is deleted by `flask users purge-unverified`.
    activation_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Owner's dashboard: requests newer than this are "new since last visit".
    requests_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Vanity URL /@handle leads to the owner's primary link while enabled.
    vanity_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # Email to the owner about new requests: "off", "instant" (the default) or "daily".
    notify_mode: Mapped[str] = mapped_column(String(10), default="instant", server_default="instant")
    # Daily digest: requests newer than this have not been mailed yet.
    notify_digest_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The contact card photo's version (a hash of its JPEG), None without a photo: its URL carries it, so the
    # landing page's cached snapshot changes with the photo.
    photo_etag: Mapped[str | None] = mapped_column(String(16))

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
        # A stable short path /@handle/<slug> is unique per owner (NULLs never collide).
        UniqueConstraint("owner_id", "slug", name="uq_invite_links_owner_slug"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(16), unique=True, default=new_public_id)
    version: Mapped[int] = mapped_column(Integer, default=1)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(limits.LINK_LABEL_MAX))
    channel: Mapped[str] = mapped_column(String(20), default="other")
    message: Mapped[str] = mapped_column(String(limits.LINK_MESSAGE_MAX), default="")
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    max_requests: Mapped[int | None] = mapped_column(Integer)
    auto_accept: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    is_primary: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Optional stable short path /@handle/<slug>: always leads to the current token (survives a rotation).
    slug: Mapped[str | None] = mapped_column(String(limits.LINK_SLUG_MAX))
    # True: QR codes, present mode and snippets share the stable path instead of the token URL.
    share_stable: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    # Contact card fields (comma-separated keys, oneclick.contacts.fields) a person who connects through this link
    # receives on acceptance; links kept from before share the name and headline only (already public).
    card_fields: Mapped[str] = mapped_column(
        String(limits.CARD_FIELDS_MAX), default=DEFAULT_LINK_CARD_FIELDS, server_default="name,headline"
    )
    # Card fields anyone may save from the landing page ("Save contact", a .vcf); empty: no button.
    public_fields: Mapped[str] = mapped_column(String(limits.CARD_FIELDS_MAX), default="", server_default="")

    owner: Mapped[User] = relationship(back_populates="links")


class LinkDailyStat(db.Model):
    """Clicks on one link on one UTC day: one upsert per counted click, never a row per click."""

    __tablename__ = "link_daily_stats"

    link_id: Mapped[int] = mapped_column(
        ForeignKey("invite_links.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    clicks: Mapped[int] = mapped_column(Integer, default=0)


class LinkSourceStat(db.Model):
    """Clicks on one link on one UTC day from one source: a count, never a visitor (no IP, no full URL, no cookie).

    ``kind`` is "referrer" (the referring site's host only, "direct" when none), "utm" (the link's utm_source) or
    "device" (phone, tablet, desktop). Per link, day and kind at most ``limits.SOURCE_VALUES_PER_DAY`` named
    values are kept; later new ones add to "other" (oneclick.clicks.write_sources), so no flood of fake referrers
    can grow the table.
    """

    __tablename__ = "link_source_stats"
    __table_args__ = (CheckConstraint("kind IN ('referrer', 'utm', 'device')", name="kind"),)

    link_id: Mapped[int] = mapped_column(
        ForeignKey("invite_links.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    kind: Mapped[str] = mapped_column(String(10), primary_key=True)
    value: Mapped[str] = mapped_column(String(limits.SOURCE_VALUE_MAX), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


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
    requester_email: Mapped[str] = mapped_column(String(limits.EMAIL_MAX))
    name: Mapped[str] = mapped_column(String(limits.PERSON_NAME_MAX))
    note: Mapped[str] = mapped_column(String(limits.REQUEST_NOTE_MAX), default="")
    status: Mapped[str] = mapped_column(String(10), default="pending")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the sender proved they read mail at requester_email: a member's verified account, or a guest's
    # click on the confirmation link. Null only for guest requests kept from before the double opt-in.
    email_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # What the requester shares back on acceptance: a member's card field keys, or a guest's typed details
    # ({"phone": …, "organisation": …}); nobody sees them before the request is accepted.
    share_fields: Mapped[str] = mapped_column(String(limits.CARD_FIELDS_MAX), default="", server_default="")
    shared_card: Mapped[dict | None] = mapped_column(JSON)

    link: Mapped[InviteLink | None] = relationship(foreign_keys=[link_id])


class GuestConfirmation(db.Model):
    """A guest's request waiting for its sender to click the link mailed to ``email`` (double opt-in).

    Nothing reaches the owner until then: the confirmation places the ConnectionRequest. One unconfirmed row
    per (owner, email); ``public_id`` is what the mailed token carries and changes when the content does.
    """

    __tablename__ = "guest_confirmations"
    __table_args__ = (
        Index(
            "uq_guest_confirmations_unconfirmed",
            "owner_id",
            "email",
            unique=True,
            sqlite_where=text("confirmed_at IS NULL"),
            postgresql_where=text("confirmed_at IS NULL"),
        ),
        # The purge command: rows by age.
        Index("ix_guest_confirmations_sent", "sent_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(16), unique=True, default=new_public_id)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    link_id: Mapped[int | None] = mapped_column(ForeignKey("invite_links.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(String(limits.EMAIL_MAX))
    name: Mapped[str] = mapped_column(String(limits.PERSON_NAME_MAX))
    note: Mapped[str] = mapped_column(String(limits.REQUEST_NOTE_MAX), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The last confirmation mail; the row expires GUEST_CONFIRM_MAX_AGE after it.
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A guest's optional details shared on acceptance ({"phone": …, "organisation": …}), carried to the request.
    shared_card: Mapped[dict | None] = mapped_column(JSON)


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
    email: Mapped[str] = mapped_column(String(limits.EMAIL_MAX))
    name: Mapped[str] = mapped_column(String(limits.PERSON_NAME_MAX))
    # "link" (an inbound request through one of the owner's links) or "invitation" (outbound).
    source: Mapped[str] = mapped_column(String(12), default="link")
    link_id: Mapped[int | None] = mapped_column(ForeignKey("invite_links.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    # What the other side shares with ``owner``, fixed on acceptance and gone with this row (so removing the
    # connection stops it): a member's card field keys (read from their card now), or a guest's details.
    card_fields: Mapped[str] = mapped_column(String(limits.CARD_FIELDS_MAX), default="", server_default="")
    card: Mapped[dict | None] = mapped_column(JSON)


class Block(db.Model):
    """An owner's block: an email (guest or member) barred from all of the owner's links."""

    __tablename__ = "blocks"
    __table_args__ = (UniqueConstraint("owner_id", "email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(String(limits.EMAIL_MAX))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# --- Outbound invitations ------------------------------------------------------------------------------


class MemberQuota(db.Model):
    """A member's invitation counters: one row per member, locked while a send or decline is decided."""

    __tablename__ = "member_quotas"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    # Every invitation ever sent counts, whatever became of it (withdrawn ones included).
    invitations_sent: Mapped[int] = mapped_column(Integer, default=0)
    # Granted by support on top of INVITE_ALLOTMENT.
    extra_allotment: Mapped[int] = mapped_column(Integer, default=0)
    last_grant_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # "I don't know" and spam declines: since the last lift (restriction) and in total (spammer label).
    declines_since_lift: Mapped[int] = mapped_column(Integer, default=0)
    declines_total: Mapped[int] = mapped_column(Integer, default=0)
    restricted: Mapped[bool] = mapped_column(Boolean, default=False)
    restricted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    restrictions: Mapped[int] = mapped_column(Integer, default=0)
    spammer: Mapped[bool] = mapped_column(Boolean, default=False)


class Invitation(db.Model):
    """An outbound, member-to-member invitation (the cold kind, governed by the quota rules)."""

    __tablename__ = "invitations"
    __table_args__ = (
        CheckConstraint(
            "status IN ('pending', 'accepted', 'ignored', 'declined', 'withdrawn')", name="status"
        ),
        CheckConstraint("decline_kind IS NULL OR decline_kind IN ('idk', 'spam')", name="decline_kind"),
        # Sent list newest first, and the rolling 24 h count, both by one index range scan.
        Index("ix_invitations_sender_created", "sender_id", "created_at"),
        # "Invited them before?" for members and for email addresses.
        Index("ix_invitations_sender_recipient", "sender_id", "recipient_id"),
        Index("ix_invitations_sender_email", "sender_id", "recipient_email"),
        # At most one pending invitation from a sender to an address, per way of addressing it (chosen from
        # the member list, or typed as an address): the two are kept apart so that neither reveals the other.
        Index(
            "uq_invitations_pending",
            "sender_id",
            "recipient_email",
            "addressed_by_email",
            unique=True,
            sqlite_where=text("status = 'pending'"),
            postgresql_where=text("status = 'pending'"),
        ),
        # Received list: a member's invitations by status, newest first.
        Index("ix_invitations_recipient", "recipient_id", "status", "created_at"),
        # Invitations waiting for a non-member to join with this address.
        Index(
            "ix_invitations_unclaimed",
            "recipient_email",
            sqlite_where=text("recipient_id IS NULL"),
            postgresql_where=text("recipient_id IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(16), unique=True, default=new_public_id)
    sender_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # Null until a non-member invited by email joins with that address.
    recipient_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    recipient_email: Mapped[str] = mapped_column(String(limits.EMAIL_MAX))
    recipient_name: Mapped[str] = mapped_column(String(limits.PERSON_NAME_MAX), default="")
    # Typed as an address by the sender (not chosen from the member list): the sender is only ever shown what
    # they typed, whether or not (and whoever) a verified member holds that address.
    addressed_by_email: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    # How the sender knows the recipient: colleague, classmate, business, friend or other.
    how_known: Mapped[str] = mapped_column(String(12))
    message: Mapped[str] = mapped_column(String(limits.INVITE_MESSAGE_MAX), default="")
    status: Mapped[str] = mapped_column(String(10), default="pending")
    # "idk" or "spam": identical in effect and never shown to the sender.
    decline_kind: Mapped[str | None] = mapped_column(String(4))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Withdrawn invitations the sender removed from their list; they still count against the allotment.
    deleted_by_sender: Mapped[bool] = mapped_column(Boolean, default=False)

    sender: Mapped[User] = relationship(foreign_keys=[sender_id])
    recipient: Mapped[User | None] = relationship(foreign_keys=[recipient_id])


class Grant(db.Model):
    """Invitations support added to a member's allotment."""

    __tablename__ = "grants"
    __table_args__ = (Index("ix_grants_user_created", "user_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    amount: Mapped[int] = mapped_column(Integer)
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    granted_by: Mapped[str] = mapped_column(String(254))  # who, kept even when that account is gone
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SupportTicket(db.Model):
    """A member's request to support: more invitations, or lifting a restriction."""

    __tablename__ = "support_tickets"
    __table_args__ = (
        CheckConstraint("kind IN ('more_invitations', 'lift_restriction')", name="kind"),
        CheckConstraint("status IN ('open', 'done', 'refused')", name="status"),
        # One open request of each kind per member.
        Index(
            "uq_support_tickets_open",
            "user_id",
            "kind",
            unique=True,
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
        Index("ix_support_tickets_queue", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(16), unique=True, default=new_public_id)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    message: Mapped[str] = mapped_column(String(limits.SUPPORT_MESSAGE_MAX), default="")
    status: Mapped[str] = mapped_column(String(10), default="open")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by: Mapped[str | None] = mapped_column(String(254))

    user: Mapped[User] = relationship()


class AuditLog(db.Model):
    """Who did what to whom, when: every support action (console and command line)."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_target_at", "target_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    actor: Mapped[str] = mapped_column(String(254))  # the admin's email, or "command line"
    action: Mapped[str] = mapped_column(String(40))
    target_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    target: Mapped[str] = mapped_column(String(254), default="")
    detail: Mapped[str] = mapped_column(String(500), default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class Captcha(db.Model):
    """A self-hosted captcha challenge: the answer kept only as a keyed hash, single use, short-lived."""

    __tablename__ = "captchas"
    __table_args__ = (
        # At most one live (unanswered) captcha per member and purpose: a page view or a refusal shows it again
        # instead of storing another rendering. Sign-in captchas (user_id NULL) never collide here.
        Index(
            "uq_captchas_live",
            "user_id",
            "purpose",
            unique=True,
            sqlite_where=text("used_at IS NULL"),
            postgresql_where=text("used_at IS NULL"),
        ),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    # The member it was issued to; None for a sign-in captcha, which belongs to one visitor's session instead.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # What it guards: "invite" (a member's invitation) or "login" (a sign-in to an account under attack).
    purpose: Mapped[str] = mapped_column(String(10), default="invite", server_default="invite")
    kind: Mapped[str] = mapped_column(String(5), default="image")  # "image" or "audio"
    answer_hash: Mapped[str] = mapped_column(String(64))
    challenge: Mapped[bytes] = mapped_column(LargeBinary)  # the PNG or WAV shown to the member
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


# --- API tokens ----------------------------------------------------------------------------------------


class ApiToken(db.Model):
    """A personal access token for the JSON API: only its SHA-256 is stored, the raw token is shown once.

    The raw token carries 256 random bits, so a fast hash is enough (nobody can guess a preimage) and it
    lets every request find its token through a unique index; a slow password hash would add no safety.
    """

    __tablename__ = "api_tokens"
    __table_args__ = (Index("ix_api_tokens_user_created", "user_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(limits.TOKEN_NAME_MAX))
    # The first characters of the raw token, shown in lists so people can tell their tokens apart.
    prefix: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


# --- Notifications ---------------------------------------------------------------------------------------


class Notification(db.Model):
    """One event on a member's notifications page, written in the transaction of the change that caused it.

    ``kind``: "request_received", "request_accepted", "invitation_accepted", "link_expiring" or "link_requests".
    ``subject_id`` is the request, invitation or link it is about (no foreign key: the event outlives it);
    ``payload`` holds the little the page says (names, a label, counts), fixed when the event happened.
    """

    __tablename__ = "notifications"
    __table_args__ = (
        # The page: a member's events newest first (keyset on id).
        Index("ix_notifications_user_id", "user_id", "id"),
        # The header's unread count.
        Index(
            "ix_notifications_unread",
            "user_id",
            sqlite_where=text("read_at IS NULL"),
            postgresql_where=text("read_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(24))
    subject_id: Mapped[int | None] = mapped_column(Integer)
    payload: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class LinkWarning(db.Model):
    """A warning sent about a link ("expiring" or "requests"): at most one per link and kind.

    ``fired_for`` is the expiry (ISO time) or the request limit it was sent for: a new expiry or a new limit
    re-arms the warning, a rotation or a pause does not (the expiry and the count carry over).
    """

    __tablename__ = "link_warnings"
    __table_args__ = (
        UniqueConstraint("link_id", "kind"),
        CheckConstraint("kind IN ('expiring', 'requests')", name="kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    link_id: Mapped[int] = mapped_column(ForeignKey("invite_links.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(10))
    fired_for: Mapped[str] = mapped_column(String(40))
    fired_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# --- Mail outbox -----------------------------------------------------------------------------------------


class MailOutbox(db.Model):
    """One outgoing mail, added in the transaction of the change that causes it (``mail.send_mail``).

    After the commit a queue task delivers it (``oneclick.mailqueue``): a conditional UPDATE claims the row
    (``status`` "pending" -> "sending", ``next_attempt_at`` = the end of the claim), so two consumers never both
    send it; a failure sets it back to "pending" with an exponential back-off, and after ``MAIL_MAX_ATTEMPTS``
    to "failed" (listed for admins on /admin/mail, with a retry button). The Message-ID is derived from
    ``idempotency_key``, so a mail sent again after a crash carries the same Message-ID.
    """

    __tablename__ = "mail_outbox"
    __table_args__ = (
        Index("ix_mail_outbox_due", "status", "next_attempt_at"),
        CheckConstraint("status IN ('pending', 'sending', 'sent', 'failed')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(limits.MAIL_KEY_MAX), unique=True)
    to_address: Mapped[str] = mapped_column(String(limits.EMAIL_MAX))
    subject: Mapped[str] = mapped_column(String)
    body: Mapped[str] = mapped_column(String)
    html: Mapped[str | None] = mapped_column(String)
    status: Mapped[str] = mapped_column(String(10), default="pending", server_default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_error: Mapped[str | None] = mapped_column(String(limits.MAIL_ERROR_MAX))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


# --- Contact cards ---------------------------------------------------------------------------------------


class ContactCard(db.Model):
    """A member's contact card: what they may share on acceptance (name and headline live on ``users``).

    Emails other than the account's are as stated by the member (never verified); URLs are checked to be
    http(s). ``photo`` is a JPEG the server re-encoded itself (oneclick.contacts.photos), never the upload.
    """

    __tablename__ = "contact_cards"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    organisation: Mapped[str] = mapped_column(String(limits.ORGANISATION_MAX), default="")
    work_email: Mapped[str] = mapped_column(String(limits.EMAIL_MAX), default="")
    personal_email: Mapped[str] = mapped_column(String(limits.EMAIL_MAX), default="")
    phone: Mapped[str] = mapped_column(String(limits.PHONE_MAX), default="")
    website: Mapped[str] = mapped_column(String(limits.PROFILE_URL_MAX), default="")
    linkedin: Mapped[str] = mapped_column(String(limits.PROFILE_URL_MAX), default="")
    mastodon: Mapped[str] = mapped_column(String(limits.PROFILE_URL_MAX), default="")
    github: Mapped[str] = mapped_column(String(limits.PROFILE_URL_MAX), default="")
    x: Mapped[str] = mapped_column(String(limits.PROFILE_URL_MAX), default="")
    photo: Mapped[bytes | None] = mapped_column(LargeBinary)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# --- Webhooks ----------------------------------------------------------------------------------------------


class WebhookEndpoint(db.Model):
    """A member's webhook endpoint: a URL and the events it wants (``oneclick.webhooks``).

    ``secret`` is the Standard Webhooks signing secret (``whsec_…``), encrypted with a key derived from
    SECRET_KEY (``webhooks.secrets``): the server must read it to sign, so it can't be a one-way hash.
    ``failing_since`` is the first failed attempt since the last success; once failures have lasted
    WEBHOOK_DISABLE_AFTER_SECONDS the endpoint is disabled (``disabled_at``) and its owner told by mail.
    """

    __tablename__ = "webhook_endpoints"
    __table_args__ = (Index("ix_webhook_endpoints_owner_id", "owner_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    url: Mapped[str] = mapped_column(String(limits.WEBHOOK_URL_MAX))
    events: Mapped[str] = mapped_column(String(limits.WEBHOOK_EVENTS_MAX))
    secret: Mapped[str] = mapped_column(String(300))
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))
    failing_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class WebhookDelivery(db.Model):
    """One event for one endpoint, written in the transaction of the change that caused it, then delivered by a
    queue task: claimed by a conditional UPDATE (pending -> sending), retried with back-off, "delivered" or
    "failed". ``message_id`` is the ``webhook-id`` header, the same on every attempt (the receiver's idempotency
    key); ``payload`` is the exact JSON body that is signed."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
        Index("ix_webhook_deliveries_endpoint_id", "endpoint_id", "id"),
        CheckConstraint("status IN ('pending', 'sending', 'delivered', 'failed')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    endpoint_id: Mapped[int] = mapped_column(ForeignKey("webhook_endpoints.id", ondelete="CASCADE"))
    message_id: Mapped[str] = mapped_column(String(40), unique=True)
    event: Mapped[str] = mapped_column(String(40))
    payload: Mapped[str] = mapped_column(String)
    status: Mapped[str] = mapped_column(String(10), default="pending", server_default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    response_code: Mapped[int | None] = mapped_column(Integer)
    response_body: Mapped[str | None] = mapped_column(String(limits.WEBHOOK_RESPONSE_MAX))
    last_error: Mapped[str | None] = mapped_column(String(limits.WEBHOOK_ERROR_MAX))


class GuestErasure(db.Model):
    """When a guest last erased everything stored about their address: their private links issued before then
    no longer open. Keyed by a keyed digest of the address (``oneclick.privacy.services.address_digest``), so
    the erased address itself is not kept."""

    __tablename__ = "guest_erasures"

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    erased_at: Mapped[datetime] = mapped_column(UTCDateTime)

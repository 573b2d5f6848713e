"""A member's invitation quota: the locked ``member_quotas`` row, the rules' view of it, and the meters.

Every change to the counters (sending, declines, lifts, grants, labels) reads them with ``locked_quota_row``
(SELECT ... FOR UPDATE on PostgreSQL; SQLite transactions are BEGIN IMMEDIATE, so they serialise anyway),
asks ``rules`` with ``snapshot(row)`` and stores the outcome with ``write`` before the caller commits.
The invitations services and the support console (oneclick/admin) both use this module.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, select

from ..db_helpers import insert_for
from ..extensions import db
from ..models import Invitation, MemberQuota, SupportTicket, User
from . import rules
from .rules import Decision, Quota, Settings


def settings() -> Settings:
    """Return the rule settings from the app config."""
    return Settings.from_config(current_app.config)


def locked_quota_row(user_id: int) -> MemberQuota:
    """Return the member's quota row, created if missing, locked until the transaction ends."""
    stmt = (
        select(MemberQuota)
        .where(MemberQuota.user_id == user_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    row = db.session.scalar(stmt)
    if row is None:
        db.session.execute(insert_for(db.session)(MemberQuota).values(user_id=user_id).on_conflict_do_nothing())
        row = db.session.scalar(stmt)
    return row


def sent_since(user_id: int, since: datetime, cap: int) -> int:
    """Count the member's invitations created after ``since``, stopping at ``cap`` (one index range scan)."""
    window = (
        select(Invitation.id)
        .where(Invitation.sender_id == user_id, Invitation.created_at > since)
        .limit(max(cap, 0))
        .subquery()
    )
    return db.session.scalar(select(func.count()).select_from(window)) or 0


def snapshot(row: MemberQuota | None, sent_24h: int) -> Quota:
    """Return the rules' view of a quota row (None: a member who never sent or got declined)."""
    if row is None:
        return Quota(sent_24h=sent_24h)
    return Quota(
        sent_total=row.invitations_sent or 0,
        extra_allotment=row.extra_allotment or 0,
        sent_24h=sent_24h,
        declines_since_lift=row.declines_since_lift or 0,
        declines_total=row.declines_total or 0,
        restricted=bool(row.restricted),
        restrictions=row.restrictions or 0,
        spammer=bool(row.spammer),
        last_grant_at=row.last_grant_at,
    )


def write(row: MemberQuota, quota: Quota) -> None:
    """Store the rules' new view of the counters in the (locked) row."""
    row.invitations_sent = quota.sent_total
    row.extra_allotment = quota.extra_allotment
    row.last_grant_at = quota.last_grant_at
    row.declines_since_lift = quota.declines_since_lift
    row.declines_total = quota.declines_total
    row.restricted = quota.restricted
    row.restrictions = quota.restrictions
    row.spammer = quota.spammer


@dataclass(frozen=True)
class QuotaSummary:
    """Everything the meters and notices show about a member's invitations."""

    allotment: int
    sent: int
    left: int
    sent_24h: int
    captcha_after: int
    declines_since_lift: int
    restrict_after: int
    declines_total: int
    spammer_after: int
    restricted: bool
    restricted_at: datetime | None
    restrictions: int
    spammer: bool
    can_self_lift: bool
    needs_captcha: bool
    last_grant_at: datetime | None
    open_requests: frozenset[str] = field(default_factory=frozenset)
    #: From the rules, for the pages: how a restriction can be lifted, and whether more can be asked for.
    lift: Decision = field(default_factory=lambda: Decision(False, "not_restricted"))
    more: Decision = field(default_factory=lambda: Decision(False, "allotment_left"))

    @property
    def exhausted(self) -> bool:
        return self.left == 0

    @property
    def lifted_before(self) -> bool:
        """True once a restriction was lifted: the declines meter then counts from that lift, else from the start."""
        return self.restrictions - (1 if self.restricted else 0) > 0


def quota_summary(user: User, now: datetime) -> QuotaSummary:
    """Return the member's invitation meters and restriction state (read-only)."""
    s = settings()
    row = db.session.get(MemberQuota, user.id)
    quota = snapshot(row, 0)
    cap = rules.allotment(quota, s)
    quota = snapshot(row, sent_since(user.id, now - timedelta(days=1), cap))
    open_kinds = db.session.scalars(
        select(SupportTicket.kind).where(SupportTicket.user_id == user.id, SupportTicket.status == "open")
    ).all()
    return QuotaSummary(
        allotment=rules.allotment(quota, s),
        sent=quota.sent_total,
        left=rules.invitations_left(quota, s),
        sent_24h=quota.sent_24h,
        captcha_after=s.captcha_after_per_day,
        declines_since_lift=quota.declines_since_lift,
        restrict_after=s.restrict_after_declines,
        declines_total=quota.declines_total,
        spammer_after=s.spammer_after_declines,
        restricted=quota.restricted,
        restricted_at=row.restricted_at if row else None,
        restrictions=quota.restrictions,
        spammer=quota.spammer,
        can_self_lift=rules.can_self_lift(quota, s).allowed,
        needs_captcha=rules.captcha_required(quota, s),
        last_grant_at=quota.last_grant_at,
        open_requests=frozenset(open_kinds),
        lift=rules.lift_path(quota, s, request_open="lift_restriction" in open_kinds),
        more=rules.more_invitations_path(quota, s, request_open="more_invitations" in open_kinds),
    )

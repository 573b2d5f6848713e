"""Support actions on members' invitation quotas: grant, lift, label. Each is decided by the rules module,
refused with a reason when the rules say no, and written to the audit log with who and when.

``actor`` is the admin acting in the console, or None for the command line.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select, update

from .. import audit
from ..extensions import db
from ..invitations import quota as quotas
from ..invitations import rules
from ..invitations import services as invitation_services
from ..invitations.rules import Decision
from ..models import AuditLog, Grant, MemberQuota, SupportTicket, User


def _who(actor: User | None) -> audit.Actor:
    """The admin acting in the console, or the operator at the command line."""
    return actor if actor is not None else audit.COMMAND_LINE


def _audit(actor: User | None, action: str, member: User, detail: str, now: datetime) -> None:
    audit.record(_who(actor), action, member, detail, now)


def _close_tickets(member: User, kind: str, actor: User | None, now: datetime, status: str = "done") -> None:
    db.session.execute(
        update(SupportTicket)
        .where(SupportTicket.user_id == member.id, SupportTicket.kind == kind, SupportTicket.status == "open")
        .values(status=status, resolved_at=now, resolved_by=audit.actor_label(_who(actor)))
        .execution_options(synchronize_session=False)
    )


def promote(actor: User | None, member: User, now: datetime) -> bool:
    """Make the member a support admin, with an audit entry; False (and nothing written) if they are one."""
    if member.is_admin:
        db.session.rollback()
        return False
    member.is_admin = True
    _audit(actor, "promote", member, "made a support admin", now)
    db.session.commit()
    return True


def find_member(public_id: str) -> User | None:
    """Return the member with this public id, if any."""
    return db.session.scalar(select(User).where(User.public_id == public_id[:16]))


def _matching(stmt, q: str):
    q = (q or "").strip()[:100]
    if q:
        stmt = stmt.where(or_(
            User.email.icontains(q, autoescape=True),
            User.name.icontains(q, autoescape=True),
            User.handle.icontains(q, autoescape=True),
        ))
    return stmt.order_by(User.created_at.desc(), User.id.desc())


def search_members(q: str, limit: int = 50) -> list[User]:
    """Find members by email, name or handle (newest first when the query is empty)."""
    return db.session.scalars(_matching(select(User), q).limit(limit)).all()


@dataclass(frozen=True)
class MemberRow:
    """A line of the console's member list: who, and their invitation status (from the rules)."""

    member: User
    restricted: bool
    spammer: bool
    left: int


def member_list(q: str, limit: int = 50) -> list[MemberRow]:
    """``search_members`` with each member's status: restricted, spammer, invitations left (one query)."""
    s = quotas.settings()
    found = db.session.execute(
        _matching(select(User, MemberQuota).outerjoin(MemberQuota, MemberQuota.user_id == User.id), q).limit(limit)
    ).all()
    rows = []
    for user, quota_row in found:
        quota = quotas.snapshot(quota_row, 0)
        rows.append(MemberRow(user, quota.restricted, quota.spammer, rules.invitations_left(quota, s)))
    return rows


#: The console speaks about the member, not to them: its own sentences where the members' pages say "you".
SUPPORT_REASON_TEXT = {
    "not_restricted": "This member isn't restricted.",
    "spammer": "This member is labelled a spammer, so no more invitations can be granted.",
}


def explain(decision: Decision) -> str:
    """Return the console's sentence for a decision (the members' wording where it already names the member)."""
    if decision.reason in SUPPORT_REASON_TEXT:
        text = SUPPORT_REASON_TEXT[decision.reason]
        if decision.next_allowed_at is not None:  # pragma: no cover - these reasons carry no date
            text += f" Possible again from {decision.next_allowed_at:%d %b %Y, %H:%M} UTC."
        return text
    return invitation_services.explain(decision)


@dataclass(frozen=True)
class MemberReport:
    member: User
    summary: quotas.QuotaSummary
    grants: list[Grant]
    tickets: list[SupportTicket]
    audit: list[AuditLog]
    can_grant: Decision
    can_lift: Decision
    can_label: Decision
    can_unlabel: Decision


def member_report(member: User, now: datetime) -> MemberReport:
    """Return everything support sees about one member's invitations."""
    s = quotas.settings()
    summary = quotas.quota_summary(member, now)
    quota = rules.Quota(
        sent_total=summary.sent, extra_allotment=summary.allotment - s.allotment, restricted=summary.restricted,
        restrictions=summary.restrictions, spammer=summary.spammer, last_grant_at=summary.last_grant_at,
    )
    grants = db.session.scalars(
        select(Grant).where(Grant.user_id == member.id).order_by(Grant.created_at.desc()).limit(100)
    ).all()
    tickets = db.session.scalars(
        select(SupportTicket).where(SupportTicket.user_id == member.id)
        .order_by(SupportTicket.created_at.desc()).limit(50)
    ).all()
    audit = db.session.scalars(
        select(AuditLog).where(AuditLog.target_id == member.id).order_by(AuditLog.at.desc(), AuditLog.id.desc())
        .limit(100)
    ).all()
    return MemberReport(
        member, summary, grants, tickets, audit,
        can_grant=rules.can_grant(quota, s.grant_min, now, s),
        can_lift=rules.can_support_lift(quota),
        can_label=rules.can_label(quota),
        can_unlabel=rules.can_unlabel(quota),
    )


@dataclass(frozen=True)
class QueueItem:
    ticket: SupportTicket
    summary: quotas.QuotaSummary


def open_tickets(now: datetime, limit: int = 100) -> list[QueueItem]:
    """Return the queue of open member requests, oldest first."""
    tickets = db.session.scalars(
        select(SupportTicket).where(SupportTicket.status == "open")
        .order_by(SupportTicket.created_at, SupportTicket.id).limit(limit)
    ).all()
    return [QueueItem(t, quotas.quota_summary(t.user, now)) for t in tickets]


def open_ticket_count() -> int:
    """Count open member requests."""
    return db.session.scalar(
        select(func.count()).select_from(SupportTicket).where(SupportTicket.status == "open")
    ) or 0


def grant(actor: User | None, member: User, amount: int, now: datetime) -> Decision:
    """Grant ``amount`` more invitations if the rules allow (bounds, interval, never to a spammer)."""
    s = quotas.settings()
    row = quotas.locked_quota_row(member.id)
    quota = quotas.snapshot(row, 0)
    decision = rules.can_grant(quota, amount, now, s)
    if decision.allowed:
        new = rules.after_grant(quota, amount, now)
        row.extra_allotment = new.extra_allotment
        row.last_grant_at = new.last_grant_at
        db.session.add(Grant(user_id=member.id, amount=amount, granted_by_id=actor.id if actor else None,
                             granted_by=audit.actor_label(_who(actor)), created_at=now))
        _close_tickets(member, "more_invitations", actor, now)
        _audit(actor, "grant", member, f"{amount} invitations (allotment now {rules.allotment(new, s)})", now)
    db.session.commit()
    return decision


def lift(actor: User | None, member: User, now: datetime) -> Decision:
    """Lift the member's restriction (support may lift any of them)."""
    row = quotas.locked_quota_row(member.id)
    quota = quotas.snapshot(row, 0)
    decision = rules.can_support_lift(quota)
    if decision.allowed:
        new = rules.after_lift(quota)
        row.restricted = new.restricted
        row.declines_since_lift = new.declines_since_lift
        row.restricted_at = None
        _close_tickets(member, "lift_restriction", actor, now)
        _audit(actor, "lift", member, f"restriction #{quota.restrictions} lifted by support", now)
    db.session.commit()
    return decision


def set_spammer(actor: User | None, member: User, labelled: bool, now: datetime) -> Decision:
    """Label the member a spammer (no more grants), or remove the label."""
    row = quotas.locked_quota_row(member.id)
    snapshot = quotas.snapshot(row, 0)
    decision = rules.can_label(snapshot) if labelled else rules.can_unlabel(snapshot)
    if decision.allowed:
        row.spammer = labelled
        if labelled:
            _audit(actor, "label_spammer", member, "labelled a spammer by support", now)
        else:
            _audit(actor, "unlabel_spammer", member, "spammer label removed by support", now)
    db.session.commit()
    return decision


def label(actor: User | None, member: User, now: datetime) -> Decision:
    """Label the member a spammer (no more grants)."""
    return set_spammer(actor, member, True, now)


def unlabel(actor: User | None, member: User, now: datetime) -> Decision:
    """Remove the spammer label."""
    return set_spammer(actor, member, False, now)


def refuse_ticket(actor: User | None, ticket_public_id: str, now: datetime) -> Decision | None:
    """Close an open request without acting on it; None when there is no such request."""
    ticket = db.session.scalar(select(SupportTicket).where(SupportTicket.public_id == ticket_public_id[:16]))
    if ticket is None:
        return None
    if ticket.status != "open":
        db.session.rollback()
        return Decision(False, "request_closed")
    ticket.status = "refused"
    ticket.resolved_at = now
    ticket.resolved_by = audit.actor_label(_who(actor))
    _audit(actor, "refuse_request", ticket.user, f"{ticket.kind} request refused", now)
    db.session.commit()
    return Decision(True, "ok")


# --- Mail that could not be delivered ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MailQueueReport:
    """What /admin/mail shows: mails that failed for good (newest first) and how many still wait to be sent."""

    failed: list
    waiting: int


def mail_queue_report() -> MailQueueReport:
    """List the mails that failed for good, and count those still queued."""
    from .. import mailqueue

    return MailQueueReport(failed=mailqueue.failed_mails(), waiting=mailqueue.waiting_count())


def retry_mail(actor: User, mail_id: int, now: datetime) -> bool:
    """Put a failed mail back in the queue (sent again from the start of its back-off); False when it is not a
    failed mail (already retried, sent, or no such id). Audited; the queue takes it after the commit."""
    from .. import mailqueue

    mail = mailqueue.retry(mail_id, now)
    if mail is None:
        db.session.rollback()
        return False
    _audit(actor, "retry_mail", None, f"mail {mail.id} to {mail.to_address}: {mail.subject}"[:500], now)
    db.session.commit()
    return True

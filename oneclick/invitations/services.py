"""Outbound invitations: sending under the quota rules, answering, withdrawing, lifting restrictions.

Every decision is made by ``rules`` from counters read under a lock on the sender's ``member_quotas`` row
(SELECT ... FOR UPDATE on PostgreSQL; SQLite transactions are BEGIN IMMEDIATE, so they serialise anyway).
Two sends from two workers at the same moment therefore see each other's counts and can never overshoot
the allotment or the free daily count. Each public function takes the acting member explicitly, ``now``
from the caller, and commits one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import exists, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from .. import audit, emails
from ..extensions import db
from ..models import Captcha, Connection, Invitation, SupportTicket, User
from ..notifications import services as notifications
from ..webhooks import services as webhooks
from . import captcha as captchas
from . import rules
from .quota import QuotaSummary, locked_quota_row, quota_summary, sent_since, settings, snapshot
from .quota import write as write_quota
from .rules import Decision, Quota, Settings, Status, Target

PER_PAGE = 50

#: What each reason code means, for people.
REASON_TEXT = {
    "ok": "Done.",
    "self_invite": "You can't invite yourself.",
    "already_connected": "You're already connected.",
    "already_pending": "Your earlier invitation is still waiting for an answer. You can resend it from Sent "
    "invitations.",
    "allotment_exhausted": "You have used all of your invitations. You can ask support for more.",
    "relationship_unknown": "You can only invite people you know. Share your one-click link instead: it lets them "
    "decide to connect with you.",
    "relationship_invalid": "Choose how you know them.",
    "email_required": "Enter their email address to send this invitation.",
    "email_mismatch": "That isn't their email address.",
    "captcha_required": "Type the six digits you see (or hear) to send this invitation.",
    "captcha_wrong": "That answer wasn't right; here is a new one.",
    "not_withdrawable": "This invitation can't be withdrawn any more.",
    "not_deletable": "Only withdrawn invitations can be deleted from your list.",
    "not_resendable": "This invitation can't be resent.",
    "resend_too_soon": "You can resend an invitation once a week.",
    "already_answered": "This invitation has already been answered.",
    "not_restricted": "Your account isn't restricted.",
    "support_required": "This isn't your first restriction, so support needs to lift it. Send them a request.",
    "self_lift_available": "You can lift this restriction yourself.",
    "request_open": "Your request is already with support.",
    "allotment_left": "You still have invitations left.",
    "spammer": "This member is labelled a spammer, so no more invitations can be granted.",
    "grant_out_of_bounds": "The amount is outside the allowed range.",
    "grant_too_soon": "This member was granted invitations less than the grant interval ago.",
    "already_labelled": "This member is already labelled a spammer.",
    "not_labelled": "This member isn't labelled a spammer.",
    "not_found": "No such member.",
    "request_closed": "That request is already closed.",
}


def explain(decision: Decision) -> str:
    """Return the sentence for a decision's reason code."""
    text = REASON_TEXT.get(decision.reason, decision.reason)
    if decision.next_allowed_at is not None:
        text += f" Possible again from {decision.next_allowed_at:%d %b %Y, %H:%M} UTC."
    return text


# ---- finding members and what the invite screen needs -------------------------------------------------------


@dataclass(frozen=True)
class MemberResult:
    member: User
    state: str  # "connected", "pending", "invited_before" or "invite"


def _connected(owner_id: int, member: User | None, email: str) -> bool:
    conditions = [Connection.email == email]
    if member is not None:
        conditions.append(Connection.member_id == member.id)
    return db.session.scalar(select(exists().where(Connection.owner_id == owner_id, or_(*conditions)))) or False


def _earlier(sender_id: int, who) -> tuple[bool, datetime | None]:
    """Return (a pending one exists, the latest earlier invitation's date) among the sender's invitations ``who``."""
    rows = db.session.execute(
        select(Invitation.status, func.max(Invitation.created_at))
        .where(Invitation.sender_id == sender_id, *who, Invitation.status != Status.ACCEPTED)
        .group_by(Invitation.status)
    ).all()
    pending = any(status == Status.PENDING for status, _ in rows)
    dates = [at for _, at in rows if at is not None]
    return pending, (max(dates) if dates else None)


def _target(sender: User, member: User) -> Target:
    """Return a member's situation, chosen from the member list, from the sender's side.

    Only invitations the sender also addressed to that member (not ones typed as an address) count, so the
    answer never tells the sender that an address they typed once belongs to this member.
    """
    pending, before = _earlier(sender.id, (Invitation.recipient_id == member.id,
                                           Invitation.addressed_by_email.is_(False)))
    return Target(
        is_self=member.id == sender.id,
        is_connection=_connected(sender.id, member, member.email),
        is_member=True,
        pending_invitation=pending,
        invited_before_at=before,
    )


def _address_target(sender: User, email: str) -> Target:
    """Return a typed address's situation from the sender's side, from what the sender already knows only.

    Whether a member holds the address plays no part: every fact comes from the sender's own connections (whose
    addresses they see) and the invitations they typed to this address, so two addresses can only be answered
    differently when the sender's own history with them differs.
    """
    connected = db.session.scalar(
        select(exists().where(Connection.owner_id == sender.id, Connection.email == email))
    ) or False
    pending, before = _earlier(sender.id, (Invitation.recipient_email == email,
                                           Invitation.addressed_by_email.is_(True)))
    return Target(
        is_self=email == sender.email,
        is_connection=connected,
        is_member=False,
        pending_invitation=pending,
        invited_before_at=before,
    )


def verified_member_by_email(email: str) -> User | None:
    """Return the verified member holding ``email`` (an unverified account is never matched)."""
    return db.session.scalar(select(User).where(User.email == email, User.email_verified_at.is_not(None)))


def search_members(user: User, q: str, limit: int = 20) -> list[MemberResult]:
    """Find activated members by name or handle, each with where the searcher stands with them."""
    q = (q or "").strip()[:100]
    if len(q) < 2:
        return []
    members = db.session.scalars(
        select(User)
        .where(
            User.id != user.id,
            User.email_verified_at.is_not(None),
            or_(User.name.icontains(q, autoescape=True), User.handle.icontains(q, autoescape=True)),
        )
        .order_by(User.name, User.id)
        .limit(limit)
    ).all()
    results = []
    for member in members:
        target = _target(user, member)
        if target.is_connection:
            state = "connected"
        elif target.pending_invitation:
            state = "pending"
        elif target.invited_before_at is not None:
            state = "invited_before"
        else:
            state = "invite"
        results.append(MemberResult(member, state))
    return results


def find_member(public_id: str) -> User | None:
    """Return the activated member with this public id, or None."""
    return db.session.scalar(
        select(User).where(User.public_id == public_id[:16], User.email_verified_at.is_not(None))
    )


@dataclass(frozen=True)
class InviteScreen:
    """What the invite page shows: whether it may offer the form, and which extra fields it needs."""

    decision: Decision
    summary: QuotaSummary
    captcha: Captcha | None


def invite_screen(sender: User, member: User | None, now: datetime, captcha_kind: str | None = None) -> InviteScreen:
    """Decide what the invite screen offers; when a captcha is needed, show the member's live one (or mint it).

    ``captcha_kind`` ("image" or "audio") asks for that kind; None shows the live captcha whatever its kind.
    """
    s = settings()
    summary = quota_summary(sender, now)
    quota = Quota(
        sent_total=summary.sent, extra_allotment=summary.allotment - s.allotment, sent_24h=summary.sent_24h,
        restricted=summary.restricted, restrictions=summary.restrictions, spammer=summary.spammer,
    )
    target = _target(sender, member) if member is not None else Target(is_member=False)
    decision = rules.can_invite(s, quota, target)
    issued = None
    if decision.allowed and decision.needs_captcha:
        issued = captchas.issue(sender.id, now, captcha_kind if captcha_kind in captchas.KINDS else None)
        db.session.commit()
    return InviteScreen(decision, summary, issued)


# ---- sending ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SendResult:
    decision: Decision
    invitation: Invitation | None = None


def _one_line(text: str) -> str:
    return " ".join((text or "").split())


def send_invitation(
    sender: User,
    now: datetime,
    *,
    member: User | None = None,
    email: str | None = None,
    name: str = "",
    how_known: str,
    message: str = "",
    captcha_id: str | None = None,
    captcha_answer: str | None = None,
) -> SendResult:
    """Send one invitation to ``member`` (or to ``email``) if the rules allow it now; mail the recipient.

    The sender's quota row is locked first, so concurrent sends are decided one after the other.
    """
    s = settings()
    email = (email or "").strip().lower() or None
    by_address = member is None
    if by_address and email is None:
        return SendResult(Decision(False, "email_required", needs_email=True))

    row = locked_quota_row(sender.id)
    sent_24h = sent_since(sender.id, now - timedelta(days=1), s.captcha_after_per_day)
    quota = snapshot(row, sent_24h)
    if by_address:
        # Typed as an address: decided on what the sender knows, shown as they typed it. It still reaches the
        # verified member holding the address (an unverified account only once its owner verifies it).
        recipient = verified_member_by_email(email)
        recipient_email, shown_name = email, _one_line(name)[:100]
        target = _address_target(sender, email)
    else:
        recipient, recipient_email, shown_name = member, member.email, member.name
        target = _target(sender, member)
    facts = dict(relationship=how_known, email_given=email is not None, email_matches=email == recipient_email)
    decision = rules.can_invite(s, quota, target, **facts)
    if decision.reason == "captcha_required" and captcha_id and captchas.has_answer(captcha_answer):
        if captchas.consume(sender.id, captcha_id, captcha_answer, now):
            decision = rules.can_invite(s, quota, target, captcha_solved=True, **facts)
        else:
            decision = Decision(False, "captcha_wrong", needs_email=decision.needs_email, needs_captcha=True)
    if not decision.allowed:
        db.session.commit()  # a captcha, once tried, stays used; nothing else changed
        return SendResult(decision)

    invitation = Invitation(
        sender_id=sender.id,
        recipient_id=recipient.id if recipient is not None else None,
        recipient_email=recipient_email,
        recipient_name=shown_name,
        addressed_by_email=by_address,
        how_known=how_known,
        message=(message or "").strip()[: s.message_max],
        status=Status.PENDING,
        created_at=now,
    )
    db.session.add(invitation)
    write_quota(row, rules.after_send(quota))
    _mail_invitation(invitation, sender)  # queued in the transaction that spends the invitation
    db.session.commit()
    return SendResult(decision, invitation)


def _mail_invitation(invitation: Invitation, sender: User) -> None:
    emails.send_invitation(invitation.recipient_email, sender.name, invitation.recipient_name, invitation.message,
                           member=invitation.recipient_id is not None)


def claim_invitations(user: User) -> int:
    """Attach invitations sent to ``user``'s address before they joined, once they verified it (caller commits)."""
    if user.email_verified_at is None:
        return 0  # an unverified account is never matched: whoever registered may not own the address
    result = db.session.execute(
        update(Invitation)
        .where(Invitation.recipient_email == user.email, Invitation.recipient_id.is_(None))
        .values(recipient_id=user.id)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


# ---- the sender's list --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SentRow:
    invitation: Invitation
    stale: bool
    actions: frozenset[str]
    label: str  # what the sender may know: never whether (or how) it was declined
    resend_at: datetime | None = None  # a pending invitation that can't be resent yet: when it can (no button)


def _sender_label(inv: Invitation, stale: bool) -> str:
    if inv.status == Status.ACCEPTED:
        return "Accepted"
    if inv.status == Status.WITHDRAWN:
        return "Withdrawn"
    return "Stale" if stale else "Sent"


@dataclass(frozen=True)
class SentPage:
    rows: list[SentRow]
    stale_count: int
    page: int
    has_next: bool


def sent_invitations(
    user: User, now: datetime, q: str = "", page: int = 1, status: str | None = None
) -> SentPage:
    """List the member's sent invitations, newest first, optionally by recipient name and status, 50 a page."""
    s = settings()
    page = max(1, min(int(page or 1), 10_000))
    stmt = select(Invitation).where(Invitation.sender_id == user.id, Invitation.deleted_by_sender.is_(False))
    if status is not None:
        stmt = stmt.where(Invitation.status == status)  # in SQL, so every page is full
    q = (q or "").strip()[:100]
    if q:
        stmt = stmt.where(
            or_(Invitation.recipient_name.icontains(q, autoescape=True),
                # Only addresses the sender typed: a member's address must not find their invitation.
                Invitation.addressed_by_email.is_(True) & Invitation.recipient_email.icontains(q, autoescape=True))
        )
    found = db.session.scalars(
        stmt.order_by(Invitation.created_at.desc(), Invitation.id.desc())
        .offset((page - 1) * PER_PAGE)
        .limit(PER_PAGE + 1)
    ).all()
    rows = []
    for inv in found[:PER_PAGE]:
        stale = rules.is_stale(inv.status, inv.created_at, now, s)
        resend_at = rules.resend_possible_at(inv.status, inv.created_at, inv.resent_at, s)
        if resend_at is not None and now < resend_at:  # shown to the minute, rounded up: never too early
            resend_at = (resend_at + timedelta(seconds=59)).replace(second=0, microsecond=0)
        else:
            resend_at = None
        rows.append(SentRow(inv, stale, rules.sender_actions(inv.status, inv.deleted_by_sender),
                            _sender_label(inv, stale), resend_at))
    stale_count = db.session.scalar(
        select(func.count()).select_from(Invitation).where(*_stale_where(user, now, s))
    )
    return SentPage(rows, stale_count or 0, page, len(found) > PER_PAGE)


def _stale_where(user: User, now: datetime, s: Settings):
    return (
        Invitation.sender_id == user.id,
        Invitation.status == Status.PENDING,
        Invitation.created_at < now - s.stale_after,
    )


def _own_sent(user: User, public_id: str) -> Invitation | None:
    return db.session.scalar(
        select(Invitation).where(Invitation.public_id == public_id[:16], Invitation.sender_id == user.id)
    )


def _transition(inv: Invitation, from_statuses, **values) -> bool:
    """Move ``inv`` on only if it is still in one of ``from_statuses`` (a conditional UPDATE)."""
    result = db.session.execute(
        update(Invitation)
        .where(Invitation.id == inv.id, Invitation.status.in_([str(x) for x in from_statuses]))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def withdraw(user: User, public_id: str, now: datetime) -> Decision | None:
    """Withdraw one pending or archived invitation (never credited back); None when it isn't theirs."""
    inv = _own_sent(user, public_id)
    if inv is None:
        return None
    decision = rules.can_withdraw(inv.status)
    if decision.allowed and not _transition(inv, (Status.PENDING, Status.IGNORED), status=Status.WITHDRAWN,
                                             withdrawn_at=now):
        decision = Decision(False, "not_withdrawable")
    db.session.commit()
    return decision


def withdraw_stale(user: User, now: datetime) -> int:
    """Withdraw every stale pending invitation of the member at once; return how many."""
    result = db.session.execute(
        update(Invitation)
        .where(*_stale_where(user, now, settings()))
        .values(status=Status.WITHDRAWN, withdrawn_at=now)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return result.rowcount or 0


def delete_withdrawn(user: User, public_id: str) -> Decision | None:
    """Remove a withdrawn invitation from the sender's list (it still counts); None when it isn't theirs."""
    inv = _own_sent(user, public_id)
    if inv is None:
        return None
    decision = rules.can_delete(inv.status, inv.deleted_by_sender)
    if decision.allowed:
        inv.deleted_by_sender = True
    db.session.commit()
    return decision


def resend(user: User, public_id: str, now: datetime) -> Decision | None:
    """Send a pending invitation's email again (at most once per interval; no invitation used)."""
    inv = _own_sent(user, public_id)
    if inv is None:
        return None
    decision = rules.can_resend(inv.status, inv.created_at, inv.resent_at, now, settings())
    if decision.allowed:
        same = Invitation.resent_at.is_(None) if inv.resent_at is None else Invitation.resent_at == inv.resent_at
        result = db.session.execute(
            update(Invitation)
            .where(Invitation.id == inv.id, Invitation.status == Status.PENDING, same)
            .values(resent_at=now)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:
            decision = Decision(False, "resend_too_soon")
    if decision.allowed:
        db.session.refresh(inv)
        _mail_invitation(inv, user)  # queued in the transaction that moves resent_at
    db.session.commit()
    return decision


# ---- the recipient's list -------------------------------------------------------------------------------------


def received_invitations(user: User, archived: bool = False, limit: int = 200) -> list[Invitation]:
    """List invitations waiting for the member (or the ones they archived), newest first."""
    status = Status.IGNORED if archived else Status.PENDING
    return db.session.scalars(
        select(Invitation)
        .where(Invitation.recipient_id == user.id, Invitation.status == status)
        .order_by(Invitation.created_at.desc(), Invitation.id.desc())
        .limit(limit)
    ).all()


def pending_received_count(user: User) -> int:
    """Count invitations waiting for the member's answer."""
    return db.session.scalar(
        select(func.count()).select_from(Invitation)
        .where(Invitation.recipient_id == user.id, Invitation.status == Status.PENDING)
    ) or 0


def _connect_one_way(owner: User, other: User, now: datetime) -> None:
    already = db.session.scalar(
        select(exists().where(
            Connection.owner_id == owner.id,
            or_(Connection.member_id == other.id, Connection.email == other.email),
        ))
    )
    if already:
        return
    try:
        with db.session.begin_nested():
            db.session.add(Connection(owner_id=owner.id, member_id=other.id, email=other.email, name=other.name,
                                      source="invitation", created_at=now))
    except IntegrityError:
        pass  # connected meanwhile through another path: one row is enough


def respond(user: User, public_id: str, action: str, now: datetime) -> Decision | None:
    """Accept, ignore (archive), "I don't know" or report an invitation; None when it isn't theirs.

    "I don't know" and spam count the same against the sender; five since their last lift restrict them.
    """
    inv = db.session.scalar(
        select(Invitation).where(Invitation.public_id == public_id[:16], Invitation.recipient_id == user.id)
    )
    if inv is None:
        return None
    decision = rules.can_respond(inv.status, action)
    if not decision.allowed:
        db.session.rollback()
        return decision
    answerable = (Status.PENDING, Status.IGNORED)
    if action == rules.RecipientAction.IGNORE:
        moved = _transition(inv, (Status.PENDING,), status=Status.IGNORED, answered_at=now)
    elif action == rules.RecipientAction.ACCEPT:
        moved = _transition(inv, answerable, status=Status.ACCEPTED, answered_at=now)
        if moved:
            sender = db.session.get(User, inv.sender_id)
            _connect_one_way(sender, user, now)
            _connect_one_way(user, sender, now)
            # The sender hears of it as their sent list names the recipient; other answers tell them nothing.
            notifications.invitation_accepted(sender.id, inv.id, inv.recipient_name or inv.recipient_email, now)
            webhooks.emit(db.session, sender.id, "invitation.answered", {"invitation": {
                "id": inv.public_id, "recipient": inv.recipient_name or inv.recipient_email, "answer": "accepted"}})
            # Any other open invitation between the two (the other way round, or the same way addressed once
            # from the member list and once by address) is answered by this acceptance too.
            db.session.execute(
                update(Invitation)
                .where(or_((Invitation.sender_id == user.id) & (Invitation.recipient_id == sender.id),
                           (Invitation.sender_id == sender.id) & (Invitation.recipient_id == user.id)),
                       Invitation.id != inv.id,
                       Invitation.status.in_([str(x) for x in answerable]))
                .values(status=Status.ACCEPTED, answered_at=now)
                .execution_options(synchronize_session=False)
            )
    else:
        moved = _transition(inv, answerable, status=Status.DECLINED, decline_kind=action, answered_at=now)
        if moved:
            _count_decline(inv.sender_id, now)
    if not moved:
        db.session.rollback()
        return Decision(False, "already_answered")
    db.session.commit()
    return decision


def _count_decline(sender_id: int, now: datetime) -> None:
    s = settings()
    row = locked_quota_row(sender_id)
    outcome = rules.after_decline(snapshot(row, 0), s)
    quota = outcome.quota
    row.declines_since_lift = quota.declines_since_lift
    row.declines_total = quota.declines_total
    row.restricted = quota.restricted
    row.restrictions = quota.restrictions
    row.spammer = quota.spammer
    sender = db.session.get(User, sender_id)
    if outcome.restricted_now:
        row.restricted_at = now
        audit.record(audit.SYSTEM, "restricted", sender, f"{quota.declines_since_lift} declines since the last lift "
                     f"(restriction #{quota.restrictions})", now)
    if outcome.labelled_spammer_now:
        audit.record(audit.SYSTEM, "label_spammer", sender, f"{quota.declines_total} declines in total", now)


# ---- restriction and requests to support ----------------------------------------------------------------------


def self_lift(user: User, now: datetime) -> Decision:
    """Lift the member's own restriction when it is their first one (rule 8)."""
    row = locked_quota_row(user.id)
    quota = snapshot(row, 0)
    decision = rules.can_self_lift(quota, settings())
    if decision.allowed:
        write_quota(row, rules.after_lift(quota))
        row.restricted_at = None
        audit.record(user, "lift_self", user, f"restriction #{quota.restrictions} lifted by the member", now)
    db.session.commit()
    return decision


def _open_ticket(user_id: int, kind: str) -> bool:
    return db.session.scalar(select(exists().where(
        SupportTicket.user_id == user_id, SupportTicket.kind == kind, SupportTicket.status == "open"
    ))) or False


def request_support(user: User, kind: str, message: str, now: datetime) -> Decision:
    """File a request to support: lifting a later restriction, or more invitations once used up."""
    s = settings()
    row = locked_quota_row(user.id)
    quota = snapshot(row, 0)
    is_open = _open_ticket(user.id, kind)
    if kind == "lift_restriction":
        decision = rules.can_request_lift(quota, s, request_open=is_open)
    elif kind == "more_invitations":
        decision = rules.can_request_more(quota, s, request_open=is_open)
    else:
        raise ValueError(f"unknown request kind {kind!r}")
    if decision.allowed:
        db.session.add(SupportTicket(user_id=user.id, kind=kind, message=message.strip()[:1000], created_at=now))
        audit.record(user, f"request_{kind}", user, message.strip()[:200], now)
    db.session.commit()
    return decision

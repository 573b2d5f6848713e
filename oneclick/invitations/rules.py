"""The classic invitation rules, as pure functions: stdlib only, ``now`` passed in, a Decision out.

Nothing here touches the database, the request or the clock. The services gather the facts (counters read
under a row lock, the recipient's situation), ask these functions, and act on the answer. Numbers come from
``Settings``, built from the app config (``ONECLICK_*`` settings).

Reason codes are stable strings; ``services.REASON_TEXT`` turns them into sentences for people.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum


class Status(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    IGNORED = "ignored"  # archived by the recipient: no penalty for the sender
    DECLINED = "declined"  # "I don't know <name>" or spam: identical in effect
    WITHDRAWN = "withdrawn"


class DeclineKind(StrEnum):
    IDK = "idk"
    SPAM = "spam"


class Relationship(StrEnum):
    COLLEAGUE = "colleague"
    CLASSMATE = "classmate"
    BUSINESS = "business"
    FRIEND = "friend"
    OTHER = "other"
    DONT_KNOW = "dont_know"


RELATIONSHIPS = frozenset(r.value for r in Relationship)

RELATIONSHIP_LABELS = {
    Relationship.COLLEAGUE: "Colleague",
    Relationship.CLASSMATE: "Classmate",
    Relationship.BUSINESS: "We've done business together",
    Relationship.FRIEND: "Friend",
    Relationship.OTHER: "Other",
    Relationship.DONT_KNOW: "I don't know {name}",
}


class SenderAction(StrEnum):
    WITHDRAW = "withdraw"
    RESEND = "resend"
    DELETE = "delete"


class RecipientAction(StrEnum):
    ACCEPT = "accept"
    IGNORE = "ignore"
    IDK = "idk"
    SPAM = "spam"


@dataclass(frozen=True)
class Settings:
    """Every number the rules use; defaults are the issue's."""

    allotment: int = 3000
    captcha_after_per_day: int = 100
    grant_min: int = 500
    grant_max: int = 1000
    grant_interval: timedelta = timedelta(days=30)
    stale_after: timedelta = timedelta(days=7)
    restrict_after_declines: int = 5
    spammer_after_declines: int = 15
    self_lifts: int = 1
    resend_interval: timedelta = timedelta(days=7)
    message_max: int = 300

    @classmethod
    def from_config(cls, config: Mapping) -> Settings:
        """Build the settings from a Flask config mapping."""
        return cls(
            allotment=int(config["INVITE_ALLOTMENT"]),
            captcha_after_per_day=int(config["CAPTCHA_AFTER_PER_DAY"]),
            grant_min=int(config["GRANT_MIN"]),
            grant_max=int(config["GRANT_MAX"]),
            grant_interval=timedelta(days=float(config["GRANT_INTERVAL_DAYS"])),
            stale_after=timedelta(days=float(config["STALE_AFTER_DAYS"])),
            restrict_after_declines=int(config["RESTRICT_AFTER_DECLINES"]),
            spammer_after_declines=int(config["SPAMMER_AFTER_DECLINES"]),
            self_lifts=int(config["SELF_LIFTS"]),
            resend_interval=timedelta(days=float(config["RESEND_INTERVAL_DAYS"])),
            message_max=int(config["INVITE_MESSAGE_MAX"]),
        )


@dataclass(frozen=True)
class Quota:
    """A member's counters, as read (under a lock) from their quota row plus the rolling 24 h count."""

    sent_total: int = 0
    extra_allotment: int = 0
    sent_24h: int = 0
    declines_since_lift: int = 0
    declines_total: int = 0
    restricted: bool = False
    restrictions: int = 0  # how many times the account has been restricted so far
    spammer: bool = False
    last_grant_at: datetime | None = None


@dataclass(frozen=True)
class Target:
    """The recipient's situation from the sender's side."""

    is_self: bool = False
    is_connection: bool = False
    is_member: bool = True
    pending_invitation: bool = False  # a pending invitation to them already exists
    invited_before_at: datetime | None = None  # latest earlier invitation (any status but accepted)


@dataclass(frozen=True)
class Decision:
    """The answer: allowed or not, a stable reason code, and what the form must ask for next."""

    allowed: bool
    reason: str
    needs_email: bool = False
    needs_captcha: bool = False
    invited_before_at: datetime | None = None
    next_allowed_at: datetime | None = None

    def __bool__(self) -> bool:
        return self.allowed


OK = Decision(True, "ok")


def allotment(quota: Quota, s: Settings) -> int:
    """Return the member's total allotment: the standard one plus every grant."""
    return s.allotment + quota.extra_allotment


def invitations_left(quota: Quota, s: Settings) -> int:
    """Return how many invitations the member can still send."""
    return max(0, allotment(quota, s) - quota.sent_total)


def email_required(quota: Quota, target: Target) -> bool:
    """Return True when the form must ask for the recipient's email address (rules 3 and 7)."""
    return quota.restricted or target.invited_before_at is not None or not target.is_member


def captcha_required(quota: Quota, s: Settings) -> bool:
    """Return True when the next invitation is beyond the free daily count (rule 2)."""
    return quota.sent_24h >= s.captcha_after_per_day


def can_invite(
    s: Settings,
    quota: Quota,
    target: Target,
    *,
    relationship: str | None = None,
    email_given: bool = False,
    email_matches: bool = False,
    captcha_solved: bool = False,
) -> Decision:
    """Decide whether this invitation may be sent now (rules 1, 2, 3, 7 and 10).

    ``relationship=None`` asks whether the invite screen may be shown at all; ``email_given``/``email_matches``
    say whether the sender typed an address and whether it is the recipient's.
    """
    if target.is_self:
        return Decision(False, "self_invite")
    if target.is_connection:
        return Decision(False, "already_connected")
    if target.pending_invitation:
        return Decision(False, "already_pending", invited_before_at=target.invited_before_at)
    if quota.sent_total >= allotment(quota, s):
        return Decision(False, "allotment_exhausted")
    needs_email = email_required(quota, target)
    needs_captcha = captcha_required(quota, s)
    if relationship == Relationship.DONT_KNOW:
        return Decision(False, "relationship_unknown", needs_email=needs_email, needs_captcha=needs_captcha)
    if relationship is None:  # only asking what the screen needs
        return Decision(
            True, "ok", needs_email=needs_email, needs_captcha=needs_captcha, invited_before_at=target.invited_before_at
        )
    if relationship not in RELATIONSHIPS:
        return Decision(False, "relationship_invalid", needs_email=needs_email, needs_captcha=needs_captcha)
    if needs_email and not email_given:
        return Decision(
            False, "email_required", needs_email=True, needs_captcha=needs_captcha,
            invited_before_at=target.invited_before_at,
        )
    if needs_email and not email_matches:
        return Decision(
            False, "email_mismatch", needs_email=True, needs_captcha=needs_captcha,
            invited_before_at=target.invited_before_at,
        )
    if needs_captcha and not captcha_solved:
        return Decision(False, "captcha_required", needs_email=needs_email, needs_captcha=True)
    return Decision(True, "ok", needs_email=needs_email, needs_captcha=needs_captcha)


def after_send(quota: Quota) -> Quota:
    """Return the counters after one invitation was sent (withdrawing never gives it back: rule 4)."""
    return replace(quota, sent_total=quota.sent_total + 1, sent_24h=quota.sent_24h + 1)


@dataclass(frozen=True)
class DeclineOutcome:
    quota: Quota
    restricted_now: bool  # this decline restricted the account
    labelled_spammer_now: bool  # this decline labelled the member a spammer


def after_decline(quota: Quota, s: Settings) -> DeclineOutcome:
    """Count one "I don't know"/spam decline against the sender (rule 7); both kinds count the same."""
    since = quota.declines_since_lift + 1
    total = quota.declines_total + 1
    restrict = not quota.restricted and since >= s.restrict_after_declines
    # Labelled when the total crosses the threshold; once support unlabels, later declines don't relabel.
    label = not quota.spammer and quota.declines_total < s.spammer_after_declines <= total
    new = replace(
        quota,
        declines_since_lift=since,
        declines_total=total,
        restricted=quota.restricted or restrict,
        restrictions=quota.restrictions + (1 if restrict else 0),
        spammer=quota.spammer or label,
    )
    return DeclineOutcome(new, restrict, label)


def can_self_lift(quota: Quota, s: Settings) -> Decision:
    """Decide whether the member may lift their own restriction (rule 8: only the first ones)."""
    if not quota.restricted:
        return Decision(False, "not_restricted")
    if quota.restrictions > s.self_lifts:
        return Decision(False, "support_required")
    return OK


def can_support_lift(quota: Quota) -> Decision:
    """Decide whether support may lift the member's restriction (always, while there is one)."""
    if not quota.restricted:
        return Decision(False, "not_restricted")
    return OK


def can_request_lift(quota: Quota, s: Settings, *, request_open: bool) -> Decision:
    """Decide whether the member may ask support to lift a restriction."""
    if not quota.restricted:
        return Decision(False, "not_restricted")
    if quota.restrictions <= s.self_lifts:
        return Decision(False, "self_lift_available")
    if request_open:
        return Decision(False, "request_open")
    return OK


def after_lift(quota: Quota) -> Quota:
    """Return the counters after a lift: unrestricted, declines counted afresh from now on."""
    return replace(quota, restricted=False, declines_since_lift=0)


def can_request_more(quota: Quota, s: Settings, *, request_open: bool) -> Decision:
    """Decide whether the member may ask support for more invitations (only once the allotment is used up)."""
    if invitations_left(quota, s) > 0:
        return Decision(False, "allotment_left")
    if request_open:
        return Decision(False, "request_open")
    return OK


def lift_path(quota: Quota, s: Settings, *, request_open: bool) -> Decision:
    """How a restriction can be lifted, for the restriction page: by the member ("self_lift_available",
    allowed), by a request to support (allowed, "ok"), already asked ("request_open") or "not_restricted"."""
    if can_self_lift(quota, s).allowed:
        return Decision(True, "self_lift_available")
    return can_request_lift(quota, s, request_open=request_open)


def more_invitations_path(quota: Quota, s: Settings, *, request_open: bool) -> Decision:
    """What the meters and the "more invitations" page offer: an open request first ("request_open"), then
    ``can_request_more`` ("allotment_left" while some are left, else allowed)."""
    if request_open:
        return Decision(False, "request_open")
    return can_request_more(quota, s, request_open=False)


def can_grant(quota: Quota, amount: int, now: datetime, s: Settings) -> Decision:
    """Decide whether support may grant ``amount`` more invitations now (rule 5)."""
    if quota.spammer:
        return Decision(False, "spammer")
    if not s.grant_min <= amount <= s.grant_max:
        return Decision(False, "grant_out_of_bounds")
    if quota.last_grant_at is not None and now < quota.last_grant_at + s.grant_interval:
        return Decision(False, "grant_too_soon", next_allowed_at=quota.last_grant_at + s.grant_interval)
    return OK


def after_grant(quota: Quota, amount: int, now: datetime) -> Quota:
    """Return the counters after a grant."""
    return replace(quota, extra_allotment=quota.extra_allotment + amount, last_grant_at=now)


def can_label(quota: Quota) -> Decision:
    """Decide whether support may label the member a spammer."""
    return Decision(False, "already_labelled") if quota.spammer else OK


def can_unlabel(quota: Quota) -> Decision:
    """Decide whether support may remove the spammer label."""
    return OK if quota.spammer else Decision(False, "not_labelled")


def is_stale(status: str, created_at: datetime, now: datetime, s: Settings) -> bool:
    """Return True for a pending invitation older than the stale age (rule 6)."""
    return status == Status.PENDING and now - created_at > s.stale_after


def sender_actions(status: str, deleted: bool = False) -> frozenset[SenderAction]:
    """Return the buttons the sender sees for an invitation in ``status`` (rule 9)."""
    if status == Status.PENDING:
        return frozenset({SenderAction.WITHDRAW, SenderAction.RESEND})
    if status == Status.IGNORED:
        return frozenset({SenderAction.WITHDRAW})
    if status == Status.WITHDRAWN and not deleted:
        return frozenset({SenderAction.DELETE})
    return frozenset()  # declined (idk/spam), accepted, or a withdrawn one already deleted


def can_withdraw(status: str) -> Decision:
    """Decide whether the sender may withdraw (rule 4: pending or archived ones)."""
    return OK if SenderAction.WITHDRAW in sender_actions(status) else Decision(False, "not_withdrawable")


def can_delete(status: str, deleted: bool) -> Decision:
    """Decide whether the sender may delete the invitation from their list (withdrawn ones only)."""
    return OK if SenderAction.DELETE in sender_actions(status, deleted) else Decision(False, "not_deletable")


def resend_possible_at(status: str, created_at: datetime, resent_at: datetime | None, s: Settings) -> datetime | None:
    """Return when the sender may resend (one resend interval after the last send), or None when never."""
    if SenderAction.RESEND not in sender_actions(status):
        return None
    return (resent_at or created_at) + s.resend_interval


def can_resend(status: str, created_at: datetime, resent_at: datetime | None, now: datetime, s: Settings) -> Decision:
    """Decide whether the sender may resend: pending only, once per resend interval; costs no invitation."""
    possible_at = resend_possible_at(status, created_at, resent_at, s)
    if possible_at is None:
        return Decision(False, "not_resendable")
    if now < possible_at:
        return Decision(False, "resend_too_soon", next_allowed_at=possible_at)
    return OK


def relationship_label(value: str | None, name: str) -> str | None:
    """Return how the sender said they know the recipient, as the invite form offered it, or None."""
    try:
        return RELATIONSHIP_LABELS[Relationship(value)].format(name=name)
    except ValueError:
        return None


def recipient_actions(status: str) -> frozenset[RecipientAction]:
    """Return the buttons the recipient sees: pending and archived invitations can still be answered."""
    if status == Status.PENDING:
        return frozenset(RecipientAction)
    if status == Status.IGNORED:
        return frozenset({RecipientAction.ACCEPT, RecipientAction.IDK, RecipientAction.SPAM})
    return frozenset()


def can_respond(status: str, action: str) -> Decision:
    """Decide whether the recipient may take ``action`` on an invitation in ``status``."""
    return OK if action in recipient_actions(status) else Decision(False, "already_answered")

"""Retention of guests' data, as pure functions: stdlib only, ``now`` passed in, a Decision out.

A guest is whoever sent a request without an account (``requester_id`` is null). What a guest sent is kept
``days`` (GUEST_RETENTION_DAYS) after it last mattered, then:

- a declined request is erased (``decided_at`` is when it stopped mattering; while it exists the guest keeps
  seeing "pending", so after it is gone they may ask again; a block stays the owner's and declines them again);
- an unconfirmed request (kept from before the double opt-in) that is not accepted, and a confirmation nobody
  used or that was used, is erased (``created_at`` / ``sent_at``);
- an accepted request is trimmed to what the owner's connection needs: who (name, email), when, through which
  link, that the address was confirmed (the proof that lets the address's later account take the connection
  over); the note and the details the guest typed for the card are dropped (the connection keeps its own copy
  of what was shared, until either side removes it).

A guest who withdraws a pending request erases it at once: there is no "withdrawn" request to keep.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True, slots=True)
class Decision:
    """What to do with one stored row: ``action`` is "keep", "erase" or "trim"; ``reason`` a stable code."""

    action: str
    reason: str


KEEP_ACCOUNT = Decision("keep", "member")
KEEP_RECENT = Decision("keep", "recent")
KEEP_PENDING = Decision("keep", "pending")
KEEP_TRIMMED = Decision("keep", "trimmed")


def cutoff(now: datetime, days: int) -> datetime:
    """Return the moment before which a guest's data has been kept long enough."""
    if days < 1:
        raise ValueError("GUEST_RETENTION_DAYS must be at least 1")
    return now - timedelta(days=days)


@dataclass(frozen=True, slots=True)
class RequestFacts:
    """What the retention rule needs about one connection request."""

    member: bool  # sent by a member (requester_id set): not a guest's data, never touched here
    status: str  # "pending", "accepted" or "declined"
    confirmed: bool  # the sender proved the address (double opt-in)
    created_at: datetime
    decided_at: datetime | None
    trimmed: bool  # nothing left to trim (empty note, no typed details)


def request_fate(facts: RequestFacts, now: datetime, days: int) -> Decision:
    """Decide what happens to one request after ``days`` of retention."""
    if facts.member:
        return KEEP_ACCOUNT
    limit = cutoff(now, days)
    if facts.status == "declined":
        when = facts.decided_at or facts.created_at
        return Decision("erase", "declined") if when < limit else KEEP_RECENT
    if facts.status == "accepted":
        if facts.trimmed:
            return KEEP_TRIMMED
        when = facts.decided_at or facts.created_at
        return Decision("trim", "accepted") if when < limit else KEEP_RECENT
    if not facts.confirmed:
        return Decision("erase", "unconfirmed") if facts.created_at < limit else KEEP_RECENT
    return KEEP_PENDING  # a confirmed pending request waits for its owner (the guest may withdraw it)


def confirmation_fate(sent_at: datetime, now: datetime, days: int) -> Decision:
    """Decide what happens to a guest confirmation (used or not) after ``days`` of retention."""
    return Decision("erase", "confirmation") if sent_at < cutoff(now, days) else KEEP_RECENT

"""The inbound request rules, as pure functions: stdlib only, ``now`` passed in, a Decision out.

Nothing here touches the database, the request or the clock. The services gather the facts about one request
(under the link's row lock, see ``services.send_request`` and ``services.confirm_guest_request``), ask these
functions, and act on the answer. Reason codes are the outcomes ``services.SendResult`` reports.

A block is never revealed: a blocked sender's request is allowed like any other and only ``place`` stores it
declined, unannounced; whoever sent it is told "sent".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Decision:
    """The answer: allowed or not, and a stable reason code ("ok" when allowed)."""

    allowed: bool
    reason: str


OK = Decision(True, "ok")


@dataclass(frozen=True, slots=True)
class Limits:
    """The numbers the rules use, from the app config."""

    daily_cap_per_link: int = 500

    @classmethod
    def from_config(cls, config: Mapping) -> Limits:
        """Build the limits from a Flask config mapping."""
        return cls(daily_cap_per_link=int(config["REQUEST_DAILY_CAP_PER_LINK"]))


@dataclass(frozen=True, slots=True)
class Facts:
    """What the service read about one request through an open link, under the link's row lock."""

    own_link: bool = False  # the sender is the link's owner
    connected: bool = False  # the owner is connected with the sender's address already
    open_request: bool = False  # a pending or declined request from this address to this owner exists
    sent_today: int = 0  # requests through this link since ``day_start(now)``
    blocked: bool = False  # the owner blocked the sender's address
    auto_accept: bool = False  # the link accepts requests by itself
    notify_instant: bool = False  # the owner wants a mail for each new request


@dataclass(frozen=True, slots=True)
class Placement:
    """How an allowed request is stored and announced."""

    status: str  # "pending", "accepted" (auto-accept) or "declined" (a blocked sender)
    outcome: str  # what the sender is told: "connected" (auto-accept) or "sent"
    connect: bool  # connect the two at once
    notify: bool  # mail the owner now


def day_start(now: datetime) -> datetime:
    """Return the start of ``now``'s day (UTC): the daily cap counts requests from then on."""
    return now.replace(hour=0, minute=0, second=0, microsecond=0)


def can_send(facts: Facts, limits: Limits) -> Decision:
    """Decide whether a request may be placed: never to oneself, once per (owner, sender), within the cap.

    A declined request counts as open: declining is silent, so the sender keeps seeing "pending" and cannot ask
    again and again.
    """
    if facts.own_link:
        return Decision(False, "own_link")
    if facts.connected:
        return Decision(False, "already_connected")
    if facts.open_request:
        return Decision(False, "already_pending")
    if facts.sent_today >= limits.daily_cap_per_link:
        return Decision(False, "daily_cap")
    return OK


def place(facts: Facts) -> Placement:
    """Return how an allowed request is stored: a blocked sender's lands declined, unannounced, and is told
    "sent"; an auto-accept link connects at once; the owner is mailed now when they asked for instant mails."""
    if facts.blocked:
        return Placement("declined", "sent", connect=False, notify=False)
    if facts.auto_accept:
        return Placement("accepted", "connected", connect=True, notify=facts.notify_instant)
    return Placement("pending", "sent", connect=False, notify=facts.notify_instant)


def can_start_guest_request(email: str, owner_email: str) -> Decision:
    """Decide whether a guest form may mail a confirmation link: never for the owner's own address (compared
    without regard to case). Every other address gets the same answer, whatever it did before."""
    if email.strip().lower() == owner_email.strip().lower():
        return Decision(False, "own_address")
    return OK

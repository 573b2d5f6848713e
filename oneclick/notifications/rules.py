"""When a link deserves a warning, and what it says: pure functions (stdlib only, ``now`` passed in).

A link is warned about before it stops working: when less than ``LINK_WARN_EXPIRY_HOURS`` are left before it
expires ("expiring"), and when at least ``LINK_WARN_REQUESTS_PERCENT`` of its request limit is used ("requests").
Each warning is mailed once per link and kind; ``fired_for`` names what it was sent for, so a new expiry or a
new limit re-arms it and nothing else does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

EXPIRING, REQUESTS = "expiring", "requests"
KINDS = (EXPIRING, REQUESTS)


@dataclass(frozen=True, slots=True)
class Thresholds:
    """The two settings, from the app config."""

    expiry_hours: float = 24
    requests_percent: int = 80

    @classmethod
    def from_config(cls, config: Mapping) -> Thresholds:
        """Build the thresholds from a Flask config mapping."""
        return cls(float(config["LINK_WARN_EXPIRY_HOURS"]), int(config["LINK_WARN_REQUESTS_PERCENT"]))


@dataclass(frozen=True, slots=True)
class Alert:
    """One warning about a link: its kind and the sentence shown ("Expires in 20 hours", "8 of 10 requests used")."""

    kind: str
    text: str


def expiry_due(expires_at: datetime | None, now: datetime, t: Thresholds) -> bool:
    """Return True when the link expires later than ``now`` but within the warning window."""
    return expires_at is not None and now < expires_at <= now + timedelta(hours=t.expiry_hours)


def requests_threshold(max_requests: int, t: Thresholds) -> int:
    """Return the request count from which a limit of ``max_requests`` is warned about (at least 1)."""
    return max(1, -(-max_requests * t.requests_percent // 100))


def requests_due(used: int, max_requests: int | None, t: Thresholds) -> bool:
    """Return True when ``used`` requests reach the warning share of the link's limit (a full link included)."""
    return max_requests is not None and max_requests > 0 and used >= requests_threshold(max_requests, t)


def expires_in(expires_at: datetime, now: datetime) -> str:
    """Return "Expires in 20 hours" (minutes under an hour, days from two days on)."""
    left = expires_at - now
    if left <= timedelta(minutes=1):
        return "Expires in less than a minute"
    if left < timedelta(hours=1):
        n = int(left.total_seconds() // 60)
        return f"Expires in {n} minute{'s' if n != 1 else ''}"
    if left < timedelta(hours=48):
        n = int(left.total_seconds() // 3600)
        return f"Expires in {n} hour{'s' if n != 1 else ''}"
    n = left.days
    return f"Expires in {n} days"


def requests_used(used: int, max_requests: int) -> str:
    """Return "8 of 10 requests used"."""
    return f"{min(used, max_requests)} of {max_requests} request{'s' if max_requests != 1 else ''} used"


def warnings(*, active: bool, expires_at: datetime | None, max_requests: int | None, used: int, now: datetime,
             t: Thresholds) -> list[Alert]:
    """Return what the dashboard and the links list warn about for one link (nothing for a paused or expired one)."""
    if not active or (expires_at is not None and expires_at <= now):
        return []
    found = []
    if expiry_due(expires_at, now, t):
        found.append(Alert(EXPIRING, expires_in(expires_at, now)))
    if requests_due(used, max_requests, t):
        found.append(Alert(REQUESTS, requests_used(used, max_requests)))
    return found


def fired_for(kind: str, expires_at: datetime | None, max_requests: int | None) -> str:
    """Return what a warning of ``kind`` is sent for: the expiry (ISO, UTC) or the limit. A change re-arms it."""
    if kind == EXPIRING:
        return expires_at.isoformat(timespec="seconds") if expires_at is not None else ""
    if kind == REQUESTS:
        return str(max_requests or "")
    raise ValueError(f"unknown warning kind {kind!r}")

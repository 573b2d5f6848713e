"""Pure rules for links (stdlib only): which stable short paths (``/@handle/<slug>``) an owner may pick,
and the expiry and request-limit presets the link form offers.

Each check returns a Decision with a stable reason code; MESSAGES says it to a person.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from .. import limits


@dataclass(frozen=True, slots=True)
class Decision:
    """The answer: allowed or not, and a stable reason code ("ok" when allowed)."""

    allowed: bool
    reason: str


OK = Decision(True, "ok")

SLUG_RE = re.compile(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?")
#: Words that would read as a page of the site, or are kept for later paths under /@handle/.
RESERVED_SLUGS = frozenset({
    "about", "admin", "api", "c", "card", "connect", "delete", "edit", "help", "links", "login", "logout", "new",
    "oneclick", "present", "qr", "settings", "slide", "static", "support", "vcard",
})

MESSAGES = {
    "empty": "Type a short path, or leave it empty.",
    "too_long": f"Keep the short path to {limits.LINK_SLUG_MAX} characters.",
    "characters": "Use lowercase letters, digits and hyphens only (not at the start or end).",
    "reserved": "That word is reserved. Choose another short path.",
    "taken": "You already use this short path for another link.",
    "no_handle": "Choose a public handle in settings first: the short path lives under /@handle/.",
    "needs_slug": "Choose a short path first, or share the token URL.",
}


def check_slug(slug: str) -> Decision:
    """Return whether ``slug`` is a well-formed, unreserved stable path (uniqueness is the database's job)."""
    if not slug:
        return Decision(False, "empty")
    if len(slug) > limits.LINK_SLUG_MAX:
        return Decision(False, "too_long")
    if not SLUG_RE.fullmatch(slug) or "--" in slug:
        return Decision(False, "characters")
    if slug in RESERVED_SLUGS:
        return Decision(False, "reserved")
    return OK


def looks_like_slug(value: str) -> bool:
    """Return True when ``value`` could be a slug at all (a cheap filter before any query)."""
    return 0 < len(value) <= limits.LINK_SLUG_MAX and SLUG_RE.fullmatch(value) is not None


# --- Presets ---------------------------------------------------------------------------------------

#: Expiry presets the form offers: (value, label, duration from now); "never" and "custom" have none.
EXPIRY_PRESETS = [
    ("1h", "In 1 hour", timedelta(hours=1)),
    ("1d", "In 1 day", timedelta(days=1)),
    ("1w", "In 1 week", timedelta(weeks=1)),
    ("30d", "In 30 days", timedelta(days=30)),
]
EXPIRY_DURATIONS = {value: duration for value, _, duration in EXPIRY_PRESETS}

#: Request-limit presets: (value, label); "none" means no limit, "custom" a typed number.
REQUEST_LIMIT_PRESETS = [(1, "1"), (10, "10"), (50, "50"), (100, "100")]


def preset_expiry(preset: str, now: datetime) -> datetime | None:
    """Return when a link set to expiry ``preset`` ("1h", "1d", "1w", "30d") stops working, counted from ``now``."""
    return now + EXPIRY_DURATIONS[preset]


def request_limit_choice(max_requests: int | None) -> str:
    """Return the preset that shows a link's request limit: "none", one of the numbers, or "custom"."""
    if max_requests is None:
        return "none"
    if max_requests in {n for n, _ in REQUEST_LIMIT_PRESETS}:
        return str(max_requests)
    return "custom"

"""The owner's time zone: the browser says it (a ``tz`` cookie and a hidden form field set by links.js, an IANA
name such as ``Europe/Berlin``); without JavaScript, or for a name this server doesn't know, times are UTC."""

from __future__ import annotations

import re
from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

COOKIE = "tz"
_NAME_RE = re.compile(r"[A-Za-z][A-Za-z0-9_+\-]*(?:/[A-Za-z0-9_+\-]+){0,2}")


def zone_named(name: str | None) -> tzinfo | None:
    """Return the zone called ``name``, or None for anything that isn't a known IANA name."""
    if not name or len(name) > 64 or not _NAME_RE.fullmatch(name):
        return None
    if name.upper() == "UTC":
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None


def zone_name(zone: tzinfo) -> str:
    """Return the IANA name of a zone (``UTC`` for the built-in one)."""
    return getattr(zone, "key", None) or "UTC"


def local(moment: datetime, zone: tzinfo) -> datetime:
    """Return ``moment`` in ``zone`` (in UTC when it can't be shown there, e.g. past 9999-12-31)."""
    try:
        return moment.astimezone(zone)
    except (OverflowError, ValueError):
        return moment.astimezone(UTC)


def show(moment: datetime | None, zone: tzinfo) -> str:
    """Return ``moment`` as a person reads it in ``zone``: "1 Dec 2026, 15:05 CET"."""
    if moment is None:
        return ""
    when = local(moment, zone)
    return f"{when.day} {when:%b %Y, %H:%M} {when.tzname() or zone_name(zone)}"

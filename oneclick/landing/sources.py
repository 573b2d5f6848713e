"""Where a click came from, as coarse buckets that say nothing about the person: pure, stdlib only.

- the referring site's **host** from the ``Referer`` header (never its path or query): lower case, without a port,
  user info, trailing dot or leading ``www.``; an Android app's package name for ``android-app://`` referrers;
  "direct" when the browser sent none (or something that isn't a web address); "other" for an IP address (never
  stored), a malformed host or one longer than ``limits.SOURCE_VALUE_MAX``;
- the link's ``utm_source`` when present: lower case, letters, digits and ``. _ -`` only (runs of anything else
  become one ``-``), cut to ``SOURCE_VALUE_MAX``;
- the **device class** from the User-Agent: phone, tablet or desktop (iPadOS's Safari says it is a Mac, so it
  counts as a desktop).

Each function is cached per distinct input (the same few agents and referrers come back again and again).
"""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import urlsplit

from ..limits import SOURCE_VALUE_MAX

DIRECT = "direct"
OTHER = "other"
KINDS = ("referrer", "utm", "device")
DEVICES = ("phone", "tablet", "desktop")

_RAW_MAX = 2048  # longer headers or parameters are not worth parsing
_LABEL = r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?"
_HOST_RE = re.compile(rf"^{_LABEL}(?:\.{_LABEL})*$")
_IPV4_RE = re.compile(r"^\d{1,3}(?:\.\d{1,3}){3}$")
_UTM_JUNK_RE = re.compile(r"[^a-z0-9._-]+")


@lru_cache(maxsize=4096)
def referrer_host(referer: str | None) -> str:
    """Return the referring host of a ``Referer`` header value, "direct" or "other" (see the module's notes)."""
    if not referer or not referer.strip():
        return DIRECT
    if len(referer) > _RAW_MAX:
        return OTHER
    try:
        parts = urlsplit(referer.strip())
        scheme = parts.scheme.lower()
        if scheme == "android-app":  # Gmail's and other apps' referrer: android-app://com.google.android.gm/
            host = parts.netloc.lower()
        elif scheme in ("http", "https"):
            host = parts.hostname or ""
        else:
            return DIRECT
    except ValueError:  # a malformed IPv6 literal and the like
        return OTHER
    host = host.rstrip(".")
    if host.startswith("www."):
        host = host[4:]
    if not host:
        return DIRECT
    if not host.isascii():
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            return OTHER
    if len(host) > SOURCE_VALUE_MAX or _IPV4_RE.match(host) or not _HOST_RE.match(host):
        return OTHER  # an IP address (v4; a v6 literal fails the pattern) is never stored
    if host in (DIRECT, OTHER):
        return OTHER  # a host named like a bucket would read as one
    return host


@lru_cache(maxsize=1024)
def utm_source(value: str | None) -> str | None:
    """Return a sanitised ``utm_source`` value, or None when there is none worth keeping."""
    if not value:
        return None
    cleaned = _UTM_JUNK_RE.sub("-", value[:_RAW_MAX].strip().lower()).strip("-")[:SOURCE_VALUE_MAX].strip("-")
    return cleaned or None


@lru_cache(maxsize=4096)
def device_class(user_agent: str | None) -> str:
    """Return "phone", "tablet" or "desktop" for a User-Agent (desktop when it doesn't say)."""
    agent = (user_agent or "")[:512].lower()
    if any(word in agent for word in ("ipad", "tablet", "kindle", "silk/", "playbook", "nexus 7", "nexus 10")):
        return "tablet"
    if "android" in agent:
        return "phone" if "mobile" in agent else "tablet"  # Android tablets' browsers leave out "Mobile"
    if any(word in agent for word in ("iphone", "ipod", "mobile", "windows phone", "blackberry", "opera mini")):
        return "phone"
    return "desktop"


def click_source(referer: str | None, utm: str | None, user_agent: str | None) -> tuple[str, str | None, str]:
    """Return the ``(referrer host, utm_source or None, device class)`` a counted click is tallied under."""
    return referrer_host(referer), utm_source(utm), device_class(user_agent)

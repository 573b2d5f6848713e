"""Pure rules of webhooks (stdlib only): which URLs and addresses may receive deliveries, the retry back-off,
when a failing endpoint is disabled. Each check returns a Decision with a reason code; MESSAGES words it."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

#: The events a member may subscribe an endpoint to.
EVENTS = ("request.created", "request.accepted", "connection.removed", "invitation.answered", "link.paused")
#: Sent by "Send test event" to one endpoint, whatever it subscribes to.
TEST_EVENT = "webhook.test"

#: Cloud metadata services that are not link-local (169.254.169.254 and fe80::/10 are refused as link-local).
METADATA = frozenset(ipaddress.ip_address(a) for a in ("fd00:ec2::254", "100.100.100.200"))

MESSAGES = {
    "empty": "Enter the endpoint's URL.",
    "too_long": "Use a shorter URL.",
    "not_a_url": "Enter a full URL, like https://example.com/hooks/oneclick.",
    "scheme": "Use an https:// URL.",
    "credentials": "Leave user names and passwords out of the URL.",
    "port": "That port is not valid.",
    "unresolvable": "That host name does not resolve.",
    "loopback": "That address points at this server (loopback); use a public address.",
    "private": "That address is on a private network; use a public address.",
    "link_local": "That address is link-local (or a cloud metadata service); use a public address.",
    "multicast": "That is a multicast address; use a public address.",
    "metadata": "That is a cloud metadata address; use a public address.",
    "reserved": "That address is reserved or not public; use a public address.",
    "no_events": "Choose at least one event.",
    "unknown_event": "Choose events from the list.",
}


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    reason: str = "ok"


OK = Decision(True)


@dataclass(frozen=True, slots=True)
class Target:
    """A checked URL's parts: where to connect and what to ask for."""

    scheme: str
    host: str
    port: int
    path: str


def check_url(url: str, *, allow_http: bool, max_length: int) -> tuple[Decision, Target | None]:
    """Check a webhook URL's form (not its addresses): https (http only when allowed), a host, no credentials."""
    if not url or not url.strip():
        return Decision(False, "empty"), None
    if len(url) > max_length:
        return Decision(False, "too_long"), None
    if any(ord(c) <= 32 or ord(c) == 127 for c in url):
        return Decision(False, "not_a_url"), None
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return Decision(False, "port"), None
    if parts.scheme not in ("https", "http") or not parts.hostname:
        return Decision(False, "not_a_url"), None
    if parts.scheme == "http" and not allow_http:
        return Decision(False, "scheme"), None
    if parts.username is not None or parts.password is not None:
        return Decision(False, "credentials"), None
    if port == 0:
        return Decision(False, "port"), None
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    default = 443 if parts.scheme == "https" else 80
    return OK, Target(parts.scheme, parts.hostname, port or default, path)


def check_address(address: str, *, allow_loopback: bool) -> Decision:
    """May a delivery connect to this IP address? Only public unicast ones (loopback only in tests)."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return Decision(False, "reserved")
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        return OK if allow_loopback else Decision(False, "loopback")
    if ip in METADATA:
        return Decision(False, "metadata")
    if ip.is_link_local:
        return Decision(False, "link_local")
    if ip.is_multicast:
        return Decision(False, "multicast")
    if ip.is_private:
        return Decision(False, "private")
    if ip.is_unspecified or ip.is_reserved or not ip.is_global:
        return Decision(False, "reserved")
    return OK


def check_events(events) -> Decision:
    chosen = list(events or ())
    if not chosen:
        return Decision(False, "no_events")
    if any(e not in EVENTS for e in chosen):
        return Decision(False, "unknown_event")
    return OK


def backoff(attempts: int, base: int, cap: int) -> int:
    """Seconds to wait after the ``attempts``-th failed attempt: the base, doubled each time, up to the cap."""
    return min(cap, base * 2 ** max(0, min(attempts - 1, 30)))


def should_disable(failing_since: datetime | None, now: datetime, window_seconds: int) -> bool:
    """An endpoint whose failures (with no success in between) have lasted the window is disabled."""
    return failing_since is not None and now - failing_since >= timedelta(seconds=window_seconds)

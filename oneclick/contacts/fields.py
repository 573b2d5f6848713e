"""The fields of a contact card and the comma-separated key lists that say which of them are shared. Stdlib only.

``name`` is always shared (a request already shows it); every other key is chosen per link by its owner (what a
person who connects through it receives, and what "Save contact" offers to anyone) and per request by the
requester (what they share back). ``email`` is the account's verified address; ``work_email`` and
``personal_email`` are as stated by the member and are always labelled so.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

#: (key, label) in the order cards, forms and vCards show them.
FIELDS: tuple[tuple[str, str], ...] = (
    ("name", "Name"),
    ("headline", "Headline"),
    ("organisation", "Organisation"),
    ("email", "Email (verified account address)"),
    ("work_email", "Work email (as stated)"),
    ("personal_email", "Personal email (as stated)"),
    ("phone", "Phone"),
    ("website", "Website"),
    ("linkedin", "LinkedIn"),
    ("mastodon", "Mastodon"),
    ("github", "GitHub"),
    ("x", "X"),
    ("photo", "Photo"),
)
KEYS = tuple(key for key, _ in FIELDS)
LABELS = dict(FIELDS)
#: What a member may tick for a link or a request (the name is always shared).
CHOOSABLE = tuple(key for key in KEYS if key != "name")
#: The card fields a guest may type on the request form (their name and email are the form's own).
GUEST_KEYS = ("organisation", "phone")
#: Social profiles: key -> hosts their URL must be on (None: any host, e.g. a Mastodon instance).
PROFILE_HOSTS: dict[str, tuple[str, ...] | None] = {
    "linkedin": ("linkedin.com", "www.linkedin.com"),
    "mastodon": None,
    "github": ("github.com", "www.github.com"),
    "x": ("x.com", "www.x.com", "twitter.com", "www.twitter.com"),
}
URL_KEYS = ("website", *PROFILE_HOSTS)
#: What a member shares back by default when they send a request (they may untick it).
DEFAULT_SHARE_BACK = ("headline", "organisation", "work_email")

_PHONE_RE = re.compile(r"^\+?[0-9][0-9 ()./-]*$")


def parse(value: str | None) -> tuple[str, ...]:
    """Return the known keys in a stored list, in card order, without duplicates ("name" always included)."""
    wanted = set((value or "").split(","))
    return tuple(key for key in KEYS if key in wanted or key == "name")


def join(keys) -> str:
    """Return the stored form of a set of keys (unknown ones dropped, card order)."""
    wanted = set(keys)
    return ",".join(key for key in KEYS if key in wanted)


def phone_problem(value: str) -> str | None:
    """Return why a phone number is refused, or None."""
    if not _PHONE_RE.match(value) or sum(ch.isdigit() for ch in value) < 3:
        return "Use digits, spaces and + ( ) - . / only, e.g. +44 20 7946 0958."
    return None


def url_problem(key: str, value: str) -> str | None:
    """Return why a website or profile URL is refused (not http(s), no host, credentials, another site), or None."""
    if any(ch.isspace() or ord(ch) < 32 for ch in value):
        return "A web address has no spaces."
    try:
        parts = urlsplit(value)
        port = parts.port  # noqa: F841 - raises ValueError for a bad port
    except ValueError:
        return "That isn't a web address."
    if parts.scheme not in ("http", "https") or not parts.hostname or "." not in parts.hostname:
        return "Use a full web address starting with https://."
    if parts.username or parts.password:
        return "Leave out the user name and password."
    hosts = PROFILE_HOSTS.get(key)
    if hosts and parts.hostname.lower() not in hosts:
        return f"Use your profile's address on {hosts[0]}."
    return None

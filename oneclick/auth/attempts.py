"""Failed sign-ins per account, counted in the rate-limit storage so every worker and host sees one count.

Why the Flask-Limiter storage and not a table: the count is keyed by the *typed* address, whether or not an
account has it (a table would need rows for every address a stranger types, or would tell them apart), it
expires by itself with its moving window, and it is the store the per-address limits already use: Redis
when several processes serve (its updates are atomic), so the threshold holds across workers and hosts.
"""

from __future__ import annotations

from flask import current_app
from flask_limiter.util import get_remote_address
from limits import parse

from ..extensions import limiter

SCOPE = "login-account-failures"


def _key(email: str) -> str:
    return (email or "").strip().lower()[:254]


def _scope(name: str) -> list[str]:
    """Identifiers before the key, behind RATELIMIT_KEY_PREFIX as Flask-Limiter puts its own (a shared Redis)."""
    prefix = current_app.config.get("RATELIMIT_KEY_PREFIX") or ""
    return [prefix, name] if prefix else [name]


def _enabled() -> bool:
    return bool(current_app.config.get("RATELIMIT_ENABLED", True)) and limiter.enabled


def captcha_needed(email: str) -> bool:
    """Return True when sign-ins to ``email`` failed too often lately, from anywhere: ask for a captcha."""
    if not _enabled():
        return False
    item = parse(current_app.config["LOGIN_CAPTCHA_AFTER_PER_ACCOUNT"])
    return not limiter.limiter.test(item, *_scope(SCOPE), _key(email))


def record_failure(email: str) -> None:
    """Count one failed sign-in to ``email`` (saturates at the threshold: the window then only slides)."""
    if not _enabled():
        return
    item = parse(current_app.config["LOGIN_CAPTCHA_AFTER_PER_ACCOUNT"])
    limiter.limiter.hit(item, *_scope(SCOPE), _key(email))


def captcha_issue_allowed() -> bool:
    """Count one "another challenge, please" from this client address; False past CAPTCHA_LIMIT."""
    if not _enabled():
        return True
    item = parse(current_app.config["CAPTCHA_LIMIT"])
    return limiter.limiter.hit(item, *_scope("login-captcha-issue"), get_remote_address())

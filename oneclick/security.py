"""Login loading, safe redirects and response hardening."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, request, session
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import select

from .extensions import db, login_manager
from .models import User

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


#: Sent with every response (HSTS only over HTTPS); the QR fast path (landing/fastpath.py) sends them too.
SECURITY_HEADERS = (
    ("Content-Security-Policy", CSP),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "strict-origin-when-cross-origin"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
)
HSTS = ("Strict-Transport-Security", "max-age=31536000; includeSubDomains")


@login_manager.user_loader
def load_user(login_id: str) -> User | None:
    """Return the user for a session or remember-cookie id, if its session token is still current."""
    public_id, _, token = login_id.partition(".")
    if not public_id or not token:
        return None
    user = db.session.scalar(select(User).where(User.public_id == public_id))
    if user is None or user.session_token != token or user.email_verified_at is None:
        return None
    return user


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, with the signing serializer built once per key list, not per request.

    Building one costs more than using it (itsdangerous probes the JSON serializer on every construction), and
    every request that reads or writes the session needs it.
    """

    def __init__(self):
        self._serializers: dict[tuple, URLSafeTimedSerializer | None] = {}

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        key = (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()))
        serializer = self._serializers.get(key)
        if serializer is None:
            serializer = self._serializers[key] = super().get_signing_serializer(app)
        return serializer


def is_safe_next(target: str | None) -> bool:
    """Return True when ``target`` is a path on this site (never another host or scheme)."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return False
    if any(ch in target for ch in "\\\r\n\t") or any(ord(ch) < 32 for ch in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def safe_next(target: str | None, default: str) -> str:
    """Return ``target`` when it is a safe local path, else ``default``."""
    return target if is_safe_next(target) else default


def init_app(app: Flask) -> None:
    """Configure sessions and flask-login, and add security headers to every response."""
    app.session_interface = SessionInterface()
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please sign in to continue."
    login_manager.login_message_category = "info"
    # "strong" would drop the session when the IP changes (phones hop networks); tokens do the real work.
    login_manager.session_protection = "basic"

    @app.after_request
    def _harden(response):
        headers = response.headers
        for name, value in SECURITY_HEADERS:
            headers.setdefault(name, value)
        if request.is_secure:
            headers.setdefault(*HSTS)
        if session.get("_user_id") or request.cookies.get(app.config["REMEMBER_COOKIE_NAME"]):
            headers.setdefault("Cache-Control", "private, no-store")
        return response

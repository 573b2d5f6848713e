"""Configuration defaults.

Order of precedence (last wins): these defaults < ``instance/config.py`` < ``ONECLICK_*`` environment
variables < the ``test_config`` mapping given to ``create_app``. Environment values are parsed as JSON
when they can be (``ONECLICK_RATELIMIT_ENABLED=false``, ``ONECLICK_SECRET_KEY_FALLBACKS='["old"]'``).
"""

import os
import secrets
import stat
from datetime import timedelta
from pathlib import Path

#: The well-known development secret. Refused outside debug mode.
DEV_SECRET_KEY = "dev"  # noqa: S105 - the known-bad value we refuse


class Defaults:
    """Default settings; every one may be overridden."""

    # Left empty: create_app generates one into instance/secret_key (0600) and reuses it.
    SECRET_KEY = None
    SECRET_KEY_FALLBACKS: list[str] = []
    # Base of every absolute link and QR code. Never taken from the Host header.
    PUBLIC_URL = "http://127.0.0.1:5000"

    SQLALCHEMY_DATABASE_URI = None  # None: sqlite file in the instance folder
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    SQLITE_BUSY_TIMEOUT_MS = 5000

    # Werkzeug's scrypt (n=2**15, r=8, p=1): memory-hard and about 60 ms on a small server.
    PASSWORD_HASH_METHOD = "scrypt:32768:8:1"  # noqa: S105 - a method name, not a secret
    PASSWORD_MIN_LENGTH = 10

    SESSION_COOKIE_NAME = "oneclick_session"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = None  # None: Secure unless debug/testing (decided in create_app)
    REMEMBER_COOKIE_NAME = "oneclick_remember"
    REMEMBER_COOKIE_DURATION = timedelta(days=30)
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = None
    PERMANENT_SESSION_LIFETIME = timedelta(days=14)

    WTF_CSRF_TIME_LIMIT = 3600 * 4
    MAX_CONTENT_LENGTH = 256 * 1024
    MAX_FORM_MEMORY_SIZE = 64 * 1024

    # Flask-Limiter's own settings. memory:// is right for one process only; use redis:// at scale.
    RATELIMIT_ENABLED = True
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_HEADERS_ENABLED = True
    RATELIMIT_STRATEGY = "moving-window"
    LOGIN_LIMIT_PER_IP = "20 per 10 minutes"
    LOGIN_LIMIT_PER_ACCOUNT = "5 per 10 minutes"
    REGISTER_LIMIT_PER_IP = "10 per hour"

    MAIL_BACKEND = "file"  # file | smtp | memory
    MAIL_FROM = "oneclick <no-reply@localhost>"
    MAIL_SERVER = "localhost"
    MAIL_PORT = 25
    MAIL_USE_TLS = False
    MAIL_USE_SSL = False
    MAIL_USERNAME = ""
    MAIL_PASSWORD = ""
    MAIL_TIMEOUT = 10
    ACTIVATION_MAX_AGE = 3 * 24 * 3600

    # Set to 1 (or more) behind that many trusted reverse proxies.
    PROXY_FIX_X_FOR = 0
    PROXY_FIX_X_PROTO = 0
    PROXY_FIX_X_HOST = 0


def secret_key_from_instance(instance_path: str) -> str:
    """Return the secret key kept in the instance folder, creating it (mode 0600) on first use."""
    path = Path(instance_path) / "secret_key"
    try:
        key = path.read_text().strip()
        if key:
            return key
    except FileNotFoundError:
        pass
    key = secrets.token_urlsafe(48)
    # O_EXCL: when two workers start at once, exactly one writes; the other reads the winner's key.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, stat.S_IRUSR | stat.S_IWUSR)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as fh:
        fh.write(key + "\n")
    return key


class ConfigError(RuntimeError):
    """The configuration would run the app unsafely; refuse to start."""


def check(config, debug: bool) -> None:
    """Refuse settings that would make the app unsafe."""
    fallbacks = config.get("SECRET_KEY_FALLBACKS")
    if not isinstance(fallbacks, list) or not all(isinstance(k, str) and k for k in fallbacks):
        raise ConfigError("SECRET_KEY_FALLBACKS must be a list of non-empty strings, e.g. '[\"old-key\"]'.")
    key = config.get("SECRET_KEY")
    if not isinstance(key, str) or not key:
        raise ConfigError("SECRET_KEY must be a non-empty string.")
    if not debug and not config.get("TESTING") and (key == DEV_SECRET_KEY or len(key) < 16):
        raise ConfigError(
            "Refusing to start with the development SECRET_KEY outside debug mode. "
            "Unset ONECLICK_SECRET_KEY to use the generated instance/secret_key, or set a long random one."
        )
    if not str(config.get("PUBLIC_URL", "")).startswith(("http://", "https://")):
        raise ConfigError("PUBLIC_URL must start with http:// or https://")

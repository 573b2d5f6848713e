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
    # Base of every absolute link and QR code. Never taken from the Host header. None: the address the app is
    # served on (SERVER_NAME, else the gunicorn bind / ONECLICK_BIND, else `flask run`'s host and port, else
    # http://127.0.0.1:5000), so links, QR codes and mails follow the port it was started on.
    PUBLIC_URL = None

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
    LOGIN_LIMIT_PER_IP = "20 per 10 minutes"  # failed sign-ins from one address, to any accounts
    # Failed sign-ins to one account from one address: past it that address alone is refused (429).
    LOGIN_LIMIT_PER_ACCOUNT = "5 per 10 minutes"
    # Failed sign-ins to one account from anywhere: past it every sign-in to that account needs a solved
    # captcha as well (never a refusal, so nobody can lock the owner out). Counted per typed address,
    # whether or not an account has it, so the captcha reveals nothing.
    LOGIN_CAPTCHA_AFTER_PER_ACCOUNT = "10 per 10 minutes"
    # "Forgot your password?" and "resend activation" mails, each page counted on its own.
    ACCOUNT_MAIL_LIMIT_PER_IP = "10 per hour"
    ACCOUNT_MAIL_LIMIT_PER_ADDRESS = "3 per hour"
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
    # Lifetime of an activation link; an account still unverified this long after its last activation mail
    # is deleted by `flask users purge-unverified`.
    ACTIVATION_MAX_AGE = 3 * 24 * 3600
    PASSWORD_RESET_MAX_AGE = 3600  # lifetime of a password reset link (it also dies once used)

    # --- Task queue and mail delivery (oneclick.tasks, oneclick.mailqueue) ---------------------------------
    # Where queued tasks wait. None: a SQLite file in the instance folder (instance/queue.sqlite3; scripts/run
    # starts one consumer with the server); redis://host:6379/0 at scale (run consumers with
    # `python -m oneclick.consumer`, on any hosts); "immediate" runs each task inline at once (tests only).
    QUEUE_URL = None
    QUEUE_NAME = "oneclick"  # the queue's name in its storage (its Redis keys), so apps can share one Redis
    # Start a consumer as a child of gunicorn: "auto" (on the embedded SQLite queue only), "on" or "off".
    QUEUE_CONSUMER = "auto"
    QUEUE_WORKERS = 2  # worker threads per consumer
    MAIL_MAX_ATTEMPTS = 12  # tries before a mail is marked failed (listed on /admin/mail with a retry button)
    MAIL_RETRY_BASE_SECONDS = 30  # wait after the first failed try, doubled after each one ...
    MAIL_RETRY_MAX_SECONDS = 3600  # ... up to this (12 tries span about 5 hours)
    # A consumer's claim on the mail it is sending; past it the sweeper lets another consumer send it again.
    # Keep it well above the longest send (several MAIL_TIMEOUTs).
    MAIL_CLAIM_SECONDS = 300

    # --- Webhooks (oneclick.webhooks): signed deliveries to members' endpoints ------------------------------
    WEBHOOK_ENDPOINTS_MAX_PER_USER = 10  # endpoints one member may register
    WEBHOOK_TIMEOUT_SECONDS = 5  # connect and read timeout of one delivery attempt (no redirect is followed)
    WEBHOOK_MAX_ATTEMPTS = 10  # tries of one delivery before it is marked failed (redeliver by hand)
    WEBHOOK_RETRY_BASE_SECONDS = 30  # wait after the first failed try, doubled after each one ...
    WEBHOOK_RETRY_MAX_SECONDS = 6 * 3600  # ... up to this (10 tries span about 8.5 hours)
    WEBHOOK_CLAIM_SECONDS = 120  # a consumer's claim on the delivery it is sending (well above the timeout)
    WEBHOOK_DISABLE_AFTER_SECONDS = 3 * 24 * 3600  # failing this long without a success: disabled, owner mailed
    # Test-only switches (refused at start-up outside testing/debug): http:// endpoints, and loopback addresses.
    WEBHOOK_ALLOW_HTTP = False
    WEBHOOK_ALLOW_PRIVATE = False

    # --- Outbound invitations: the classic quota and restriction rules -------------------------
    INVITE_ALLOTMENT = 3000  # invitations a member may send in total (grants add to it)
    CAPTCHA_AFTER_PER_DAY = 100  # each invitation beyond this many in a rolling 24 h needs a captcha
    GRANT_MIN = 500  # support may grant between GRANT_MIN and GRANT_MAX more invitations ...
    GRANT_MAX = 1000
    GRANT_INTERVAL_DAYS = 30  # ... at most once per this many days
    STALE_AFTER_DAYS = 7  # pending invitations older than this are marked stale
    RESTRICT_AFTER_DECLINES = 5  # "I don't know"/spam declines since the last lift that restrict the account
    SPAMMER_AFTER_DECLINES = 15  # declines in total that label the member a spammer
    SELF_LIFTS = 1  # restrictions a member may lift alone (the first ones); later ones need support
    RESEND_INTERVAL_DAYS = 7  # a pending invitation may be resent once per this many days
    INVITE_MESSAGE_MAX = 300  # characters in the personal note (1 to limits.INVITE_MESSAGE_MAX, its column)
    CAPTCHA_TTL_SECONDS = 600  # a captcha must be solved within this time
    CAPTCHA_LIMIT = "30 per 10 minutes"  # captcha answers and images per member
    INVITE_SEND_LIMIT = "120 per minute"  # invitation form posts per member (a flood brake, not the quota)

    # One JSON line per request on stderr (logger "oneclick.request").
    REQUEST_LOG = False

    # --- Contact cards (oneclick.contacts) ---------------------------------------------------------
    CARD_PHOTO_MAX_BYTES = 5 * 1024 * 1024  # largest photo upload; a larger one is refused with a message
    CARD_PHOTO_MAX_PIXELS = 40_000_000  # width x height of an upload (decompression bombs are refused)

    # --- Inbound requests: the public request form, the inbox and owner notifications -----------
    REQUEST_LIMIT_PER_IP = "30 per hour"  # request form posts from one address (a conference hall shares one)
    REQUEST_LIMIT_PER_LINK = "120 per hour"  # request form posts to one link, from anywhere
    REQUEST_DAILY_CAP_PER_LINK = 500  # new requests one link accepts per UTC day
    REQUEST_CSRF_TIME_LIMIT = 14 * 24 * 3600  # a page opened from a QR code may be submitted days later
    REQUEST_MIN_FILL_SECONDS = 3  # guest forms sent faster than this are asked to send again
    # A guest's request reaches the owner only once its sender clicks the link mailed to them (double
    # opt-in); the link and the unconfirmed request expire after this many seconds (2 days).
    GUEST_CONFIRM_MAX_AGE = 2 * 24 * 3600
    # Declined and unconfirmed guest requests are erased, accepted ones trimmed to what the connection needs,
    # this many days after they stopped mattering (oneclick.privacy.rules; the queue runs it daily).
    GUEST_RETENTION_DAYS = 30
    # How long the private link in a guest's confirmation mail (see, withdraw, erase) opens (a year).
    GUEST_ACCESS_MAX_AGE = 365 * 24 * 3600
    INBOX_PAGE_SIZE = 25
    CONNECTIONS_PAGE_SIZE = 50

    # --- Links, QR codes and snippets ---------------------------------------------------------------------
    LINKS_MAX_PER_OWNER = 100  # links one owner may have at once
    # Clicks are tallied per worker and written this often by a background thread (0: write each at once).
    CLICK_FLUSH_SECONDS = 1.0
    # A worker reuses a link's snapshot this long on the landing page and QR codes (0: query every time).
    LINK_CACHE_SECONDS = 1.0
    QR_CACHE_MAX_BYTES = 16 * 1024 * 1024  # in-process LRU of rendered QR codes, per worker
    # Answer QR codes a worker has rendered before from a WSGI middleware, without entering Flask.
    QR_FAST_PATH = True
    QR_MAX_AGE = 7 * 24 * 3600  # Cache-Control max-age of QR images (a rotated link gets a new URL anyway)
    QR_RENDER_LIMIT_PER_IP = "120 per minute"  # QR renders (cache misses only) from one address
    # Warn the owner (dashboard, links list, a mail and a notification once) when a link has less than this many
    # hours left before it expires, or has used at least this percentage of its request limit.
    LINK_WARN_EXPIRY_HOURS = 24
    LINK_WARN_REQUESTS_PERCENT = 80
    NOTIFICATIONS_PAGE_SIZE = 25  # events per page on /notifications

    # --- JSON API: personal access tokens, per-token rate limit ------------------------------------
    API_RATE_LIMIT = "300 per minute"  # requests per token (requests without a valid token: per address)
    API_TOKENS_MAX_PER_USER = 20  # active tokens one member may hold at once
    API_TOKEN_TOUCH_SECONDS = 60  # a token's last-used time is written at most this often

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


def _served_at(host: str, port: int | str, scheme: str = "http") -> str:
    """Return the URL of a server bound to ``host``:``port`` (a wildcard bind is reached through loopback)."""
    host = host.strip("[]")
    # Reading a bind address to build a URL, not binding: a wildcard bind is reached on 127.0.0.1.
    if host in ("", "0.0.0.0", "::"):  # noqa: S104  # nosec B104
        host = "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    return f"{scheme}://{host}:{port}"


def _flask_run_options() -> dict | None:
    """Return the host, port and cert of the `flask run` command loading the app now, or None."""
    try:
        import click
    except ImportError:  # pragma: no cover - flask depends on click
        return None
    ctx = click.get_current_context(silent=True)
    while ctx is not None:
        if ctx.command.name == "run" and "port" in ctx.params:
            return ctx.params
        ctx = ctx.parent
    return None


def default_public_url(config, environ=os.environ, run_options: dict | None = None) -> str:
    """Return PUBLIC_URL when none is configured: where the app is served, never a request's Host header.

    In order: SERVER_NAME; the `flask run` command starting the app (its --host/--port, which also read
    FLASK_RUN_HOST/FLASK_RUN_PORT); the gunicorn bind in ONECLICK_BIND (gunicorn.conf.py sets it to the bind in
    effect); FLASK_RUN_HOST/FLASK_RUN_PORT; else http://127.0.0.1:5000 (the README's address).
    """
    if config.get("SERVER_NAME"):
        return f"{config.get('PREFERRED_URL_SCHEME') or 'http'}://{config['SERVER_NAME']}"
    run = run_options if run_options is not None else _flask_run_options()
    if run:
        return _served_at(str(run.get("host") or "127.0.0.1"), run.get("port") or 5000,
                          "https" if run.get("cert") else "http")
    bind = (environ.get("ONECLICK_BIND") or "").split(",")[0].strip()
    if bind and not bind.startswith(("unix:", "fd://")):
        host, sep, port = bind.rpartition(":")
        if not sep or not port.isdigit() or host.endswith(":") and not host.startswith("["):
            host, port = bind, "8000"  # gunicorn's default port
        return _served_at(host, port)
    if environ.get("FLASK_RUN_PORT") or environ.get("FLASK_RUN_HOST"):
        return _served_at(environ.get("FLASK_RUN_HOST") or "127.0.0.1", environ.get("FLASK_RUN_PORT") or 5000)
    return "http://127.0.0.1:5000"


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
    if config.get("WEBHOOK_ALLOW_HTTP") and not (debug or config.get("TESTING")):
        raise ConfigError("WEBHOOK_ALLOW_HTTP is for tests and debugging only: webhooks go to https:// URLs.")
    if str(config.get("QUEUE_URL") or "").strip() == "immediate" and not (debug or config.get("TESTING")):
        raise ConfigError("QUEUE_URL=immediate (tasks inline, no retries) is for tests and debugging only: "
                          "leave it unset for the embedded queue, or use redis://.")
    if config.get("WEBHOOK_ALLOW_PRIVATE") and not config.get("TESTING"):
        raise ConfigError("WEBHOOK_ALLOW_PRIVATE is for the test suite only: webhooks never go to loopback.")
    from .limits import problems  # a configured length may never exceed the column that stores the text

    found = problems(config)
    if found:
        raise ConfigError(found[0])


# --- Rate limits that hold as configured --------------------------------------------------------------------

#: Flask-Limiter storage schemes whose counters live inside one process.
PER_PROCESS_STORAGE = ("memory",)


def storage_is_shared(config) -> bool:
    """Return True when the rate-limit counters live outside the process (Redis, Memcached, ...)."""
    scheme = str(config.get("RATELIMIT_STORAGE_URI") or "memory://").partition("://")[0].lower()
    return scheme not in PER_PROCESS_STORAGE


def limits_problem(config, processes: int) -> str | None:
    """Return why the configured rate limits would not hold across ``processes`` server processes, or None.

    With per-process storage every process counts on its own, so N of them allow N times every limit.
    """
    if processes <= 1 or not config.get("RATELIMIT_ENABLED", True) or storage_is_shared(config):
        return None
    return (
        f"Refusing to start {processes} worker processes with RATELIMIT_STORAGE_URI="
        f"{config.get('RATELIMIT_STORAGE_URI') or 'memory://'}: each process would keep its own counters, so every "
        f"rate limit would allow {processes} times its number. Either set a shared store, "
        "ONECLICK_RATELIMIT_STORAGE_URI=redis://host:6379/0 (then any number of processes is fine), or run one "
        "process (ONECLICK_WORKERS=1, the default without a shared store; ONECLICK_THREADS sets its threads)."
    )


def server_settings(instance_path: str | None = None):
    """Return the settings the app will see (defaults < instance/config.py < ONECLICK_*), without an app.

    gunicorn.conf.py reads them in the master to size the server before any worker starts.
    """
    from flask import Config

    root = instance_path or os.environ.get("ONECLICK_INSTANCE_PATH") or str(Path(__file__).resolve().parent.parent
                                                                           / "instance")
    config = Config(root)
    config.from_object(Defaults)
    config.from_pyfile("config.py", silent=True)
    config.from_prefixed_env("ONECLICK")
    return config

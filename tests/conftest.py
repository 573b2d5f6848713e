"""Shared fixtures: a real database (SQLite file, or PostgreSQL when ONECLICK_TEST_DATABASE_URL is set)."""

from __future__ import annotations

import html
import os
import re
import uuid

import pytest
import sqlalchemy as sa

from oneclick import create_app
from oneclick.extensions import db, limiter

from .factories import DEFAULT_PASSWORD, make_user

PG_URL = os.environ.get("ONECLICK_TEST_DATABASE_URL")
REDIS_URL = os.environ.get("ONECLICK_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
# A cheap hash keeps the suite fast; tests/test_config.py checks the production default separately.
FAST_HASH = "pbkdf2:sha256:1000"


def pytest_report_header(config):
    return f"oneclick database: {'PostgreSQL ' + PG_URL if PG_URL else 'SQLite (temporary file)'}"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    """Give the test session its own fresh database: a SQLite file or a PostgreSQL schema."""
    if not PG_URL:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'oneclick-test.sqlite3'}"
        return
    schema = f"test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(PG_URL)
    with admin.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    sep = "&" if "?" in PG_URL else "?"
    yield f"{PG_URL}{sep}options=-csearch_path%3D{schema}"
    with admin.begin() as conn:
        conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
    admin.dispose()


@pytest.fixture(scope="session")
def instance_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("instance")


def _test_config(database_url: str) -> dict:
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-that-is-long-enough",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "PUBLIC_URL": "http://oneclick.test",
        "MAIL_BACKEND": "memory",
        # Queued tasks (mail delivery) run inline at once: request tests need no consumer. tests/queue/ starts real
        # consumers on Redis and SQLite.
        "QUEUE_URL": "immediate",
        "PASSWORD_HASH_METHOD": FAST_HASH,
        "RATELIMIT_STORAGE_URI": "memory://",
        "SERVER_NAME": None,
        # Clicks written at once, so a test can count them right after a visit (test_clicks.py covers batching).
        "CLICK_FLUSH_SECONDS": 0,
        # Every visit sees the link as it is now (test_hot_path.py covers the one-second snapshot cache).
        "LINK_CACHE_SECONDS": 0,
    }


@pytest.fixture(scope="session")
def _migrated(database_url, instance_dir):
    """Create the schema once per session (tests/test_migrations.py proves the migrations build the same)."""
    os.environ["ONECLICK_INSTANCE_PATH"] = str(instance_dir)
    app = create_app(_test_config(database_url))
    with app.app_context():
        db.create_all()
        db.engine.dispose()
    return True


def _empty_tables() -> None:
    tables = [t.name for t in reversed(db.metadata.sorted_tables)]
    with db.engine.begin() as conn:
        if db.engine.dialect.name == "postgresql":
            conn.exec_driver_sql("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE")
        else:
            for table in tables:
                conn.exec_driver_sql(f'DELETE FROM "{table}"')


@pytest.fixture
def app(_migrated, database_url, instance_dir, monkeypatch, request):
    """Return an app bound to the session database; every table is emptied after the test."""
    monkeypatch.setenv("ONECLICK_INSTANCE_PATH", str(instance_dir))
    overrides = getattr(request, "param", None) or {}
    marker = request.node.get_closest_marker("config")
    if marker:
        overrides = {**overrides, **marker.kwargs}
    app = create_app({**_test_config(database_url), **overrides})
    with app.app_context():
        limiter.reset()
    yield app
    with app.app_context():
        db.session.remove()
        _empty_tables()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def ctx(app):
    """Run the test inside an application context (for services and factories)."""
    with app.app_context():
        yield


def body(response) -> str:
    """Return a response's text with HTML entities decoded, for readable assertions."""
    return html.unescape(response.get_data(as_text=True))


def csrf_from(html: str) -> str:
    """Return the CSRF token embedded in a rendered form."""
    match = CSRF_RE.search(html)
    assert match, "no csrf_token in page"
    return match.group(1)


class AuthActions:
    """Sign in and out through the real forms, CSRF token included."""

    def __init__(self, client):
        self.client = client

    def token(self, path: str = "/login") -> str:
        return csrf_from(self.client.get(path).get_data(as_text=True))

    def post(self, path: str, data: dict | None = None, **kwargs):
        """POST a form to ``path`` with a fresh CSRF token taken from ``path`` itself."""
        form = {"csrf_token": self.token(kwargs.pop("token_from", path)), **(data or {})}
        return self.client.post(path, data=form, **kwargs)

    def login(self, email: str = "ada@example.com", password: str = DEFAULT_PASSWORD, remember: bool = False):
        data = {"email": email, "password": password}
        if remember:
            data["remember"] = "y"
        return self.post("/login", data)

    def logout(self):
        return self.post("/logout", token_from="/settings")


@pytest.fixture
def auth(client):
    return AuthActions(client)


@pytest.fixture
def user(app):
    """An activated member, ada@example.com, with the default password."""
    with app.app_context():
        u = make_user(email="ada@example.com", name="Ada Lovelace")
        return {"id": u.id, "email": u.email, "public_id": u.public_id}


def pytest_configure(config):
    config.addinivalue_line("markers", "config(**settings): extra settings for the app fixture")

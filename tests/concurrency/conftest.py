"""Fixtures that start real gunicorn servers against the test session's database and Redis."""

from __future__ import annotations

import uuid

import pytest

from ..conftest import FAST_HASH, REDIS_URL
from .harness import AppServer


@pytest.fixture
def server_settings(app, database_url, instance_dir):
    """ONECLICK_* settings shared by every server of one test: same database, secret and Redis prefix."""
    return {
        "SQLALCHEMY_DATABASE_URI": database_url,
        # The test's own app signs links and tokens with this key too.
        "SECRET_KEY": app.config["SECRET_KEY"],
        "INSTANCE_PATH": str(instance_dir),
        "PUBLIC_URL": "http://oneclick.test",
        "MAIL_BACKEND": "file",
        "PASSWORD_HASH_METHOD": FAST_HASH,
        "SESSION_COOKIE_SECURE": "false",
        "REMEMBER_COOKIE_SECURE": "false",
        "RATELIMIT_STORAGE_URI": REDIS_URL,
        "RATELIMIT_KEY_PREFIX": f"test-{uuid.uuid4().hex}",
    }


@pytest.fixture
def two_servers(server_settings, tmp_path):
    """Two app servers (gunicorn, 2 workers each) on loopback ports sharing one database and one Redis."""
    servers = [AppServer(server_settings, workers=2, log_path=tmp_path / f"gunicorn-{n}.log") for n in (1, 2)]
    try:
        for server in servers:
            server.start()
        yield servers
    finally:
        for server in servers:
            server.stop()

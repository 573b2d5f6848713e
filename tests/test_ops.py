"""Health endpoints and structured request logs."""

from __future__ import annotations

import json
import logging
import uuid

import pytest

from oneclick import create_app
from oneclick.extensions import db

from .conftest import REDIS_URL, _test_config


def _get_and_dispose(app, path):
    """GET ``path`` on a throwaway app, then close its database connections."""
    try:
        return app.test_client().get(path)
    finally:
        with app.app_context():
            db.engine.dispose()


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json == {"status": "ok"}


def test_readyz_checks_the_database(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json["checks"] == {"database": "ok"}


def test_readyz_is_503_when_the_database_is_unreachable(tmp_path, monkeypatch):
    monkeypatch.setenv("ONECLICK_INSTANCE_PATH", str(tmp_path))
    app = create_app(_test_config(f"sqlite:///{tmp_path}/missing/dir/db.sqlite3"))
    response = _get_and_dispose(app, "/readyz")
    assert response.status_code == 503
    assert response.json["checks"]["database"].startswith("error")


def test_readyz_checks_redis_when_limits_live_there(app):
    app.config["RATELIMIT_STORAGE_URI"] = REDIS_URL
    fresh = create_app({**_test_config(app.config["SQLALCHEMY_DATABASE_URI"]), "RATELIMIT_STORAGE_URI": REDIS_URL})
    response = _get_and_dispose(fresh, "/readyz")
    assert response.status_code == 200, response.json
    assert response.json["checks"] == {"database": "ok", "redis": "ok"}


def test_readyz_is_503_when_redis_is_down(app):
    dead = "redis://127.0.0.1:1/0"
    fresh = create_app({**_test_config(app.config["SQLALCHEMY_DATABASE_URI"]), "RATELIMIT_STORAGE_URI": dead,
                        "RATELIMIT_KEY_PREFIX": uuid.uuid4().hex})
    response = _get_and_dispose(fresh, "/readyz")
    assert response.status_code == 503
    assert response.json["checks"]["redis"].startswith("error")


class _Collect(logging.Handler):
    def __init__(self):
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record):
        self.lines.append(record.getMessage())


@pytest.mark.config(REQUEST_LOG=True)
def test_request_log_is_one_json_line_per_request(app, client):
    collect = _Collect()
    logger = logging.getLogger("oneclick.request")
    logger.addHandler(collect)
    try:
        response = client.get("/login?next=/x", headers={"X-Request-Id": "abc123", "User-Agent": "pytest"})
    finally:
        logger.removeHandler(collect)
    entry = json.loads(collect.lines[-1])
    assert entry["method"] == "GET" and entry["path"] == "/login" and entry["status"] == 200
    assert entry["id"] == "abc123" and entry["ua"] == "pytest" and entry["ms"] >= 0
    assert response.headers["X-Request-Id"] == "abc123"


def test_readyz_checks_the_queue_when_it_lives_in_redis(app):
    fresh = create_app({**_test_config(app.config["SQLALCHEMY_DATABASE_URI"]), "QUEUE_URL": REDIS_URL,
                        "QUEUE_NAME": f"ready-{uuid.uuid4().hex[:8]}"})
    response = _get_and_dispose(fresh, "/readyz")
    assert response.status_code == 200, response.json
    assert response.json["checks"]["queue"] == "ok"


def test_readyz_is_503_when_the_queue_is_unreachable(app):
    fresh = create_app({**_test_config(app.config["SQLALCHEMY_DATABASE_URI"]), "QUEUE_URL": "redis://127.0.0.1:1/0"})
    response = _get_and_dispose(fresh, "/readyz")
    assert response.status_code == 503
    assert response.json["checks"]["queue"].startswith("error")

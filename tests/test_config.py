"""Configuration layering, refusal of unsafe settings, and the database engine settings."""

from __future__ import annotations

import os
import stat

import pytest
from werkzeug.security import check_password_hash

from oneclick import create_app
from oneclick.config import ConfigError
from oneclick.extensions import db


@pytest.fixture
def instance(tmp_path, monkeypatch):
    monkeypatch.setenv("ONECLICK_INSTANCE_PATH", str(tmp_path))
    for key in list(os.environ):
        if key.startswith("ONECLICK_") and key != "ONECLICK_INSTANCE_PATH":
            monkeypatch.delenv(key)
    return tmp_path


def test_secret_key_is_generated_once_with_private_permissions(instance):
    first = create_app()
    key_file = instance / "secret_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert len(first.config["SECRET_KEY"]) >= 48
    assert create_app().config["SECRET_KEY"] == first.config["SECRET_KEY"]


def test_embedded_default_is_sqlite_in_the_instance_folder(instance):
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{instance / 'oneclick.sqlite3'}"


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(instance):
    app = create_app({"SQLITE_BUSY_TIMEOUT_MS": 4321})
    with app.app_context(), db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 4321
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    with app.app_context():
        db.engine.dispose()


def test_layering_defaults_instance_file_env_then_test_config(instance, monkeypatch):
    (instance / "config.py").write_text('PUBLIC_URL = "https://from-file.example"\nMAIL_FROM = "file@example.com"\n'
                                        'INVITE_LINK_TEST = "file"\n')
    assert create_app().config["PUBLIC_URL"] == "https://from-file.example"
    monkeypatch.setenv("ONECLICK_PUBLIC_URL", "https://from-env.example/")
    monkeypatch.setenv("ONECLICK_RATELIMIT_ENABLED", "false")
    monkeypatch.setenv("ONECLICK_SECRET_KEY_FALLBACKS", '["an-old-key-that-is-long"]')
    app = create_app()
    assert app.config["PUBLIC_URL"] == "https://from-env.example"  # trailing slash trimmed
    assert app.config["MAIL_FROM"] == "file@example.com"
    assert app.config["RATELIMIT_ENABLED"] is False
    assert app.config["SECRET_KEY_FALLBACKS"] == ["an-old-key-that-is-long"]
    assert create_app({"PUBLIC_URL": "https://from-test.example"}).config["PUBLIC_URL"] == "https://from-test.example"


@pytest.mark.parametrize("fallbacks", ["old-key", '"old-key"', "{}", "[1]", '[""]'])
def test_fallbacks_that_are_not_a_list_are_refused(instance, monkeypatch, fallbacks):
    monkeypatch.setenv("ONECLICK_SECRET_KEY_FALLBACKS", fallbacks)
    with pytest.raises(ConfigError, match="SECRET_KEY_FALLBACKS must be a list"):
        create_app()


def test_dev_secret_is_refused_outside_debug(instance, monkeypatch):
    monkeypatch.setenv("ONECLICK_SECRET_KEY", "dev")
    with pytest.raises(ConfigError, match="development SECRET_KEY"):
        create_app()
    monkeypatch.setenv("ONECLICK_DEBUG", "true")
    assert create_app().config["SECRET_KEY"] == "dev"


def test_public_url_must_be_http(instance):
    with pytest.raises(ConfigError, match="PUBLIC_URL"):
        create_app({"PUBLIC_URL": "javascript:alert(1)"})


def test_cookies_are_secure_outside_debug(instance):
    app = create_app()
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["REMEMBER_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert app.config["REMEMBER_COOKIE_SAMESITE"] == "Lax"


def test_production_password_hash_is_scrypt(instance):
    app = create_app()
    from oneclick.auth.services import hash_password

    with app.app_context():
        hashed = hash_password("a long enough password")
    assert hashed.startswith("scrypt:32768:8:1$")
    assert check_password_hash(hashed, "a long enough password")


def test_proxy_fix_only_when_configured(instance):
    assert type(create_app().wsgi_app).__name__ != "ProxyFix"
    assert type(create_app({"PROXY_FIX_X_FOR": 1}).wsgi_app).__name__ == "ProxyFix"


# --- A configured length never exceeds its column (oneclick/limits.py) -----------------------------------------


@pytest.mark.parametrize("value", [301, 1000, 0, -5, "300", True])
def test_an_invite_message_limit_beyond_its_column_is_refused_at_start_up(instance, value):
    with pytest.raises(ConfigError, match=r"INVITE_MESSAGE_MAX=.* invitations\.message holds at most 300"):
        create_app({"INVITE_MESSAGE_MAX": value})


def test_the_environment_is_checked_too(instance, monkeypatch):
    monkeypatch.setenv("ONECLICK_INVITE_MESSAGE_MAX", "500")
    with pytest.raises(ConfigError, match="INVITE_MESSAGE_MAX"):
        create_app()


@pytest.mark.parametrize("value", [1, 50, 300])
def test_an_invite_message_limit_within_its_column_starts(instance, value):
    assert create_app({"INVITE_MESSAGE_MAX": value}).config["INVITE_MESSAGE_MAX"] == value

"""The Alembic migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

import uuid

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from oneclick import create_app
from oneclick.extensions import db

from .conftest import PG_URL, _test_config


def _fresh_database_url(tmp_path):
    if not PG_URL:
        return f"sqlite:///{tmp_path / 'migrations.sqlite3'}", None
    schema = f"mig_{uuid.uuid4().hex[:12]}"
    engine = sa.create_engine(PG_URL)
    with engine.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    sep = "&" if "?" in PG_URL else "?"
    return f"{PG_URL}{sep}options=-csearch_path%3D{schema}", (engine, schema)


def test_upgrade_matches_models_and_downgrades(tmp_path, monkeypatch):
    monkeypatch.setenv("ONECLICK_INSTANCE_PATH", str(tmp_path))
    url, cleanup = _fresh_database_url(tmp_path)
    app = create_app({**_test_config(url)})
    try:
        with app.app_context():
            upgrade()
            with db.engine.connect() as conn:
                diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
            assert diff == [], f"models and migrations differ: {diff}"
            downgrade(revision="base")
            assert sa.inspect(db.engine).get_table_names() == ["alembic_version"]
            db.engine.dispose()
    finally:
        if cleanup:
            engine, schema = cleanup
            with engine.begin() as conn:
                conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
            engine.dispose()


INITIAL = "64215f37690c"
NOW = "2026-11-30 12:00:00+00:00"


class MigrationDB:
    """A fresh database driven revision by revision, for upgrade tests that carry real rows across."""

    def __init__(self, app):
        self.app = app

    def upgrade(self, revision="head"):
        with self.app.app_context():
            upgrade(revision=revision)
            db.engine.dispose()

    def execute(self, sql, **params):
        with self.app.app_context():
            with db.engine.begin() as conn:
                conn.execute(sa.text(sql), params)
            db.engine.dispose()

    def rows(self, sql, **params):
        with self.app.app_context():
            with db.engine.connect() as conn:
                out = [tuple(r) for r in conn.execute(sa.text(sql), params)]
            db.engine.dispose()
        return out


@pytest.fixture
def migration_db(tmp_path, monkeypatch):
    """Yield a MigrationDB on an empty SQLite file or PostgreSQL schema (ONECLICK_TEST_DATABASE_URL)."""
    monkeypatch.setenv("ONECLICK_INSTANCE_PATH", str(tmp_path))
    url, cleanup = _fresh_database_url(tmp_path)
    try:
        yield MigrationDB(create_app({**_test_config(url)}))
    finally:
        if cleanup:
            engine, schema = cleanup
            with engine.begin() as conn:
                conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
            engine.dispose()


def seed_initial(mdb: MigrationDB) -> None:
    """Fill the initial schema with one of everything a released instance holds."""
    u = dict(is_admin=False, vanity=False, mode="never", at=NOW)
    for uid, email, verified in ((1, "ada@example.com", NOW), (2, "bob@example.com", None)):
        mdb.execute(
            "INSERT INTO users (id, public_id, email, name, headline, handle, password_hash, session_token, is_admin,"
            " created_at, email_verified_at, vanity_enabled, notify_mode) VALUES (:id, :pid, :email, :name, '',"
            " NULL, 'x', :tok, :is_admin, :at, :verified, :vanity, :mode)",
            id=uid, pid=f"pub{uid}", email=email, name=email.split("@")[0], tok=f"tok{uid}", verified=verified, **u,
        )
    mdb.execute(
        "INSERT INTO invite_links (id, public_id, version, owner_id, label, channel, message, auto_accept, active,"
        " is_primary, created_at) VALUES (1, 'lnk1', 1, 1, 'Slides', 'slides', '', :f, :t, :t, :at)",
        f=False, t=True, at=NOW,
    )
    mdb.execute(
        "INSERT INTO connection_requests (id, owner_id, link_id, requester_id, requester_email, name, note, status,"
        " created_at) VALUES (1, 1, 1, NULL, 'ivy@example.com', 'Ivy', 'hi', 'pending', :at),"
        " (2, 1, 1, NULL, 'joe@example.com', 'Joe', '', 'accepted', :at)",
        at=NOW,
    )
    mdb.execute(
        "INSERT INTO connections (id, owner_id, member_id, email, name, source, link_id, created_at)"
        " VALUES (1, 1, NULL, 'joe@example.com', 'Joe', 'link', 1, :at)",
        at=NOW,
    )
    mdb.execute(
        "INSERT INTO invitations (id, public_id, sender_id, recipient_id, recipient_email, recipient_name, how_known,"
        " message, status, created_at, deleted_by_sender) VALUES (1, 'inv1', 1, 2, 'bob@example.com', 'Bob',"
        " 'colleague', '', 'pending', :at, :f)",
        at=NOW, f=False,
    )


def test_upgrade_from_initial_keeps_released_data(migration_db):
    """Every migration after the first upgrades a database holding released data without losing a row."""
    migration_db.upgrade(INITIAL)
    seed_initial(migration_db)
    migration_db.upgrade("head")
    assert migration_db.rows("SELECT email FROM users ORDER BY id") == [("ada@example.com",), ("bob@example.com",)]
    assert migration_db.rows("SELECT count(*) FROM connection_requests") == [(2,)]
    assert migration_db.rows("SELECT email FROM connections") == [("joe@example.com",)]
    assert migration_db.rows("SELECT recipient_email FROM invitations") == [("bob@example.com",)]


def test_upgrade_accounts_backfills_activation_time_and_captcha_purpose(migration_db):
    """Accounts slot: unverified accounts get their creation time as last activation mail; captchas stay invitations."""
    migration_db.upgrade(INITIAL)
    seed_initial(migration_db)
    migration_db.execute(
        "INSERT INTO captchas (id, user_id, kind, answer_hash, challenge, created_at, expires_at)"
        " VALUES ('cap1', 1, 'image', :h, :c, :at, :at)",
        h="0" * 64, c=b"png", at=NOW,
    )
    migration_db.upgrade("b1a0c0de0001")
    rows = migration_db.rows("SELECT email, activation_sent_at FROM users ORDER BY id")
    assert rows[0] == ("ada@example.com", None)  # verified: no activation pending
    assert rows[1][0] == "bob@example.com" and rows[1][1] is not None
    assert str(rows[1][1]).startswith("2026-11-30 12:00:00")
    assert migration_db.rows("SELECT id, user_id, purpose FROM captchas") == [("cap1", 1, "invite")]
    # A sign-in captcha belongs to no account.
    migration_db.execute(
        "INSERT INTO captchas (id, user_id, purpose, kind, answer_hash, challenge, created_at, expires_at)"
        " VALUES ('cap2', NULL, 'login', 'image', :h, :c, :at, :at)",
        h="0" * 64, c=b"png", at=NOW,
    )
    migration_db.upgrade("head")
    assert migration_db.rows("SELECT id FROM captchas ORDER BY id") == [("cap1",), ("cap2",)]

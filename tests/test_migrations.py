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


def test_upgrade_captcha_invitations_by_address_and_one_live_captcha(migration_db):
    """b1a0c0de0003: invitations to an unverified account are detached and marked as typed addresses; of a
    member's several unanswered captchas only the newest stays, answered ones go."""
    migration_db.upgrade("b1a0c0de0002")
    seed_initial(migration_db)  # invitation 1: ada -> bob, whose account was never verified
    migration_db.execute(
        "INSERT INTO invitations (id, public_id, sender_id, recipient_id, recipient_email, recipient_name, how_known,"
        " message, status, created_at, deleted_by_sender) VALUES (2, 'inv2', 2, 1, 'ada@example.com', 'Ada',"
        " 'friend', '', 'pending', :at, :f), (3, 'inv3', 1, NULL, 'new@example.org', 'New', 'friend', '',"
        " 'pending', :at, :f)",
        at=NOW, f=False,
    )
    for cid, created, used in (("old", "2026-11-30 12:00:00+00:00", None), ("new", "2026-11-30 12:05:00+00:00", None),
                               ("spent", "2026-11-30 12:06:00+00:00", NOW)):
        migration_db.execute(
            "INSERT INTO captchas (id, user_id, purpose, kind, answer_hash, challenge, created_at, expires_at, used_at)"
            " VALUES (:id, 1, 'invite', 'image', 'h', :png, :created, '2026-11-30 13:00:00+00:00', :used)",
            id=cid, png=b"png", created=created, used=used,
        )
    migration_db.upgrade("head")
    assert migration_db.rows(
        "SELECT id, recipient_id, addressed_by_email FROM invitations ORDER BY id"
    ) == [(1, None, True), (2, 1, False), (3, None, True)]
    assert migration_db.rows("SELECT id FROM captchas") == [("new",)]
    with pytest.raises(sa.exc.IntegrityError):  # a second live captcha for the same member and purpose
        migration_db.execute(
            "INSERT INTO captchas (id, user_id, purpose, kind, answer_hash, challenge, created_at, expires_at)"
            " VALUES ('two', 1, 'invite', 'image', 'h', :png, :at, :at)",
            png=b"png", at=NOW,
        )
    with migration_db.app.app_context():
        db.engine.dispose()  # the failed insert skipped MigrationDB.execute's own dispose


def test_upgrade_guests_keeps_old_guest_requests_unconfirmed(migration_db):
    """b1a0c0de0002: a member's request counts as confirmed (sent from a verified account); a guest's request
    from before the double opt-in stays in the inbox but is not marked confirmed (nobody proved the address),
    so it never follows anyone into an account. Guest confirmations start empty."""
    migration_db.upgrade("b1a0c0de0001")
    seed_initial(migration_db)  # requests 1 (Ivy, pending) and 2 (Joe, accepted): both guests
    migration_db.execute(
        "INSERT INTO connection_requests (id, owner_id, link_id, requester_id, requester_email, name, note, status,"
        " created_at) VALUES (3, 2, NULL, 1, 'ada@example.com', 'Ada', '', 'pending', :at)",
        at=NOW,
    )
    migration_db.upgrade("b1a0c0de0002")
    rows = migration_db.rows(
        "SELECT id, status, email_confirmed_at IS NOT NULL FROM connection_requests ORDER BY id"
    )
    expected = [(1, "pending", False), (2, "accepted", False), (3, "pending", True)]
    assert [(i, s, bool(c)) for i, s, c in rows] == expected
    assert migration_db.rows("SELECT count(*) FROM guest_confirmations") == [(0,)]
    migration_db.execute(
        "INSERT INTO guest_confirmations (public_id, owner_id, link_id, email, name, note, created_at, sent_at)"
        " VALUES ('g1', 1, 1, 'ivy@example.com', 'Ivy', '', :at, :at)",
        at=NOW,
    )
    with pytest.raises(sa.exc.IntegrityError):  # one unconfirmed request per (owner, address)
        migration_db.execute(
            "INSERT INTO guest_confirmations (public_id, owner_id, link_id, email, name, note, created_at, sent_at)"
            " VALUES ('g2', 1, 1, 'ivy@example.com', 'Ivy', '', :at, :at)",
            at=NOW,
        )
    with migration_db.app.app_context():
        db.engine.dispose()
    migration_db.upgrade("head")
    assert migration_db.rows("SELECT count(*) FROM connection_requests") == [(3,)]


def test_upgrade_matches_models_and_downgrades(migration_db):
    """The migrations build exactly the models' schema, and take it all down again."""
    with migration_db.app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
        assert diff == [], f"models and migrations differ: {diff}"
        downgrade(revision="base")
        assert sa.inspect(db.engine).get_table_names() == ["alembic_version"]
        db.engine.dispose()

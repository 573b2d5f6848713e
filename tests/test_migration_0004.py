"""b1a0c0de0004 (notifications and link warnings) upgrades a database with data, on SQLite and PostgreSQL.

Members kept from before keep the notification choice stored for them (they may have made it); a member created
afterwards without naming one gets instant mails (the model's default, and the column's default on PostgreSQL).
The two new tables start empty and hold one warning per link and kind.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from oneclick.extensions import db

from .test_migrations import NOW, migration_db, seed_initial  # noqa: F401 - migration_db is a fixture


def test_upgrade_keeps_every_members_choice_and_adds_empty_tables(migration_db):  # noqa: F811
    migration_db.upgrade("b1a0c0de0003")
    seed_initial(migration_db)  # ada and bob, stored with notify_mode "never" by the first release
    migration_db.execute("UPDATE users SET notify_mode = 'off' WHERE id = 1")
    migration_db.execute("UPDATE users SET notify_mode = 'daily' WHERE id = 2")
    migration_db.upgrade("b1a0c0de0004")
    assert migration_db.rows("SELECT id, notify_mode FROM users ORDER BY id") == [(1, "off"), (2, "daily")]
    assert migration_db.rows("SELECT count(*) FROM connection_requests") == [(2,)]
    assert migration_db.rows("SELECT count(*) FROM invitations") == [(1,)]
    assert migration_db.rows("SELECT count(*) FROM notifications") == [(0,)]
    assert migration_db.rows("SELECT count(*) FROM link_warnings") == [(0,)]

    migration_db.execute(
        "INSERT INTO notifications (user_id, kind, subject_id, payload, created_at) VALUES"
        " (1, 'request_received', 1, :payload, :at)",
        payload='{"name": "Ivy", "link": "Slides", "auto": false}', at=NOW,
    )
    assert migration_db.rows("SELECT user_id, kind, read_at FROM notifications") == [(1, "request_received", None)]
    migration_db.execute(
        "INSERT INTO link_warnings (link_id, kind, fired_for, fired_at) VALUES (1, 'requests', '10', :at)", at=NOW
    )
    with pytest.raises(sa.exc.IntegrityError):  # once per link and kind
        migration_db.execute(
            "INSERT INTO link_warnings (link_id, kind, fired_for, fired_at) VALUES (1, 'requests', '20', :at)", at=NOW
        )
    with migration_db.app.app_context():
        db.engine.dispose()

    migration_db.upgrade("head")
    assert migration_db.rows("SELECT count(*) FROM notifications") == [(1,)]
    assert migration_db.rows("SELECT count(*) FROM connection_requests") == [(2,)]


def test_a_member_created_after_the_upgrade_gets_instant_mails(migration_db):  # noqa: F811
    migration_db.upgrade("head")  # the model writes every column, so the schema must be complete
    with migration_db.app.app_context():
        from oneclick.auth import services as accounts

        accounts.create_user("new@example.com", "New Member", "a long enough password")
        mode = db.session.execute(sa.text("SELECT notify_mode FROM users")).scalar_one()
        db.session.remove()
        is_pg = db.engine.dialect.name == "postgresql"
        db.engine.dispose()
    assert mode == "instant"
    if is_pg:  # a row written without the column (another tool, raw SQL) gets the same default
        migration_db.execute(
            "INSERT INTO users (public_id, email, name, headline, password_hash, session_token, is_admin, created_at,"
            " vanity_enabled) VALUES ('raw', 'raw@example.com', 'Raw', '', 'x', 't', false, :at, true)", at=NOW
        )
        assert migration_db.rows("SELECT notify_mode FROM users WHERE public_id = 'raw'") == [("instant",)]


def test_downgrade_drops_the_tables_and_keeps_the_members(migration_db):  # noqa: F811
    migration_db.upgrade("b1a0c0de0004")
    seed_initial(migration_db)
    migration_db.upgrade("b1a0c0de0004")
    with migration_db.app.app_context():
        from flask_migrate import downgrade

        downgrade(revision="b1a0c0de0003")
        names = sa.inspect(db.engine).get_table_names()
        db.engine.dispose()
    assert "notifications" not in names and "link_warnings" not in names
    assert migration_db.rows("SELECT count(*) FROM users") == [(2,)]

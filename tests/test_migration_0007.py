"""b1a0c0de0007: the mail outbox arrives empty beside released data, with its defaults and its unique key."""

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade

from oneclick.extensions import db

from .test_migrations import NOW, migration_db, seed_initial  # noqa: F401 - migration_db is a fixture


def test_upgrade_adds_an_empty_outbox_and_keeps_every_row(migration_db):  # noqa: F811
    migration_db.upgrade("b1a0c0de0006")
    seed_initial(migration_db)
    migration_db.upgrade("b1a0c0de0007")
    assert migration_db.rows("SELECT email FROM users ORDER BY id") == [("ada@example.com",), ("bob@example.com",)]
    assert migration_db.rows("SELECT count(*) FROM connection_requests") == [(2,)]
    assert migration_db.rows("SELECT recipient_email FROM invitations") == [("bob@example.com",)]
    assert migration_db.rows("SELECT count(*) FROM mail_outbox") == [(0,)]
    # A row written with only what a writer must give gets the defaults: pending, no attempt, no error, not sent.
    migration_db.execute(
        "INSERT INTO mail_outbox (idempotency_key, to_address, subject, body, next_attempt_at, created_at)"
        " VALUES ('k1', 'ada@example.com', 'Hi', 'Body', :at, :at)",
        at=NOW,
    )
    assert migration_db.rows("SELECT status, attempts, last_error, sent_at, html FROM mail_outbox") == [
        ("pending", 0, None, None, None)
    ]
    with pytest.raises(sa.exc.IntegrityError):  # one row per idempotency key
        migration_db.execute(
            "INSERT INTO mail_outbox (idempotency_key, to_address, subject, body, next_attempt_at, created_at)"
            " VALUES ('k1', 'bob@example.com', 'Hi', 'Body', :at, :at)",
            at=NOW,
        )
    with pytest.raises(sa.exc.IntegrityError):  # only the four states
        migration_db.execute(
            "INSERT INTO mail_outbox (idempotency_key, to_address, subject, body, status, next_attempt_at, created_at)"
            " VALUES ('k2', 'bob@example.com', 'Hi', 'Body', 'lost', :at, :at)",
            at=NOW,
        )
    with migration_db.app.app_context():
        db.engine.dispose()  # the failed inserts skipped MigrationDB.execute's own dispose
    with migration_db.app.app_context():  # and down again: the table goes, the rest stays
        downgrade(revision="b1a0c0de0006")
        assert "mail_outbox" not in sa.inspect(db.engine).get_table_names()
        db.engine.dispose()
    assert migration_db.rows("SELECT count(*) FROM users") == [(2,)]

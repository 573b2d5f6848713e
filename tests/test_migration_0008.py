"""b1a0c0de0008: the webhook tables arrive empty beside released data, with their defaults, keys and cascades."""

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade

from oneclick.extensions import db

from .test_migrations import NOW, migration_db, seed_initial  # noqa: F401 - migration_db is a fixture


def test_upgrade_adds_empty_webhook_tables_and_keeps_every_row(migration_db):  # noqa: F811
    migration_db.upgrade("b1a0c0de0007")
    seed_initial(migration_db)
    migration_db.upgrade("b1a0c0de0008")
    assert migration_db.rows("SELECT email FROM users ORDER BY id") == [("ada@example.com",), ("bob@example.com",)]
    assert migration_db.rows("SELECT count(*) FROM connection_requests") == [(2,)]
    assert migration_db.rows("SELECT count(*) FROM webhook_endpoints") == [(0,)]
    assert migration_db.rows("SELECT count(*) FROM webhook_deliveries") == [(0,)]
    [(ada,)] = migration_db.rows("SELECT id FROM users WHERE email = 'ada@example.com'")
    # Rows written with only what a writer must give get the defaults: active, pending, no attempt yet.
    migration_db.execute(
        "INSERT INTO webhook_endpoints (owner_id, url, events, secret, created_at)"
        " VALUES (:ada, 'https://example.com/h', 'link.paused', 'enc', :at)", ada=ada, at=NOW,
    )
    [(endpoint,)] = migration_db.rows("SELECT id FROM webhook_endpoints")
    migration_db.execute(
        "INSERT INTO webhook_deliveries (endpoint_id, message_id, event, payload, next_attempt_at, created_at)"
        " VALUES (:e, 'msg_1', 'link.paused', '{}', :at, :at)", e=endpoint, at=NOW,
    )
    assert migration_db.rows("SELECT active, failing_since, disabled_at FROM webhook_endpoints") in (
        [(True, None, None)], [(1, None, None)])
    assert migration_db.rows("SELECT status, attempts, response_code, last_error FROM webhook_deliveries") == [
        ("pending", 0, None, None)
    ]
    with pytest.raises(sa.exc.IntegrityError):  # one row per webhook-id
        migration_db.execute(
            "INSERT INTO webhook_deliveries (endpoint_id, message_id, event, payload, next_attempt_at, created_at)"
            " VALUES (:e, 'msg_1', 'link.paused', '{}', :at, :at)", e=endpoint, at=NOW,
        )
    with pytest.raises(sa.exc.IntegrityError):  # only the four states
        migration_db.execute(
            "INSERT INTO webhook_deliveries (endpoint_id, message_id, event, payload, status, next_attempt_at,"
            " created_at) VALUES (:e, 'msg_2', 'link.paused', '{}', 'lost', :at, :at)", e=endpoint, at=NOW,
        )
    with migration_db.app.app_context():
        db.engine.dispose()
    with migration_db.app.app_context():  # and down again: the tables go, the rest stays
        downgrade(revision="b1a0c0de0007")
        names = sa.inspect(db.engine).get_table_names()
        assert "webhook_endpoints" not in names and "webhook_deliveries" not in names
        db.engine.dispose()
    assert migration_db.rows("SELECT count(*) FROM users") == [(2,)]

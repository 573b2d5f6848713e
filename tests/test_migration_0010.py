"""b1a0c0de0010: the guest erasure table arrives empty beside released data, keyed by digest, and goes again."""

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade

from oneclick.extensions import db

from .test_migrations import NOW, migration_db, seed_initial  # noqa: F401 - migration_db is a fixture


def test_upgrade_adds_the_guest_erasures_table_and_keeps_every_row(migration_db):  # noqa: F811
    migration_db.upgrade("b1a0c0de0009")
    seed_initial(migration_db)
    migration_db.upgrade("b1a0c0de0010")
    assert migration_db.rows("SELECT email FROM users ORDER BY id") == [("ada@example.com",), ("bob@example.com",)]
    assert migration_db.rows("SELECT count(*) FROM connection_requests") == [(2,)]
    assert migration_db.rows("SELECT count(*) FROM guest_erasures") == [(0,)]
    migration_db.execute("INSERT INTO guest_erasures (digest, erased_at) VALUES ('d1', :at)", at=NOW)
    with pytest.raises(sa.exc.IntegrityError):  # one row per address
        migration_db.execute("INSERT INTO guest_erasures (digest, erased_at) VALUES ('d1', :at)", at=NOW)
    with migration_db.app.app_context():
        db.engine.dispose()
    with migration_db.app.app_context():
        downgrade(revision="b1a0c0de0009")
        assert "guest_erasures" not in sa.inspect(db.engine).get_table_names()
        db.engine.dispose()
    assert migration_db.rows("SELECT count(*) FROM users") == [(2,)]

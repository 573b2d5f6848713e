"""b1a0c0de0006: click sources arrive empty beside released data; counts default to 0, one row per bucket, and
they go with their link."""

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade

from oneclick.extensions import db

from .test_migrations import migration_db, seed_initial  # noqa: F401 - migration_db is a fixture


def test_upgrade_adds_an_empty_source_table_and_keeps_every_row(migration_db):  # noqa: F811
    migration_db.upgrade("b1a0c0de0005")
    seed_initial(migration_db)
    migration_db.execute("INSERT INTO link_daily_stats (link_id, day, clicks) VALUES (1, '2026-11-30', 7)")
    migration_db.upgrade("b1a0c0de0006")
    assert migration_db.rows("SELECT email FROM users ORDER BY id") == [("ada@example.com",), ("bob@example.com",)]
    assert migration_db.rows("SELECT count(*) FROM connection_requests") == [(2,)]
    assert migration_db.rows("SELECT clicks FROM link_daily_stats") == [(7,)]
    assert migration_db.rows("SELECT count(*) FROM link_source_stats") == [(0,)]
    # A row with only its key gets a count of 0; each bucket of a link's day is one row.
    migration_db.execute(
        "INSERT INTO link_source_stats (link_id, day, kind, value) VALUES (1, '2026-11-30', 'referrer', 'direct')")
    migration_db.execute(
        "INSERT INTO link_source_stats (link_id, day, kind, value, count) VALUES (1, '2026-11-30', 'device', "
        "'phone', 3)")
    assert migration_db.rows("SELECT kind, value, count FROM link_source_stats ORDER BY kind") == [
        ("device", "phone", 3), ("referrer", "direct", 0)]
    for sql in (
        # one row per (link, day, kind, value)
        "INSERT INTO link_source_stats (link_id, day, kind, value) VALUES (1, '2026-11-30', 'device', 'phone')",
        # only the three kinds
        "INSERT INTO link_source_stats (link_id, day, kind, value) VALUES (1, '2026-11-30', 'ip', '203.0.113.1')",
    ):
        with pytest.raises(sa.exc.IntegrityError):
            migration_db.execute(sql)
        with migration_db.app.app_context():
            db.engine.dispose()  # the failed insert skipped MigrationDB.execute's own dispose
    # The counts go with their link.
    migration_db.execute("DELETE FROM invite_links WHERE id = 1")
    assert migration_db.rows("SELECT count(*) FROM link_source_stats") == [(0,)]
    with migration_db.app.app_context():  # and down again: the table goes, the rest stays
        downgrade(revision="b1a0c0de0005")
        assert "link_source_stats" not in sa.inspect(db.engine).get_table_names()
        db.engine.dispose()
    assert migration_db.rows("SELECT count(*) FROM users") == [(2,)]

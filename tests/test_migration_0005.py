"""b1a0c0de0005: links gain an optional stable short path (slug, unique per owner) and share_stable (false)."""

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade

from oneclick.extensions import db

from .test_migrations import NOW, migration_db, seed_initial  # noqa: F401 - migration_db is a fixture

INSERT_LINK = (
    "INSERT INTO invite_links (id, public_id, version, owner_id, label, channel, message, auto_accept, active,"
    " is_primary, created_at, slug) VALUES (:id, :pid, 1, :owner, 'L', 'other', '', :f, :t, :f, :at, :slug)"
)


def test_links_keep_their_rows_and_share_their_token_url(migration_db):  # noqa: F811
    migration_db.upgrade("b1a0c0de0004")
    seed_initial(migration_db)  # link 1 of ada: "Slides", primary
    migration_db.upgrade("b1a0c0de0005")
    assert migration_db.rows("SELECT id, label, version, slug, share_stable FROM invite_links") == [
        (1, "Slides", 1, None, False)
    ]
    migration_db.execute("UPDATE invite_links SET slug = 'slides', share_stable = :t WHERE id = 1", t=True)
    # Several links without a slug, and the same slug for another owner, are fine.
    migration_db.execute(INSERT_LINK, id=2, pid="lnk2", owner=1, slug=None, f=False, t=True, at=NOW)
    migration_db.execute(INSERT_LINK, id=3, pid="lnk3", owner=1, slug=None, f=False, t=True, at=NOW)
    migration_db.execute(INSERT_LINK, id=4, pid="lnk4", owner=2, slug="slides", f=False, t=True, at=NOW)
    assert migration_db.rows("SELECT id, share_stable FROM invite_links WHERE id = 4") == [(4, False)]
    with pytest.raises(sa.exc.IntegrityError):  # the same slug twice for one owner
        migration_db.execute(INSERT_LINK, id=5, pid="lnk5", owner=1, slug="slides", f=False, t=True, at=NOW)
    with migration_db.app.app_context():
        db.engine.dispose()  # the failed insert skipped MigrationDB.execute's own dispose


def test_downgrade_drops_the_paths_and_keeps_the_links(migration_db):  # noqa: F811
    migration_db.upgrade("b1a0c0de0005")
    seed_initial(migration_db)
    migration_db.execute("UPDATE invite_links SET slug = 'slides' WHERE id = 1")
    with migration_db.app.app_context():
        downgrade(revision="b1a0c0de0004")
        db.engine.dispose()
    assert migration_db.rows("SELECT id, label FROM invite_links") == [(1, "Slides")]

"""b1a0c0de0009: contact cards arrive empty; kept links share name and headline only, kept rows share nothing new."""

from flask_migrate import downgrade

from oneclick.extensions import db

from .test_migrations import NOW, migration_db, seed_initial  # noqa: F401 - migration_db is a fixture


def test_upgrade_keeps_every_row_with_the_safe_defaults(migration_db):  # noqa: F811
    migration_db.upgrade("b1a0c0de0008")
    seed_initial(migration_db)
    migration_db.upgrade("b1a0c0de0009")
    assert migration_db.rows("SELECT email, photo_etag FROM users ORDER BY id") == [
        ("ada@example.com", None), ("bob@example.com", None)]
    # A kept link shares only what its page already showed (name, headline) and offers no "Save contact".
    assert migration_db.rows("SELECT label, card_fields, public_fields FROM invite_links") == [
        ("Slides", "name,headline", "")]
    assert migration_db.rows("SELECT id, share_fields, shared_card FROM connection_requests ORDER BY id") == [
        (1, "", None), (2, "", None)]
    assert migration_db.rows("SELECT name, card_fields, card FROM connections") == [("Joe", "", None)]
    assert migration_db.rows("SELECT count(*) FROM contact_cards") == [(0,)]
    migration_db.execute(
        "INSERT INTO contact_cards (user_id, organisation, work_email, personal_email, phone, website, linkedin,"
        " mastodon, github, x, updated_at) VALUES (1, 'Engines', '', '', '+44 1', '', '', '', '', '', :at)",
        at=NOW,
    )
    migration_db.execute("DELETE FROM users WHERE id = 1")  # the card goes with its member
    assert migration_db.rows("SELECT count(*) FROM contact_cards") == [(0,)]


def test_downgrade_drops_the_cards_and_keeps_the_rows(migration_db):  # noqa: F811
    migration_db.upgrade("b1a0c0de0009")
    seed_initial(migration_db)
    migration_db.execute("UPDATE invite_links SET card_fields = 'name,phone' WHERE id = 1")
    with migration_db.app.app_context():
        downgrade(revision="b1a0c0de0008")
        db.engine.dispose()
    assert migration_db.rows("SELECT id, label FROM invite_links") == [(1, "Slides")]
    assert migration_db.rows("SELECT count(*) FROM connections") == [(1,)]

"""Small database helpers shared by the features."""

from __future__ import annotations

from sqlalchemy.dialects import postgresql, sqlite


def insert_for(bind):
    """Return the dialect's ``insert`` construct (the one with ``on_conflict_do_nothing/update``).

    ``bind`` is a Session, Connection or Engine, or a dialect name (to build a statement once per dialect and
    cache it, as clicks.py does). PostgreSQL gets its own; anything else SQLite's.
    """
    if not isinstance(bind, str):
        bind = (bind.get_bind() if hasattr(bind, "get_bind") else bind).dialect.name
    return postgresql.insert if bind == "postgresql" else sqlite.insert

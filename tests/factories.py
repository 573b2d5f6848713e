"""Data factories: ``make_user(**overrides)`` and friends, writing real rows."""

from __future__ import annotations

import itertools

from oneclick.auth import services
from oneclick.extensions import db

DEFAULT_PASSWORD = "correct horse battery"
_seq = itertools.count(1)


def make_user(**overrides):
    """Create an activated member; any column may be overridden."""
    n = next(_seq)
    email = overrides.pop("email", f"member{n}@example.com")
    name = overrides.pop("name", f"Member {n}")
    password = overrides.pop("password", DEFAULT_PASSWORD)
    admin = overrides.pop("is_admin", False)
    verified = overrides.pop("verified", True)
    user = services.create_user(email, name, password, admin=admin, verified=verified)
    for key, value in overrides.items():
        setattr(user, key, value)
    if overrides:
        db.session.commit()
    return user

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


def make_invite_link(owner, **overrides):
    """Create a link owned by ``owner`` and return ``(link, token)``; any column may be overridden."""
    from oneclick.models import InviteLink
    from oneclick.tokens import sign_link

    n = next(_seq)
    link = InviteLink(owner_id=owner.id, label=overrides.pop("label", f"Link {n}"), **overrides)
    db.session.add(link)
    db.session.commit()
    return link, sign_link(link.public_id, link.version)


def make_request(owner, link=None, **overrides):
    """Create a connection request to ``owner`` (pending unless ``status`` says otherwise)."""
    from oneclick.clock import utcnow
    from oneclick.models import ConnectionRequest

    n = next(_seq)
    req = ConnectionRequest(
        owner_id=owner.id,
        link_id=link.id if link is not None else None,
        requester_email=overrides.pop("requester_email", f"guest{n}@example.com"),
        name=overrides.pop("name", f"Guest {n}"),
        created_at=overrides.pop("created_at", utcnow()),
        **overrides,
    )
    db.session.add(req)
    db.session.commit()
    return req


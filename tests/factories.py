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


# --- Outbound invitations ------------------------------------------------------------------------------------


def make_invitation(sender, recipient=None, **overrides):
    """Write an invitation row directly (no quota counting): for lists, foreign-id and history tests."""
    from oneclick.clock import utcnow
    from oneclick.models import Invitation

    email = overrides.pop("recipient_email", None) or (recipient.email if recipient is not None else None)
    if email is None:
        email = f"guest{next(_seq)}@example.org"
    inv = Invitation(
        sender_id=sender.id,
        recipient_id=recipient.id if recipient is not None else None,
        recipient_email=email,
        recipient_name=overrides.pop("recipient_name", recipient.name if recipient is not None else ""),
        how_known=overrides.pop("how_known", "colleague"),
        message=overrides.pop("message", "We met at the conference."),
        status=overrides.pop("status", "pending"),
        created_at=overrides.pop("created_at", utcnow()),
        **overrides,
    )
    db.session.add(inv)
    db.session.commit()
    return inv


def set_quota(user, **fields):
    """Create or update the member's invitation counters."""
    from oneclick.models import MemberQuota

    row = db.session.get(MemberQuota, user.id)
    if row is None:
        row = MemberQuota(user_id=user.id)
        db.session.add(row)
    for key, value in fields.items():
        setattr(row, key, value)
    db.session.commit()
    return row


# --- JSON API --------------------------------------------------------------------------------------------------


def make_api_token(user, name: str = "Test token") -> str:
    """Create an API token for ``user`` and return the raw token."""
    from oneclick.api import services as api_services
    from oneclick.clock import utcnow

    return api_services.create_token(user, name, utcnow()).raw

"""Helpers shared by the request tests: a link owner and posting the public request form."""

from __future__ import annotations

from datetime import timedelta

from oneclick import tokens
from oneclick.clock import utcnow

from .conftest import csrf_from
from .factories import make_invite_link, make_user

GUEST = {"name": "Grace Hopper", "email": "grace@example.com", "note": ""}


def owner_with_link(app, **link_overrides):
    """Create Ada (the owner) with one link; return a dict of plain values."""
    with app.app_context():
        owner = make_user(email="ada@example.com", name="Ada Lovelace")
        link, token = make_invite_link(owner, label="Email signature", **link_overrides)
        return {"id": owner.id, "email": owner.email, "link_id": link.id, "link_public_id": link.public_id,
                "token": token}


def old_stamp(app, seconds: int = 60) -> str:
    """Return a signed form timestamp from ``seconds`` ago (a person who took their time)."""
    with app.app_context():
        return tokens.sign_form_started(utcnow() - timedelta(seconds=seconds))


def guest_post(client, app, token: str, **fields):
    """Open the landing page like a guest and send the request form."""
    html = client.get(f"/c/{token}").get_data(as_text=True)
    data = {"csrf_token": csrf_from(html), "started": old_stamp(app), "website": "", **GUEST, **fields}
    data = {k: v for k, v in data.items() if v is not None}
    return client.post(f"/c/{token}/request", data=data)


def member_post(client, token: str):
    """Press the one-button form on a landing page as the signed-in member."""
    html = client.get(f"/c/{token}").get_data(as_text=True)
    return client.post(f"/c/{token}/request", data={"csrf_token": csrf_from(html)})

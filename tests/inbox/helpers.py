"""Helpers shared by the request tests: a link owner and posting the public request form."""

from __future__ import annotations

import re
from datetime import timedelta

from oneclick import tokens
from oneclick.clock import utcnow

from ..conftest import csrf_from
from ..factories import make_invite_link, make_user

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


CONFIRM_PATH_RE = re.compile(r"(/requests/confirm/[\w.\-]+)")


def confirmation_path(app, email: str) -> str:
    """Return the path of the newest confirmation link mailed to ``email`` (memory mail backend)."""
    for msg in reversed(app.extensions.get("oneclick.outbox", [])):
        if msg["To"] == email and "/requests/confirm/" in msg.get_content():
            return CONFIRM_PATH_RE.search(msg.get_content()).group(1)
    raise AssertionError(f"no confirmation mail to {email}")


def confirm_post(client, app, email: str = GUEST["email"]):
    """Open the newest confirmation link mailed to ``email`` and press its button."""
    path = confirmation_path(app, email)
    page = client.get(path)
    assert page.status_code == 200, page.status_code
    return client.post(path, data={"csrf_token": csrf_from(page.get_data(as_text=True))})


def confirm_from_database(client, app, email: str = GUEST["email"]):
    """Confirm the guest request waiting for ``email`` with a link signed here (when no mail could be read)."""
    from sqlalchemy import select

    from oneclick.extensions import db
    from oneclick.models import GuestConfirmation

    with app.app_context():
        public_id = db.session.scalar(
            select(GuestConfirmation.public_id).where(GuestConfirmation.email == email,
                                                      GuestConfirmation.confirmed_at.is_(None))
        )
        path = f"/requests/confirm/{tokens.sign_guest_confirmation(public_id)}"
    page = client.get(path)
    assert page.status_code == 200, page.status_code
    return client.post(path, data={"csrf_token": csrf_from(page.get_data(as_text=True))})


def guest_request(client, app, token: str, **fields):
    """Send the guest form and confirm the address from the mail: the request reaches the owner."""
    response = guest_post(client, app, token, **fields)
    assert response.status_code == 302, response.status_code
    return confirm_post(client, app, fields.get("email", GUEST["email"]).strip().lower())


def member_post(client, token: str):
    """Press the one-button form on a landing page as the signed-in member."""
    html = client.get(f"/c/{token}").get_data(as_text=True)
    return client.post(f"/c/{token}/request", data={"csrf_token": csrf_from(html)})

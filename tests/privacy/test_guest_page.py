"""A guest's private page, from the link in their confirmation mail: see, withdraw, erase (and nothing else)."""

from __future__ import annotations

import json
import re
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from oneclick import tokens
from oneclick.clock import utcnow
from oneclick.extensions import db
from oneclick.models import (
    Block,
    Connection,
    ConnectionRequest,
    GuestConfirmation,
    GuestErasure,
    MailOutbox,
    Notification,
    WebhookDelivery,
    WebhookEndpoint,
)

from ..conftest import body, csrf_from
from ..factories import make_invite_link, make_user
from ..inbox.helpers import guest_post, guest_request, owner_with_link

GUEST_PAGE_RE = re.compile(r"(/guest/[\w.\-=]+)")


@pytest.fixture
def owner(app):
    return owner_with_link(app)


def _page_path(app, email="grace@example.com") -> str:
    for msg in reversed(app.extensions.get("oneclick.outbox", [])):
        if msg["To"] == email and "/guest/" in msg.get_content():
            return GUEST_PAGE_RE.search(msg.get_content()).group(1)
    raise AssertionError(f"no private link mailed to {email}")


def _count(app, model, *where):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_the_confirmation_mail_carries_a_private_page_showing_what_was_sent(client, app, owner):
    guest_request(client, app, owner["token"], note="We met at PyCon.")
    page = client.get(_page_path(app))
    assert page.status_code == 200
    html = body(page)
    assert "grace@example.com" in html and "To Ada Lovelace" in html and "We met at PyCon." in html
    assert "Waiting for an answer" in html and "30 days on" in html
    assert "ada@example.com" not in html  # nothing of the owner's own data
    assert page.headers["Cache-Control"] == "no-store" and page.headers["Referrer-Policy"] == "no-referrer"
    # The token shows no address.
    assert "grace" not in _page_path(app)


def test_a_declined_request_looks_like_a_waiting_one_and_an_unconfirmed_one_is_listed(client, app, owner, auth):
    guest_request(client, app, owner["token"])
    with app.app_context():
        db.session.execute(ConnectionRequest.__table__.update().values(status="declined", decided_at=utcnow()))
        db.session.commit()
        other = make_user(email="bob@example.com", name="Bob Builder")
        _, bob_token = make_invite_link(other)
    guest_post(client, app, bob_token)  # not confirmed
    html = body(client.get(_page_path(app)))
    assert html.count("Waiting for an answer") == 1
    assert "declined" not in html.split("<h2>Erase everything")[0].lower()  # the list never says it
    assert "To Bob Builder" in html and "Not confirmed" in html


def test_a_token_for_one_address_never_shows_another(client, app, owner):
    guest_request(client, app, owner["token"], note="Grace's note")
    guest_request(client, app, owner["token"], name="Alan Turing", email="alan@example.com", note="Alan's note")
    html = body(client.get(_page_path(app, "alan@example.com")))
    assert "Alan's note" in html and "Grace" not in html
    with app.app_context():
        grace_id = db.session.scalar(select(ConnectionRequest.id).where(
            ConnectionRequest.requester_email == "grace@example.com"))
    # Alan's link can't withdraw Grace's request.
    path = _page_path(app, "alan@example.com")
    response = client.post(f"{path}/withdraw", data={"csrf_token": csrf_from(html), "request_id": grace_id})
    assert response.status_code == 404
    assert _count(app, ConnectionRequest, ConnectionRequest.requester_email == "grace@example.com") == 1


@pytest.mark.parametrize("token", ["nonsense", "gAAAAA" + "x" * 100, "a" * 500])
def test_a_garbled_link_is_a_friendly_404(client, token):
    response = client.get(f"/guest/{token}")
    assert response.status_code == 404
    assert "couldn't find this page" in body(response)
    assert client.get(f"/guest/{token}/erase").status_code == 404


def test_an_expired_link_is_a_410(client, app, owner):
    guest_request(client, app, owner["token"])
    path = _page_path(app)
    app.config["GUEST_ACCESS_MAX_AGE"] = -1
    response = client.get(path)
    assert response.status_code == 410 and "expired" in body(response)


def test_withdrawing_erases_the_request_and_its_notification(client, app, owner):
    guest_request(client, app, owner["token"])
    path = _page_path(app)
    html = body(client.get(path))
    assert _count(app, Notification, Notification.kind == "request_received") == 1
    request_id = int(re.search(r'name="request_id" value="(\d+)"', html).group(1))
    response = client.post(f"{path}/withdraw", data={"csrf_token": csrf_from(html), "request_id": request_id})
    assert response.status_code == 302
    assert _count(app, ConnectionRequest) == 0
    assert _count(app, Notification, Notification.kind == "request_received") == 0
    assert "Nothing is stored" in body(client.get(path))
    # Again: nothing to withdraw.
    again = client.post(f"{path}/withdraw", data={"csrf_token": csrf_from(html), "request_id": request_id})
    assert again.status_code == 404


@pytest.mark.parametrize("request_id", ["", "abc", "-1", "0", str(2**70)])
def test_withdraw_refuses_bad_ids(client, app, owner, request_id):
    guest_request(client, app, owner["token"])
    path = _page_path(app)
    html = body(client.get(path))
    response = client.post(f"{path}/withdraw", data={"csrf_token": csrf_from(html), "request_id": request_id})
    assert response.status_code == 404
    assert _count(app, ConnectionRequest) == 1


def test_withdraw_and_erase_need_the_csrf_token(client, app, owner):
    app.config["WTF_CSRF_ENABLED"] = True
    guest_request(client, app, owner["token"])
    path = _page_path(app)
    with app.app_context():
        request_id = db.session.scalar(select(ConnectionRequest.id))
    assert client.post(f"{path}/withdraw", data={"request_id": request_id}).status_code == 400
    assert client.post(f"{path}/erase", data={"understood": "y"}).status_code == 400
    assert _count(app, ConnectionRequest) == 1


def test_erase_asks_first_then_removes_every_row_and_revokes_the_link(client, app, owner, auth):
    guest_request(client, app, owner["token"], note="First")
    with app.app_context():  # accepted: the owner has a connection with the guest
        db.session.execute(ConnectionRequest.__table__.update().values(status="accepted", decided_at=utcnow()))
        db.session.add(Connection(owner_id=owner["id"], email="grace@example.com", name="Grace Hopper",
                                  card={"phone": "+1 555 0100"}))
        db.session.add(Block(owner_id=owner["id"], email="grace@example.com"))
        other = make_user(email="bob@example.com", name="Bob Builder")
        _, bob_token = make_invite_link(other)
        db.session.commit()
        hook = WebhookEndpoint(owner_id=owner["id"], url="https://example.com/h", events="request.created", secret="x")
        db.session.add(hook)
        db.session.flush()
        for n, who in enumerate(("grace@example.com", "alan@example.com")):
            payload = json.dumps({"data": {"request": {"email": who}}}, separators=(",", ":"))
            db.session.add(WebhookDelivery(endpoint_id=hook.id, message_id=f"msg_{n}", event="request.created",
                                           status="delivered", payload=payload))
        db.session.commit()
    guest_post(client, app, bob_token)  # an unconfirmed one too
    path = _page_path(app)
    assert "Connected" in body(client.get(path))
    page = client.get(f"{path}/erase")
    assert page.status_code == 200 and "Erase everything about grace@example.com" in body(page)
    # Without ticking the box: nothing happens.
    refused = client.post(f"{path}/erase", data={"csrf_token": csrf_from(body(page))})
    assert refused.status_code == 400 and "Tick the box" in body(refused)
    assert _count(app, ConnectionRequest) == 1
    done = client.post(f"{path}/erase", data={"csrf_token": csrf_from(body(page)), "understood": "y"})
    assert done.status_code == 302 and done.headers["Location"].endswith("/guest/erased")
    assert client.get("/guest/erased").status_code == 200
    assert _count(app, ConnectionRequest, ConnectionRequest.requester_email == "grace@example.com") == 0
    assert _count(app, GuestConfirmation, GuestConfirmation.email == "grace@example.com") == 0
    assert _count(app, Connection, Connection.email == "grace@example.com") == 0
    assert _count(app, Notification, Notification.kind == "request_received") == 0
    assert _count(app, MailOutbox, MailOutbox.to_address == "grace@example.com",
                  MailOutbox.status.in_(("sent", "failed"))) == 0
    assert _count(app, Block) == 1  # the owner's own list stays
    with app.app_context():  # the owner's webhook log forgets the address, and only it
        assert list(db.session.scalars(select(WebhookDelivery.message_id))) == ["msg_1"]
    with app.app_context():
        [stored] = db.session.scalars(select(GuestErasure.digest))
        assert "grace" not in stored  # the erased address itself is not kept
    # Every link issued before the erasure is revoked; a new one (a new request later) works.
    revoked = client.get(path)
    assert revoked.status_code == 410 and "no longer works" in body(revoked)
    time.sleep(1.1)  # tokens carry whole seconds
    with app.test_request_context():
        fresh = tokens.sign_guest_access("grace@example.com")
    assert client.get(f"/guest/{fresh}").status_code == 200


def test_an_erasure_is_idempotent_and_leaves_others_alone(client, app, owner):
    guest_request(client, app, owner["token"])
    guest_request(client, app, owner["token"], name="Alan Turing", email="alan@example.com")
    from oneclick.privacy import services

    with app.app_context():
        assert services.erase_guest_address("grace@example.com", utcnow()) >= 1
        services.erase_guest_address("grace@example.com", utcnow() + timedelta(seconds=1))
        assert db.session.scalar(select(func.count()).select_from(GuestErasure)) == 1
    assert _count(app, ConnectionRequest, ConnectionRequest.requester_email == "alan@example.com") == 1
    assert client.get(_page_path(app, "alan@example.com")).status_code == 200


def test_simultaneous_erasures_and_retention_runs_leave_one_erasure_and_no_rows(client, app, owner):
    """Two erase presses (two tabs) and the retention job at once: no error, nothing left, one erasure row."""
    from oneclick.privacy import services

    from ..helpers import at_once

    guest_request(client, app, owner["token"])
    now = utcnow()
    jobs = [lambda: services.erase_guest_address("grace@example.com", now),
            lambda: services.erase_guest_address("grace@example.com", now),
            lambda: services.erase_expired_guest_data(now)]
    at_once(app, 3, lambda i: jobs[i]())
    assert _count(app, ConnectionRequest) == 0
    assert _count(app, GuestErasure) == 1

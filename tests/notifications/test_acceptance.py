"""The requester hears of an acceptance (by hand, in bulk, through the API, by auto-accept), never of a decline.

A member gets an in-app notification and a mail at their verified account address; a guest a mail at the address
they confirmed. A declined request (a blocked sender's is stored declined at once) sends nothing to anyone.
"""

from __future__ import annotations

import re
from email import message_from_bytes, policy

import pytest
from sqlalchemy import select, update

from oneclick.extensions import db
from oneclick.models import ConnectionRequest, Notification, User

from ..conftest import body, csrf_from
from ..factories import make_api_token, make_request, make_user
from ..inbox.helpers import guest_request, member_post, owner_with_link
from ..smtp import smtp_server

SUBJECT = "Ada Lovelace accepted your request to connect"


@pytest.fixture
def owner(app):
    return owner_with_link(app)


def _outbox(app):
    return app.extensions.setdefault("oneclick.outbox", [])


def _accepted_mails(app):
    return [(m["To"], m.get_content()) for m in _outbox(app) if m["Subject"] == SUBJECT]


def _events(app, user_id, kind=None):
    with app.app_context():
        stmt = select(Notification).where(Notification.user_id == user_id).order_by(Notification.id)
        if kind:
            stmt = stmt.where(Notification.kind == kind)
        return [(n.kind, n.subject_id, n.payload) for n in db.session.scalars(stmt)]


def text_of(response) -> str:
    """Return a page's text without tags, whitespace collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", body(response)).split()).replace(" .", ".")


def _request_id(app, email):
    with app.app_context():
        return db.session.scalar(select(ConnectionRequest.id).where(ConnectionRequest.requester_email == email))


def _sign_in(client, email):
    page = client.get("/login").get_data(as_text=True)
    client.post("/login", data={"csrf_token": csrf_from(page), "email": email, "password": "correct horse battery"})


def _owner_decides(client, request_id, action):
    inbox = client.get("/requests").get_data(as_text=True)
    return client.post(f"/requests/{request_id}/{action}", data={"csrf_token": csrf_from(inbox)})


def _grace(app):
    with app.app_context():
        return make_user(email="grace@example.com", name="Grace Hopper").id


def test_a_member_hears_of_an_acceptance_in_the_app_and_by_mail(app, owner):
    grace_id = _grace(app)
    grace = app.test_client()
    _sign_in(grace, "grace@example.com")
    assert member_post(grace, owner["token"]).status_code == 302
    request_id = _request_id(app, "grace@example.com")
    assert _accepted_mails(app) == []
    ada = app.test_client()
    _sign_in(ada, "ada@example.com")
    assert _owner_decides(ada, request_id, "accept").status_code == 302
    [(to, text)] = _accepted_mails(app)
    assert to == "grace@example.com"
    assert "Ada Lovelace accepted your request" in text and "http://oneclick.test/connections" in text
    assert _events(app, grace_id, "request_accepted") == [("request_accepted", request_id, {"name": "Ada Lovelace"})]
    # Her header shows one unread notification, and the page says what happened.
    assert 'aria-label="1 unread"' in body(grace.get("/dashboard"))
    assert "Ada Lovelace accepted your request to connect." in text_of(grace.get("/notifications"))


def test_a_guest_hears_of_an_acceptance_at_the_address_they_confirmed(app, client, owner):
    guest_request(client, app, owner["token"])
    request_id = _request_id(app, "grace@example.com")
    ada = app.test_client()
    _sign_in(ada, "ada@example.com")
    _owner_decides(ada, request_id, "accept")
    [(to, text)] = _accepted_mails(app)
    assert to == "grace@example.com"
    assert "create an account with this email address: http://oneclick.test/register" in text
    # Nothing here tells the guest anything but the acceptance: no owner address, no other request.
    assert "ada@example.com" not in text


@pytest.mark.parametrize("action", ["decline", "block"])
def test_a_declined_request_sends_nothing(app, client, owner, action):
    guest_request(client, app, owner["token"])
    grace_id = _grace(app)  # registered since: the request is still the guest's, but nothing reaches her account
    request_id = _request_id(app, "grace@example.com")
    ada = app.test_client()
    _sign_in(ada, "ada@example.com")
    before = len(_outbox(app))
    assert _owner_decides(ada, request_id, action).status_code == 302
    assert len(_outbox(app)) == before
    assert _events(app, grace_id) == []


def test_a_blocked_sender_gets_no_mail_and_the_owner_no_event(app, client, owner):
    """A blocked sender's request is stored declined at once: no acceptance mail, no owner event, as for a decline."""
    ada = app.test_client()
    _sign_in(ada, "ada@example.com")
    page = ada.get("/settings/blocked").get_data(as_text=True)
    ada.post("/settings/blocked", data={"csrf_token": csrf_from(page), "email": "grace@example.com"})
    with app.app_context():
        db.session.execute(update(User).where(User.id == owner["id"]).values(notify_mode="instant"))
        db.session.commit()
    before = len(_outbox(app))
    guest_request(client, app, owner["token"])
    mails = [m["Subject"] for m in _outbox(app)[before:]]
    assert mails == ["Confirm your request to connect with Ada Lovelace"]  # the confirmation only, as for anyone
    assert _events(app, owner["id"]) == []


def test_bulk_accept_mails_each_requester_once(app, owner):
    with app.app_context():
        ada = db.session.get(User, owner["id"])
        grace = make_user(email="grace@example.com", name="Grace Hopper")
        unverified = make_user(email="late@example.com", name="Late", verified=False)
        ids = [
            make_request(ada, requester_email="grace@example.com", name="Grace", requester_id=grace.id,
                         email_confirmed_at=grace.email_verified_at).id,
            make_request(ada, requester_email="ivy@example.org", name="Ivy",
                         email_confirmed_at=grace.email_verified_at).id,
            # Kept from before the double opt-in: nobody proved the address, so no mail goes there.
            make_request(ada, requester_email="old@example.org", name="Old").id,
            make_request(ada, requester_email="late@example.com", name="Late", requester_id=unverified.id).id,
        ]
        grace_id, late_id = grace.id, unverified.id
    client = app.test_client()
    _sign_in(client, "ada@example.com")
    inbox = client.get("/requests").get_data(as_text=True)
    response = client.post("/requests/bulk", data={"csrf_token": csrf_from(inbox), "action": "accept",
                                                   "ids": [str(i) for i in ids], "next": "/requests"})
    assert response.status_code == 302
    assert sorted(to for to, _ in _accepted_mails(app)) == ["grace@example.com", "ivy@example.org"]
    assert [e[0] for e in _events(app, grace_id)] == ["request_accepted"]
    assert [e[0] for e in _events(app, late_id)] == ["request_accepted"]  # in the app, not at an unproved address


def test_accepting_through_the_api_mails_the_requester(app, owner):
    grace_id = _grace(app)
    with app.app_context():
        ada = db.session.get(User, owner["id"])
        grace = db.session.get(User, grace_id)
        request_id = make_request(ada, requester_email=grace.email, name=grace.name, requester_id=grace.id,
                                  email_confirmed_at=grace.email_verified_at).id
        token = make_api_token(ada)
    response = app.test_client().post(f"/api/v1/requests/{request_id}/accept",
                                      headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert [to for to, _ in _accepted_mails(app)] == ["grace@example.com"]
    assert [e[0] for e in _events(app, grace_id)] == ["request_accepted"]


def test_auto_accept_tells_the_guest_and_the_owner(app, client):
    owner = owner_with_link(app, auto_accept=True)
    guest_request(client, app, owner["token"])
    assert [to for to, _ in _accepted_mails(app)] == ["grace@example.com"]
    [(kind, request_id, payload)] = _events(app, owner["id"])
    assert kind == "request_received" and payload == {"name": "Grace Hopper", "link": "Email signature", "auto": True}
    assert request_id == _request_id(app, "grace@example.com")


def test_the_acceptance_mail_goes_through_a_real_smtp_server(app, client, owner):
    guest_request(client, app, owner["token"])
    request_id = _request_id(app, "grace@example.com")
    ada = app.test_client()
    _sign_in(ada, "ada@example.com")
    with smtp_server() as (controller, handler):
        app.config.update(MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port, MAIL_TIMEOUT=5)
        assert _owner_decides(ada, request_id, "accept").status_code == 302
    [(_sender, recipients, content)] = handler.messages
    assert recipients == ["grace@example.com"]
    message = message_from_bytes(content, policy=policy.default)
    assert message["Subject"] == SUBJECT
    assert "http://oneclick.test/register" in message.get_content()


def test_a_mail_failure_loses_neither_the_acceptance_nor_the_event(app, owner):
    grace_id = _grace(app)
    with app.app_context():
        ada = db.session.get(User, owner["id"])
        request_id = make_request(ada, requester_email="grace@example.com", name="Grace", requester_id=grace_id).id
    app.config.update(MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=9, MAIL_TIMEOUT=1)  # nobody listens
    client = app.test_client()
    _sign_in(client, "ada@example.com")
    assert _owner_decides(client, request_id, "accept").status_code == 302
    with app.app_context():
        assert db.session.get(ConnectionRequest, request_id).status == "accepted"
    assert [e[0] for e in _events(app, grace_id)] == ["request_accepted"]

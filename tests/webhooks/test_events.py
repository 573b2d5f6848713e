"""Each event is emitted by the service that makes the change, in its transaction, and reaches the endpoint."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from standardwebhooks import Webhook

from oneclick.clock import utcnow
from oneclick.extensions import db
from oneclick.inbox import services as inbox
from oneclick.invitations import services as invitations
from oneclick.models import Connection, User

from ..factories import make_invitation, make_invite_link, make_request, make_user
from .conftest import LOOPBACK, add_endpoint

pytestmark = pytest.mark.config(**LOOPBACK)


def _payloads(receiver, secret):
    return [Webhook(secret).verify(b, h) for _, h, b in receiver.received]


def test_request_created_then_accepted_then_connection_removed(app, ada, receiver):
    _, secret = add_endpoint(app, ada["id"], receiver.url(),
                             events=["request.created", "request.accepted", "connection.removed"])
    with app.app_context():
        owner = db.session.get(User, ada["id"])
        link, token = make_invite_link(owner, label="Card")
        bob = make_user(email="bob@example.com", name="Bob Member")
        result = inbox.send_request(token, bob, bob.name, bob.email, "hi", utcnow())
        request_id, link_id = result.request_id, link.id
    [created] = _payloads(receiver, secret)
    assert created["type"] == "request.created"
    assert created["data"] == {"request": {"id": request_id, "link_id": link_id, "name": "Bob Member",
                                           "email": "bob@example.com"}}
    with app.app_context():
        assert inbox.decide_request(db.session.get(User, ada["id"]), request_id, "accept", utcnow())
    accepted = _payloads(receiver, secret)[1]
    assert accepted["type"] == "request.accepted" and accepted["data"]["request"]["id"] == request_id
    with app.app_context():
        connection_id = db.session.scalar(select(Connection.id).where(Connection.owner_id == ada["id"]))
        assert inbox.remove_connection(db.session.get(User, ada["id"]), connection_id)
    removed = _payloads(receiver, secret)[2]
    assert removed["type"] == "connection.removed"
    assert removed["data"] == {"connection": {"id": connection_id, "name": "Bob Member", "email": "bob@example.com"}}
    assert len(receiver.received) == 3


def test_declining_a_request_sends_nothing(app, ada, receiver):
    add_endpoint(app, ada["id"], receiver.url(), events=["request.accepted", "connection.removed"])
    with app.app_context():
        owner = db.session.get(User, ada["id"])
        req = make_request(owner, status="pending")
        assert inbox.decide_request(owner, req.id, "decline", utcnow())
    assert receiver.received == []


def test_an_accepted_invitation_tells_its_sender_and_other_answers_tell_nothing(app, ada, receiver):
    _, secret = add_endpoint(app, ada["id"], receiver.url(), events=["invitation.answered"])
    with app.app_context():
        ada_user = db.session.get(User, ada["id"])
        bob = make_user(email="bob@example.com", name="Bob")
        carol = make_user(email="carol@example.com", name="Carol")
        to_bob = make_invitation(ada_user, bob).public_id
        to_carol = make_invitation(ada_user, carol).public_id
        assert invitations.respond(carol, to_carol, "idk", utcnow()).allowed
        assert receiver.received == []  # "I don't know" is never told to the sender
        assert invitations.respond(bob, to_bob, "accept", utcnow()).allowed
    [answered] = _payloads(receiver, secret)
    assert answered["type"] == "invitation.answered"
    assert answered["data"] == {"invitation": {"id": to_bob, "recipient": "Bob", "answer": "accepted"}}

"""An invited person's answer reaches the sender's notifications exactly as far as their sent list tells it:
an acceptance, named as the list names the recipient; ignore, "I don't know" and spam show "Sent" there, so
they make no event at all."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from oneclick.extensions import db
from oneclick.models import Invitation, Notification, User

from ..conftest import body
from ..factories import make_invitation
from ..invitations.conftest import post_form


def _invite(app, sender, recipient, **kw):
    with app.app_context():
        inv = make_invitation(db.session.get(User, sender.id), db.session.get(User, recipient.id), **kw)
        return inv.id, inv.public_id


def _events(app, user_id):
    with app.app_context():
        return [(n.kind, n.subject_id, n.payload) for n in
                db.session.scalars(select(Notification).where(Notification.user_id == user_id))]


def _text(response) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", body(response)).split())


def test_an_acceptance_reaches_the_sender_as_their_sent_list_shows_it(app, client, people, as_member, auth):
    inv_id, pid = _invite(app, people.ada, people.bob, recipient_name="Bobby (from the meetup)")
    as_member(people.bob)
    assert post_form(client, f"/invitations/received/{pid}/accept").status_code == 302
    assert _events(app, people.ada.id) == [("invitation_accepted", inv_id, {"name": "Bobby (from the meetup)"})]
    assert _events(app, people.bob.id) == []  # the one who answered knows
    auth.logout()
    as_member(people.ada)
    sent = _text(client.get("/invitations/sent"))
    assert "Bobby (from the meetup)" in sent and "Accepted" in sent
    assert "Bobby (from the meetup) accepted your invitation." in _text(client.get("/notifications")).replace(
        " .", ".")


def test_an_invitation_typed_as_an_address_is_named_by_that_address(app, client, people, as_member):
    with app.app_context():
        inv = make_invitation(db.session.get(User, people.ada.id), db.session.get(User, people.bob.id),
                              recipient_name="", addressed_by_email=True)
        inv_id, pid = inv.id, inv.public_id
    as_member(people.bob)
    post_form(client, f"/invitations/received/{pid}/accept")
    assert _events(app, people.ada.id) == [("invitation_accepted", inv_id, {"name": "bob@example.com"})]


@pytest.mark.parametrize("answer", ["ignore", "idk", "spam"])
def test_other_answers_tell_the_sender_nothing(app, client, people, as_member, answer):
    _inv_id, pid = _invite(app, people.ada, people.bob)
    as_member(people.bob)
    assert post_form(client, f"/invitations/received/{pid}/{answer}").status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Invitation.status).where(Invitation.public_id == pid)) != "pending"
    assert _events(app, people.ada.id) == []


def test_answering_twice_notifies_once(app, client, people, as_member):
    _inv_id, pid = _invite(app, people.ada, people.bob)
    as_member(people.bob)
    post_form(client, f"/invitations/received/{pid}/accept")
    post_form(client, f"/invitations/received/{pid}/accept")
    assert len(_events(app, people.ada.id)) == 1

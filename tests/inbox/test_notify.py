"""Emails to the owner about new requests: instant, daily digest (CLI), and the SMTP backend on a real server."""

from __future__ import annotations

from datetime import timedelta
from email import message_from_bytes

import pytest
from sqlalchemy import select, update

from oneclick.clock import utcnow
from oneclick.extensions import db
from oneclick.inbox import services
from oneclick.mail import outbox
from oneclick.models import MailOutbox, User

from ..factories import make_request, make_user
from ..smtp import smtp_server as real_smtp_server
from .helpers import confirm_from_database, guest_post, guest_request, owner_with_link


def _set_mode(app, user_id, mode):
    with app.app_context():
        db.session.execute(update(User).where(User.id == user_id).values(notify_mode=mode))
        db.session.commit()


def _mails(app, to=None):
    with app.app_context():
        return [m for m in outbox() if to is None or m["To"] == to]


def test_no_mail_when_notifications_are_off(client, app):
    owner = owner_with_link(app)
    guest_post(client, app, owner["token"])
    assert _mails(app, "ada@example.com") == []


def test_instant_mail_on_a_new_request(client, app):
    owner = owner_with_link(app)
    _set_mode(app, owner["id"], "instant")
    guest_post(client, app, owner["token"], note="We met at PyCon.\nSay hi!")
    assert _mails(app, "ada@example.com") == []  # not before the guest confirmed their address
    confirm_from_database(client, app)
    [mail] = _mails(app, "ada@example.com")
    assert mail["Subject"] == "Grace Hopper wants to connect with you"
    text = mail.get_content()
    assert "grace@example.com" in text and "We met at PyCon.\nSay hi!" in text and '"Email signature"' in text
    assert "http://oneclick.test/requests" in text


def test_instant_mail_for_an_auto_accepted_request(client, app):
    owner = owner_with_link(app, auto_accept=True)
    _set_mode(app, owner["id"], "instant")
    guest_request(client, app, owner["token"])
    [mail] = _mails(app, "ada@example.com")
    assert mail["Subject"] == "Grace Hopper connected with you"


def test_duplicate_request_mails_once(client, app):
    owner = owner_with_link(app)
    _set_mode(app, owner["id"], "instant")
    guest_request(client, app, owner["token"])
    guest_request(app.test_client(), app, owner["token"])
    assert len(_mails(app, "ada@example.com")) == 1


@pytest.mark.config(MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=9)
def test_a_broken_mail_server_never_loses_the_request(client, app, caplog):
    owner = owner_with_link(app)
    _set_mode(app, owner["id"], "instant")
    response = guest_post(client, app, owner["token"])
    assert response.status_code == 302  # the guest's confirmation mail failed too: same answer
    assert confirm_from_database(client, app).status_code == 302
    with app.app_context():
        assert services.new_request_count(owner["id"], None) == 1
        # Neither mail is lost: both wait in the outbox, tried once, for the queue's next attempt.
        rows = db.session.execute(select(MailOutbox.to_address, MailOutbox.status, MailOutbox.attempts)).all()
    assert sorted(tuple(r) for r in rows) == [("ada@example.com", "pending", 1), ("grace@example.com", "pending", 1)]
    assert "retrying in 30s" in caplog.text


def test_digest_cli_mails_daily_owners_once(runner, app):
    with app.app_context():
        ada = make_user(email="ada@example.com", name="Ada Lovelace", notify_mode="daily")
        instant = make_user(email="ivy@example.com", name="Ivy", notify_mode="instant")
        quiet = make_user(email="quiet@example.com", name="Quiet", notify_mode="daily")
        make_request(ada, name="Grace Hopper", requester_email="grace@example.com", note="From the meetup")
        make_request(ada, name="Old One", requester_email="old@example.com", created_at=utcnow() - timedelta(days=3))
        make_request(ada, name="Declined", requester_email="d@example.com", status="declined")
        make_request(instant, name="Not digested")
        del quiet

    result = runner.invoke(args=["notify", "digest"])
    assert result.exit_code == 0, result.output
    assert "Sent 1 digest." in result.output
    [mail] = _mails(app)
    assert mail["To"] == "ada@example.com"
    assert mail["Subject"] == "1 new connection request"
    text = mail.get_content()
    assert "Grace Hopper (grace@example.com)" in text and "From the meetup" in text
    assert "Old One" not in text and "Declined" not in text

    # A second run the same day has nothing new to say.
    assert "Sent 0 digests." in runner.invoke(args=["notify", "digest"]).output
    assert len(_mails(app)) == 1


# --- SMTP backend against a real server on loopback -----------------------------------------------------------


@pytest.fixture
def smtp_server():
    with real_smtp_server() as running:
        yield running


def test_instant_mail_through_a_real_smtp_server(client, app, smtp_server):
    controller, handler = smtp_server
    app.config.update(MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port)
    owner = owner_with_link(app)
    _set_mode(app, owner["id"], "instant")
    assert guest_post(client, app, owner["token"], note="Hello over SMTP").status_code == 302
    [(_, guest_recipients, _)] = handler.messages
    assert guest_recipients == ["grace@example.com"]  # the confirmation link
    confirm_from_database(client, app)
    [_, (sender, recipients, content)] = handler.messages
    assert recipients == ["ada@example.com"]
    message = message_from_bytes(content)
    assert message["Subject"] == "Grace Hopper wants to connect with you"
    assert "Hello over SMTP" in message.get_payload(decode=True).decode()


def test_digest_through_a_real_smtp_server(runner, app, smtp_server):
    controller, handler = smtp_server
    app.config.update(MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port)
    with app.app_context():
        ada = make_user(email="ada@example.com", name="Ada Lovelace", notify_mode="daily")
        for i in range(3):
            make_request(ada, name=f"Person {i}", requester_email=f"p{i}@example.org")
    assert "Sent 1 digest." in runner.invoke(args=["notify", "digest"]).output
    [(_, recipients, content)] = handler.messages
    assert recipients == ["ada@example.com"]
    assert message_from_bytes(content)["Subject"] == "3 new connection requests"

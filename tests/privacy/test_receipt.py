"""Deleting an account mails a receipt, in the deletion's transaction: a refused deletion mails nothing."""

from __future__ import annotations

from oneclick.extensions import db
from oneclick.models import User

from ..factories import DEFAULT_PASSWORD


def _outbox(app):
    return app.extensions.setdefault("oneclick.outbox", [])


def test_deleting_the_account_mails_a_receipt(app, client, auth, user):
    auth.login()
    before = len(_outbox(app))
    response = auth.post("/settings/delete", {"password": DEFAULT_PASSWORD, "confirm": "y"})
    assert response.status_code == 302
    [mail] = _outbox(app)[before:]
    assert mail["To"] == "ada@example.com"
    assert mail["Subject"] == "Your oneclick account was deleted"
    text = mail.get_content()
    assert "ada@example.com was deleted on" in text and "UTC" in text and "can't be undone" in text
    assert "/register" in text
    with app.app_context():
        assert db.session.get(User, user["id"]) is None


def test_a_refused_deletion_mails_nothing(app, client, auth, user):
    auth.login()
    before = len(_outbox(app))
    auth.post("/settings/delete", {"password": "wrong password", "confirm": "y"})
    assert client.post("/settings/delete", data={"password": DEFAULT_PASSWORD, "confirm": "y"}).status_code == 400
    assert _outbox(app)[before:] == []
    with app.app_context():
        assert db.session.get(User, user["id"]) is not None

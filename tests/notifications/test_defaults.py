"""Notifications are on by default: a new member (registered, or made by the demo command) gets an instant mail
per new request, and the settings page shows that choice; digest and never stay choices."""

from __future__ import annotations

import re

from sqlalchemy import select

from oneclick.extensions import db
from oneclick.mail import outbox
from oneclick.models import Notification, User

from ..conftest import body
from ..inbox.helpers import guest_request

ACTIVATE_RE = re.compile(r"http://oneclick\.test(/activate/\S+)")


def test_a_registered_member_gets_instant_mails_about_new_requests(app, client, auth):
    auth.post("/register", {"name": "Grace Hopper", "email": "grace@example.com", "password": "a long enough password"})
    with app.app_context():
        path = ACTIVATE_RE.search(outbox()[-1].get_content()).group(1)
    assert auth.post(path, {"password": "a long enough password"}).status_code == 302
    with app.app_context():
        assert db.session.scalar(select(User.notify_mode).where(User.email == "grace@example.com")) == "instant"
    page = body(client.get("/settings/notifications"))
    assert re.search(r'<input checked[^>]*value="instant"', page)
    assert [m for m in re.findall(r'value="(\w+)"', page) if m in ("instant", "daily", "off")] == [
        "instant", "daily", "off"]
    assert "Right away, one email per request (the default)" in page

    # Her new link's first request is mailed to her at once.
    assert auth.post("/links/new", {"label": "Talk", "channel": "other"}).status_code == 302
    with app.app_context():
        from oneclick.links.services import link_token
        from oneclick.models import InviteLink

        token = link_token(db.session.scalar(select(InviteLink)))
    guest_request(app.test_client(), app, token, email="ivy@example.org", name="Ivy")
    with app.app_context():
        assert outbox()[-1]["To"] == "grace@example.com"
        assert outbox()[-1]["Subject"] == "Ivy wants to connect with you"


def test_never_and_digest_stay_choices(app, client, auth, user):
    auth.login("ada@example.com")
    for mode in ("off", "daily", "instant"):
        assert auth.post("/settings/notifications", {"notify_mode": mode}).status_code == 302
        with app.app_context():
            assert db.session.get(User, user["id"]).notify_mode == mode


def test_the_demo_members_get_instant_mails_and_have_notifications(app, runner, client, auth):
    assert runner.invoke(args=["demo", "--password", "demo-password-123"]).exit_code == 0
    with app.app_context():
        assert set(db.session.scalars(select(User.notify_mode))) == {"instant"}
        kinds = {(u, k) for u, k in db.session.execute(
            select(User.email, Notification.kind).join(Notification, Notification.user_id == User.id))}
    assert ("ada@example.com", "request_received") in kinds
    assert ("margaret@example.com", "request_accepted") in kinds
    assert ("grace@example.com", "invitation_accepted") in kinds
    auth.login("ada@example.com", "demo-password-123")
    assert "asked to connect through" in body(client.get("/notifications"))

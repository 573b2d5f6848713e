"""Every invitation route: anonymous visitors go to sign in, and every POST needs its CSRF token."""

from __future__ import annotations

import pytest

from oneclick.extensions import db
from oneclick.models import Invitation

from ..conftest import csrf_from
from ..factories import make_invitation

GETS = [
    "/invitations",
    "/invitations/find?q=bob",
    "/invitations/invite/{member}",
    "/invitations/invite-by-email",
    "/invitations/captcha/abc.png",
    "/invitations/sent",
    "/invitations/received",
    "/invitations/restriction",
    "/invitations/more",
]
POSTS = [
    "/invitations/invite/{member}",
    "/invitations/invite-by-email",
    "/invitations/sent/{inv}/withdraw",
    "/invitations/sent/{inv}/resend",
    "/invitations/sent/{inv}/delete",
    "/invitations/sent/withdraw-stale",
    "/invitations/received/{inv}/accept",
    "/invitations/received/{inv}/idk",
    "/invitations/restriction/lift",
    "/invitations/restriction/request",
    "/invitations/more",
]
FORM = {"how_known": "friend", "message": "hi", "email": "x@example.org", "agree": "y", "promise": "y"}


@pytest.fixture
def ids(app, people):
    with app.app_context():
        inv = make_invitation(people.user(people.ada), people.user(people.bob))
        return {"member": people.bob.public_id, "inv": inv.public_id}


def _status(app, public_id):
    with app.app_context():
        return db.session.scalar(db.select(Invitation.status).where(Invitation.public_id == public_id))


@pytest.mark.parametrize("path", GETS)
def test_anonymous_get_redirects_to_sign_in(client, ids, path):
    response = client.get(path.format(**ids))
    assert response.status_code == 302
    assert "/login?next=" in response.location


@pytest.mark.parametrize("path", POSTS)
def test_anonymous_post_redirects_to_sign_in(client, ids, path):
    token = csrf_from(client.get("/login").get_data(as_text=True))
    response = client.post(path.format(**ids), data={"csrf_token": token, **FORM})
    assert response.status_code == 302 and "/login" in response.location


@pytest.mark.parametrize("path", POSTS)
def test_post_without_csrf_token_is_refused(app, client, people, as_member, ids, path):
    as_member(people.bob)  # the recipient: would be allowed to accept
    response = client.post(path.format(**ids), data=FORM)
    assert response.status_code == 400
    assert "Please try that again" in response.get_data(as_text=True)
    assert _status(app, ids["inv"]) == "pending"

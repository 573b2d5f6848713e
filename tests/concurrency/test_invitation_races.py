"""Invitation quotas hold when the sends arrive at once through two servers (four worker processes)."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from oneclick.clock import utcnow
from oneclick.extensions import db
from oneclick.models import Invitation, User

from ..factories import make_invitation, set_quota
from .harness import Browserless

pytestmark = pytest.mark.slow


def signed_in(server_url: str) -> Browserless:
    client = Browserless(server_url)
    token = client.csrf("/login")
    status, _, _ = client.request("POST", "/login", {"csrf_token": token, "email": "ada@example.com",
                                                     "password": "correct horse battery"})
    assert status == 302
    return client


def fire(client: Browserless, servers, n: int) -> list[int]:
    """POST ``n`` email invitations at the same moment, alternating between the servers."""
    token = client.csrf("/invitations/invite-by-email")
    barrier = threading.Barrier(n)
    statuses: list = [None] * n

    def post(i: int) -> None:
        mine = Browserless(servers[i % 2].url)
        mine.jar = client.jar  # the same signed-in member
        mine.opener = client.opener
        barrier.wait(timeout=30)
        statuses[i] = mine.request("POST", "/invitations/invite-by-email", {
            "csrf_token": token, "email": f"guest{i}@example.org", "how_known": "colleague",
            "message": "We met at the meetup.",
        }, base_url=servers[i % 2].url)[0]

    threads = [threading.Thread(target=post, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return statuses


def sent_count(app, user_id: int) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Invitation).where(Invitation.sender_id == user_id))


def test_forty_sends_through_two_servers_never_pass_the_allotment(app, two_servers, user):
    with app.app_context():
        set_quota(db.session.get(User, user["id"]), invitations_sent=2997)
    statuses = fire(signed_in(two_servers[0].url), two_servers, 40)
    assert statuses.count(302) == 3, statuses  # sent: redirected to the sent list
    assert statuses.count(200) == 37, statuses  # refused: the form again, with the reason
    assert sent_count(app, user["id"]) == 3


def test_twenty_sends_at_97_today_only_three_without_captcha(app, two_servers, user):
    with app.app_context():
        ada = db.session.get(User, user["id"])
        set_quota(ada, invitations_sent=97)
        for n in range(97):
            make_invitation(ada, recipient_email=f"earlier{n}@example.org", created_at=utcnow() - timedelta(hours=1))
    statuses = fire(signed_in(two_servers[1].url), two_servers, 20)
    assert statuses.count(302) == 3, statuses
    assert sent_count(app, user["id"]) == 100

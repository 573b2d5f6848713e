"""One visitor double-submitting a request through two servers at once leaves exactly one request."""

from __future__ import annotations

import re
import threading

import pytest
from sqlalchemy import func, select

from oneclick import tokens
from oneclick.extensions import db
from oneclick.models import ConnectionRequest, GuestConfirmation

from ..factories import make_invite_link, make_user
from ..inbox.helpers import old_stamp, owner_with_link
from .harness import CSRF_RE, Browserless

pytestmark = pytest.mark.slow


@pytest.fixture
def server_settings(server_settings):
    # Many submits from one address in a second: the limits are not what this test is about.
    return {**server_settings, "REQUEST_LIMIT_PER_IP": "1000 per hour", "REQUEST_LIMIT_PER_LINK": "1000 per hour"}


def burst(clients: list[Browserless], servers, path: str, data: dict, n: int = 20) -> list[int]:
    """POST the same form ``n`` times at the same moment, alternating between the servers."""
    barrier = threading.Barrier(n)
    statuses: list = [None] * n

    def post(i: int) -> None:
        barrier.wait(timeout=30)
        statuses[i] = clients[i % len(clients)].request("POST", path, data, base_url=servers[i % 2].url)[0]

    threads = [threading.Thread(target=post, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return statuses


def requests_for(app, owner_id: int) -> list[tuple[str, str]]:
    with app.app_context():
        rows = db.session.execute(
            select(ConnectionRequest.requester_email, ConnectionRequest.status).where(
                ConnectionRequest.owner_id == owner_id
            )
        )
        return [tuple(r) for r in rows]


def test_guest_double_submit_then_double_confirmation_through_two_servers_makes_one_request(app, two_servers):
    owner = owner_with_link(app)
    visitor = Browserless(two_servers[0].url)
    status, page, _ = visitor.request("GET", f"/c/{owner['token']}")
    assert status == 200
    form = {"csrf_token": CSRF_RE.search(page).group(1), "started": old_stamp(app), "website": "",
            "name": "Grace Hopper", "email": "grace@example.com", "note": "We met at PyCon."}
    statuses = burst([visitor], two_servers, f"/c/{owner['token']}/request", form)
    assert set(statuses) == {302}, statuses  # every submit lands on the "check your inbox" page
    assert requests_for(app, owner["id"]) == []  # nothing before the address is confirmed
    with app.app_context():
        [public_id] = db.session.scalars(
            select(GuestConfirmation.public_id).where(GuestConfirmation.owner_id == owner["id"])
        ).all()
        path = f"/requests/confirm/{tokens.sign_guest_confirmation(public_id)}"
    # The guest double-clicks "Confirm and send" (20 times, across both servers).
    csrf = visitor.csrf(path)
    statuses = burst([visitor], two_servers, path, {"csrf_token": csrf})
    assert sorted(statuses) == [302] + [410] * 19, statuses
    assert requests_for(app, owner["id"]) == [("grace@example.com", "pending")]


def test_member_double_submit_through_two_servers_makes_one_request(app, two_servers, user):
    with app.app_context():
        bob = make_user(email="bob@example.com", name="Bob Owner")
        _, token = make_invite_link(bob, label="Slides")
        owner = {"id": bob.id, "token": token}
    member = Browserless(two_servers[0].url)
    csrf = member.csrf("/login")
    status, _, _ = member.request("POST", "/login", {"csrf_token": csrf, "email": "ada@example.com",
                                                     "password": "correct horse battery"})
    assert status == 302
    _, page, _ = member.request("GET", f"/c/{owner['token']}")
    assert re.search(r"<button[^>]*>\s*Connect", page), "the one-click button is shown to members"
    form = {"csrf_token": CSRF_RE.search(page).group(1)}
    statuses = burst([member], two_servers, f"/c/{owner['token']}/request", form)
    assert set(statuses) == {302}, statuses
    assert requests_for(app, owner["id"]) == [("ada@example.com", "pending")]


def test_request_count_matches_rows_after_a_burst_of_many_visitors(app, two_servers):
    owner = owner_with_link(app)
    visitors = [Browserless(two_servers[0].url) for _ in range(10)]
    forms = []
    for n, visitor in enumerate(visitors):
        _, page, _ = visitor.request("GET", f"/c/{owner['token']}")
        forms.append({"csrf_token": CSRF_RE.search(page).group(1), "started": old_stamp(app), "website": "",
                      "name": f"Visitor {n}", "email": f"visitor{n}@example.org", "note": ""})
    barrier = threading.Barrier(20)
    statuses = []

    def post(i: int) -> None:
        barrier.wait(timeout=30)
        visitor = visitors[i % 10]
        statuses.append(visitor.request("POST", f"/c/{owner['token']}/request", forms[i % 10],
                                        base_url=two_servers[i % 2].url)[0])

    threads = [threading.Thread(target=post, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert set(statuses) == {302}, statuses
    with app.app_context():
        rows = db.session.scalars(select(GuestConfirmation.email).where(GuestConfirmation.owner_id == owner["id"]))
        assert sorted(rows) == sorted(f"visitor{n}@example.org" for n in range(10))
        count = db.session.scalar(select(func.count()).select_from(GuestConfirmation))
    assert count == 10

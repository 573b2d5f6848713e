"""A worker killed with SIGKILL mid-burst leaves no half-written rows, and the other server keeps answering."""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest
from sqlalchemy import func, select

from oneclick.extensions import db
from oneclick.models import Invitation, MemberQuota

from .harness import Browserless

pytestmark = pytest.mark.slow


def test_sigkill_in_a_burst_keeps_counters_equal_to_rows(app, two_servers, user):
    member = Browserless(two_servers[1].url)
    csrf = member.csrf("/login")
    status, _, _ = member.request("POST", "/login", {"csrf_token": csrf, "email": "ada@example.com",
                                                     "password": "correct horse battery"})
    assert status == 302
    form_token = member.csrf("/invitations/invite-by-email")
    outcomes: list = []
    sent = threading.Event()
    lock = threading.Lock()

    def sender(worker: int) -> None:
        for n in range(12):
            server = two_servers[(worker + n) % 2]
            data = {"csrf_token": form_token, "email": f"w{worker}-n{n}@example.org", "how_known": "colleague",
                    "message": "We met at the meetup."}
            try:
                status = member.request("POST", "/invitations/invite-by-email", data, base_url=server.url,
                                        timeout=20)[0]
            except OSError as exc:  # the killed worker's connection drops
                status = type(exc).__name__
            with lock:
                outcomes.append(status)
                if len(outcomes) >= 8:
                    sent.set()

    threads = [threading.Thread(target=sender, args=(w,)) for w in range(4)]
    for t in threads:
        t.start()
    assert sent.wait(60), "the burst did not get going"
    victims = two_servers[0].worker_pids()
    assert victims, "server 1 has workers"
    os.kill(victims[0], signal.SIGKILL)
    for t in threads:
        t.join(120)

    # The other server never stopped answering, and the killed one's master replaced its worker.
    assert Browserless(two_servers[1].url).request("GET", "/healthz")[0] == 200
    deadline = time.monotonic() + 20
    while victims[0] in two_servers[0].worker_pids() or len(two_servers[0].worker_pids()) < 2:
        assert time.monotonic() < deadline, "gunicorn did not replace the killed worker"
        time.sleep(0.2)
    assert Browserless(two_servers[0].url).request("GET", "/healthz")[0] == 200

    with app.app_context():
        rows = db.session.scalar(select(func.count()).select_from(Invitation).where(Invitation.sender_id == user["id"]))
        counter = db.session.scalar(select(MemberQuota.invitations_sent).where(MemberQuota.user_id == user["id"]))
        # No invitation without its count and no count without its invitation.
        assert counter == rows
        emails = db.session.scalars(select(Invitation.recipient_email)).all()
    assert len(emails) == len(set(emails))
    assert outcomes.count(302) <= rows <= len(outcomes)
    assert outcomes.count(302) >= 40, outcomes  # most of the burst went through

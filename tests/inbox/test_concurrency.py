"""Races on requests: concurrent double submits create one request; concurrent accepts connect once.

Threads each use their own app context (and so their own database session and connection), and start
together behind a barrier. Runs on SQLite (BEGIN IMMEDIATE) and PostgreSQL (row lock + unique index).
"""

from __future__ import annotations

import threading

import sqlalchemy as sa
from sqlalchemy import func, select

from oneclick.clock import utcnow
from oneclick.extensions import db
from oneclick.inbox import services
from oneclick.models import Connection, ConnectionRequest, User

from ..conftest import csrf_from
from ..factories import make_invite_link, make_request, make_user
from ..helpers import at_once
from .helpers import GUEST, confirmation_path, old_stamp

THREADS = 8


def _race(app, work, n=THREADS):
    """Run ``work(i)`` in ``n`` threads at once (see tests/helpers.at_once)."""
    return at_once(app, n, work)


def _owner(app, links=1):
    with app.app_context():
        ada = make_user(email="ada@example.com", name="Ada Lovelace")
        tokens = [make_invite_link(ada, label=f"Link {i}")[1] for i in range(links)]
        return ada.id, tokens


def _pending(app):
    with app.app_context():
        return db.session.scalar(
            select(func.count()).select_from(ConnectionRequest).where(ConnectionRequest.status == "pending")
        )


def _grace(app) -> int:
    with app.app_context():
        return make_user(email="grace@example.com", name="Grace").id


def _send_as(user_id: int, token: str):
    return services.send_request(token, db.session.get(User, user_id), "", "", "", utcnow())


def test_concurrent_double_submit_through_one_link_creates_one_request(app):
    _, [token] = _owner(app)
    grace = _grace(app)
    outcomes = _race(app, lambda i: _send_as(grace, token).outcome)
    assert _pending(app) == 1
    assert sorted(outcomes) == ["already_pending"] * (THREADS - 1) + ["sent"]


def test_concurrent_submits_through_two_links_of_one_owner_create_one_request(app):
    """Different links don't share a row lock: the partial unique index decides, and the losers get the winner."""
    _, tokens = _owner(app, links=2)
    grace = _grace(app)
    outcomes = _race(app, lambda i: _send_as(grace, tokens[i % 2]).outcome)
    assert _pending(app) == 1
    assert sorted(outcomes) == ["already_pending"] * (THREADS - 1) + ["sent"]


def test_concurrent_member_double_submits_over_http_create_one_request(app):
    _, [token] = _owner(app)
    with app.app_context():
        make_user(email="grace@example.com", name="Grace Hopper")
    clients = []
    for _ in range(THREADS):
        c = app.test_client()
        page = c.get("/login").get_data(as_text=True)
        c.post("/login", data={"csrf_token": csrf_from(page), "email": "grace@example.com",
                               "password": "correct horse battery"})
        form = csrf_from(c.get(f"/c/{token}").get_data(as_text=True))
        clients.append((c, form))
    statuses = _race(app, lambda i: clients[i][0].post(f"/c/{token}/request", data={"csrf_token": clients[i][1]})
                     .status_code)
    assert statuses == [302] * THREADS
    assert _pending(app) == 1


def test_concurrent_guest_double_submits_and_confirmations_over_http_create_one_request(app):
    _, [token] = _owner(app)
    forms = []
    for _ in range(THREADS):
        c = app.test_client()
        forms.append((c, csrf_from(c.get(f"/c/{token}").get_data(as_text=True))))
    stamp = old_stamp(app)
    statuses = _race(
        app,
        lambda i: forms[i][0].post(
            f"/c/{token}/request", data={"csrf_token": forms[i][1], "started": stamp, "website": "", **GUEST}
        ).status_code,
    )
    assert statuses == [302] * THREADS
    assert _pending(app) == 0  # nothing reaches the owner before the address is confirmed
    path = confirmation_path(app, GUEST["email"])
    confirms = [csrf_from(forms[i][0].get(path).get_data(as_text=True)) for i in range(THREADS)]
    statuses = _race(app, lambda i: forms[i][0].post(path, data={"csrf_token": confirms[i]}).status_code)
    assert sorted(statuses) == [302] + [410] * (THREADS - 1)
    assert _pending(app) == 1


def test_concurrent_accepts_connect_once(app):
    with app.app_context():
        ada = make_user(email="ada@example.com", name="Ada Lovelace")
        grace = make_user(email="grace@example.com", name="Grace Hopper")
        req = make_request(ada, requester_email=grace.email, name=grace.name, requester_id=grace.id)
        ada_id, req_id = ada.id, req.id

    def accept(i):
        owner = db.session.get(User, ada_id)
        return services.decide_requests(owner, [req_id], "accept", utcnow())

    assert sorted(_race(app, accept)) == [0] * (THREADS - 1) + [1]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Connection)) == 2


def _wait_for_lock_wait(engine) -> None:
    """On PostgreSQL, return once another backend waits on a lock (our request blocked on the unique index)."""
    if engine.dialect.name != "postgresql":
        return
    with engine.connect() as watcher:
        for _ in range(1000):
            waiting = watcher.execute(
                sa.text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")
            ).scalar()
            if waiting:
                return
            threading.Event().wait(0.01)
    raise AssertionError("the request never waited for the rival transaction")


def test_a_rival_insert_in_flight_is_answered_with_the_winner(app):
    """Deterministic version of the race: a rival transaction has inserted the same pending request, uncommitted.

    PostgreSQL: our insert blocks on the partial unique index, fails once the rival commits, and the service
    answers with the rival's request. SQLite: BEGIN IMMEDIATE waits for the rival, then sees its request.
    """
    ada_id, [token] = _owner(app)
    grace = _grace(app)
    rival_engine = sa.create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    try:
        with rival_engine.connect() as rival:
            tx = rival.begin()
            rival.execute(
                ConnectionRequest.__table__.insert().values(
                    owner_id=ada_id, requester_email="grace@example.com", name="Grace", note="", status="pending",
                    created_at=utcnow(),
                )
            )
            box = {}

            def send():
                with app.app_context():
                    box["result"] = _send_as(grace, token)
                    db.session.remove()

            worker = threading.Thread(target=send)
            worker.start()
            _wait_for_lock_wait(rival_engine)
            tx.commit()
            worker.join(30)
    finally:
        rival_engine.dispose()
    assert box["result"].outcome == "already_pending"
    assert _pending(app) == 1

"""Guests' data is kept GUEST_RETENTION_DAYS: declined and unconfirmed requests erased, accepted ones trimmed.

The rule is pure (``oneclick.privacy.rules``); the job runs on the real database with ``now`` injected."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from oneclick import tasks
from oneclick.clock import utcnow
from oneclick.extensions import db
from oneclick.models import Block, Connection, ConnectionRequest, GuestConfirmation
from oneclick.privacy import rules, services

from ..factories import make_invite_link, make_request, make_user

NOW = utcnow().replace(microsecond=0)  # the command and the queue's job read the clock: stay near it
OLD = NOW - timedelta(days=31)
RECENT = NOW - timedelta(days=29)


# --- The rule (pure) ------------------------------------------------------------------------------------------


def _facts(**overrides):
    values = {"member": False, "status": "declined", "confirmed": True, "created_at": OLD, "decided_at": OLD,
              "trimmed": False}
    return rules.RequestFacts(**{**values, **overrides})


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({}, ("erase", "declined")),
        ({"decided_at": RECENT}, ("keep", "recent")),
        ({"decided_at": None}, ("erase", "declined")),  # decided before decided_at was kept: its age counts
        ({"member": True}, ("keep", "member")),
        ({"status": "accepted"}, ("trim", "accepted")),
        ({"status": "accepted", "trimmed": True}, ("keep", "trimmed")),
        ({"status": "accepted", "decided_at": RECENT}, ("keep", "recent")),
        ({"status": "pending", "confirmed": False, "decided_at": None}, ("erase", "unconfirmed")),
        ({"status": "pending", "confirmed": False, "created_at": RECENT, "decided_at": None}, ("keep", "recent")),
        ({"status": "pending", "decided_at": None}, ("keep", "pending")),
    ],
)
def test_the_rule(overrides, expected):
    decision = rules.request_fate(_facts(**overrides), NOW, 30)
    assert (decision.action, decision.reason) == expected


def test_the_rule_at_the_boundary_and_refuses_a_zero_retention():
    exactly = NOW - timedelta(days=30)
    assert rules.request_fate(_facts(decided_at=exactly), NOW, 30).action == "keep"
    assert rules.request_fate(_facts(decided_at=exactly - timedelta(microseconds=1)), NOW, 30).action == "erase"
    assert rules.confirmation_fate(OLD, NOW, 30) == rules.Decision("erase", "confirmation")
    assert rules.confirmation_fate(RECENT, NOW, 30).action == "keep"
    with pytest.raises(ValueError):
        rules.cutoff(NOW, 0)


# --- The job on the database --------------------------------------------------------------------------------


def _seed(app):
    """One owner with a guest row of each kind, old and recent, a member's old declined request and a block."""
    with app.app_context():
        ada = make_user(email="ada@example.com", name="Ada Lovelace")
        bob = make_user(email="bob@example.com", name="Bob")
        link, _ = make_invite_link(ada)

        def req(email, **kw):
            kw.setdefault("email_confirmed_at", kw.get("created_at", OLD))
            return make_request(ada, link, requester_email=email, **kw).id

        ids = {
            "declined_old": req("d-old@example.org", status="declined", created_at=OLD, decided_at=OLD),
            "declined_recent": req("d-new@example.org", status="declined", created_at=OLD, decided_at=RECENT),
            "accepted_old": req("a-old@example.org", status="accepted", created_at=OLD, decided_at=OLD,
                                note="We met at PyCon", shared_card={"phone": "+44 20 7946 0000"}),
            "accepted_recent": req("a-new@example.org", status="accepted", created_at=RECENT, decided_at=RECENT,
                                   note="Hello"),
            "unconfirmed_old": req("u-old@example.org", created_at=OLD, email_confirmed_at=None),
            "unconfirmed_recent": req("u-new@example.org", created_at=RECENT, email_confirmed_at=None),
            "pending_old": req("p-old@example.org", created_at=OLD),
            "member_declined": make_request(ada, link, requester_email=bob.email, requester_id=bob.id,
                                            status="declined", created_at=OLD, decided_at=OLD).id,
        }
        db.session.add(Connection(owner_id=ada.id, email="a-old@example.org", name="Old Guest", link_id=link.id,
                                  created_at=OLD, card_fields="phone", card={"phone": "+44 20 7946 0000"}))
        db.session.add(Block(owner_id=ada.id, email="d-old@example.org", created_at=OLD))
        for email, sent in (("c-old@example.org", OLD), ("c-new@example.org", RECENT)):
            db.session.add(GuestConfirmation(owner_id=ada.id, link_id=link.id, email=email, name="C", note="",
                                             created_at=sent, sent_at=sent))
        db.session.commit()
        return ids


def _state(app):
    with app.app_context():
        requests = {
            r.requester_email: (r.status, r.note, r.shared_card)
            for r in db.session.scalars(select(ConnectionRequest))
        }
        confirmations = sorted(db.session.scalars(select(GuestConfirmation.email)))
        connections = [(c.email, c.card) for c in db.session.scalars(select(Connection))]
        blocks = list(db.session.scalars(select(Block.email)))
        return requests, confirmations, connections, blocks


def test_the_job_erases_declined_and_unconfirmed_trims_accepted_and_is_idempotent(app):
    _seed(app)
    with app.app_context():
        assert services.erase_expired_guest_data(NOW) == 4  # declined, unconfirmed, trimmed, confirmation
    requests, confirmations, connections, blocks = _state(app)
    assert requests == {
        "d-new@example.org": ("declined", "", None),
        "a-old@example.org": ("accepted", "", None),  # what the connection needs: who, when, confirmed
        "a-new@example.org": ("accepted", "Hello", None),
        "u-new@example.org": ("pending", "", None),
        "p-old@example.org": ("pending", "", None),  # waits for the owner
        "bob@example.com": ("declined", "", None),  # a member's request: their account's data
    }
    assert confirmations == ["c-new@example.org"]
    assert connections == [("a-old@example.org", {"phone": "+44 20 7946 0000"})]  # the owner keeps the card
    assert blocks == ["d-old@example.org"]  # a block is the owner's
    with app.app_context():
        assert services.erase_expired_guest_data(NOW) == 0
    assert _state(app)[0] == requests


def test_the_retention_setting_is_honoured(app):
    _seed(app)
    app.config["GUEST_RETENTION_DAYS"] = 60
    with app.app_context():
        assert services.erase_expired_guest_data(NOW) == 0


def test_the_command_and_the_daily_job(app, runner):
    _seed(app)
    tasks.guest_retention()  # the queue's job (the suite's queue runs it inline)
    assert sorted(_state(app)[0]) == ["a-new@example.org", "a-old@example.org", "bob@example.com",
                                      "d-new@example.org", "p-old@example.org", "u-new@example.org"]
    result = runner.invoke(args=["requests", "erase-expired"])
    assert result.exit_code == 0, result.output
    assert "Erased or trimmed 0 guest records." in result.output
    day = [(h, m) for h in range(24) for m in range(60)]
    periodic = tasks.guest_retention.task_class()
    assert [(h, m) for h, m in day if periodic.validate_datetime(datetime(2026, 12, 2, h, m))] == [(3, 41)]


def test_the_rule_module_is_pure():
    import ast
    import sys
    from pathlib import Path

    tree = ast.parse(Path(rules.__file__).read_text())
    imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(tree)
                 if isinstance(node, ast.ImportFrom) and node.module and node.level == 0}
    assert not [n for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.level]  # nothing of the app
    assert imported <= set(sys.stdlib_module_names) | {"__future__"}, imported

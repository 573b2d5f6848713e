"""Every search box (inbox, connections, find members, sent invitations, support console) matches the same way
on SQLite and PostgreSQL: a case-insensitive substring, with ``%``, ``_`` and ``\\`` taken literally."""

from __future__ import annotations

import pytest

from oneclick.admin import services as support
from oneclick.clock import utcnow
from oneclick.extensions import db
from oneclick.inbox import services as inbox
from oneclick.invitations import services as invitations
from oneclick.models import Connection

from .factories import make_invitation, make_request, make_user

NAMES = ["100% Kim", "Kim 100", "snake_case Ann", "snakeXcase Bo", "Back\\slash Cy", "Backslash Dee", "MIXED Case"]

#: (query, names it finds): wildcards and the backslash are literal, letters match in any case.
CASES = [
    ("%", {"100% Kim"}),
    ("100%", {"100% Kim"}),
    ("_", {"snake_case Ann"}),
    ("e_c", {"snake_case Ann"}),
    ("\\", {"Back\\slash Cy"}),
    ("mixed case", {"MIXED Case"}),
    ("KIM", {"100% Kim", "Kim 100"}),
]


@pytest.fixture()
def world(app):
    """One owner with a request, a connection and a sent invitation per name, and a member per name."""
    with app.app_context():
        owner = make_user(email="owner@example.com", name="Owner")
        for n, name in enumerate(NAMES):
            email = f"person{n}@example.com"
            make_user(email=email, name=name)
            make_request(owner, name=name, requester_email=f"guest{n}@example.org")
            db.session.add(Connection(owner_id=owner.id, email=f"conn{n}@example.org", name=name, created_at=utcnow()))
            make_invitation(owner, recipient_name=name, recipient_email=f"inv{n}@example.org", addressed_by_email=True)
        db.session.commit()
        return owner.id


@pytest.mark.parametrize(("query", "expected"), CASES)
def test_search_boxes_agree(app, world, query, expected):
    from oneclick.models import User

    with app.app_context():
        owner = db.session.get(User, world)
        now = utcnow()
        found = {
            "inbox": {r.name for r in inbox.inbox(owner, "pending", now, search=query).rows},
            "connections": {r.name for r in inbox.connections(owner, search=query).rows},
            "sent": {r.invitation.recipient_name for r in invitations.sent_invitations(owner, now, q=query).rows},
            "support": {u.name for u in support.search_members(query)},
        }
        if len(query) >= 2:  # find-members asks for two characters at least
            found["find"] = {r.member.name for r in invitations.search_members(owner, query)}
        assert found == {box: expected for box in found}


def test_search_matches_addresses_in_any_case(app, world):
    from oneclick.models import User

    with app.app_context():
        owner = db.session.get(User, world)
        requests = inbox.inbox(owner, "pending", utcnow(), search="GUEST3@").rows
        assert [r.email for r in requests] == ["guest3@example.org"]
        assert [r.email for r in inbox.connections(owner, search="Conn3@Example").rows] == ["conn3@example.org"]
        assert [u.email for u in support.search_members("PERSON3@")] == ["person3@example.com"]

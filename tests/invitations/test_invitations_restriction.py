"""Restriction and requests to support: the self-lift page (rule 8), support requests, more invitations (rule 5)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from oneclick.extensions import db
from oneclick.models import AuditLog, SupportTicket

from ..factories import set_quota
from .conftest import post_form, quota_of


def restrict(app, who, restrictions=1, **extra):
    with app.app_context():
        from oneclick.models import User

        set_quota(db.session.get(User, who.id), restricted=True, restrictions=restrictions, declines_since_lift=5,
                  declines_total=5 * restrictions, **extra)


def tickets(app):
    with app.app_context():
        return [(t.user_id, t.kind, t.status) for t in db.session.scalars(select(SupportTicket))]


def test_unrestricted_member_sees_so(client, people, as_member):
    as_member(people.ada)
    page = client.get("/invitations/restriction").get_data(as_text=True)
    assert "Your account isn't restricted" in page
    response = post_form(client, "/invitations/restriction/lift", {"agree": "y"}, follow_redirects=True)
    assert "Your account isn&#39;t restricted" in response.get_data(as_text=True)


def test_first_restriction_explained_and_self_lifted(app, client, people, as_member):
    restrict(app, people.ada)
    as_member(people.ada)
    page = client.get("/invitations/restriction").get_data(as_text=True)
    assert "Why your account is restricted" in page and "What it means" in page
    assert "I agree" in page and 'value="Lift my restriction"' in page
    # Without the checkbox: refused, still restricted.
    response = post_form(client, "/invitations/restriction/lift", {})
    assert response.status_code == 400 and "Tick “I agree”" in response.get_data(as_text=True)
    assert quota_of(app, people.ada).restricted
    response = post_form(client, "/invitations/restriction/lift", {"agree": "y"})
    assert response.status_code == 302
    q = quota_of(app, people.ada)
    assert (q.restricted, q.declines_since_lift, q.restrictions, q.declines_total) == (False, 0, 1, 5)
    with app.app_context():
        [log] = db.session.scalars(select(AuditLog)).all()
        assert (log.action, log.actor) == ("lift_self", people.ada.email)


def test_second_restriction_needs_support(app, client, people, as_member):
    restrict(app, people.ada, restrictions=2)
    as_member(people.ada)
    page = client.get("/invitations/restriction").get_data(as_text=True)
    assert "support needs to lift it" in page and "I agree" not in page
    response = post_form(client, "/invitations/restriction/lift", {"agree": "y"}, follow_redirects=True)
    assert "support needs to lift it" in response.get_data(as_text=True)
    assert quota_of(app, people.ada).restricted

    response = post_form(client, "/invitations/restriction/request", {"message": "Sorry, I'll be careful."})
    assert response.status_code == 400 and "confirm you&#39;ll be careful" in response.get_data(as_text=True)
    response = post_form(client, "/invitations/restriction/request",
                         {"message": "Sorry, I'll be careful.", "promise": "y"})
    assert response.status_code == 302
    assert tickets(app) == [(people.ada.id, "lift_restriction", "open")]
    page = client.get("/invitations/restriction").get_data(as_text=True)
    assert "Your request is with support" in page
    # Only one open request at a time.
    post_form(client, "/invitations/restriction/request", {"message": "Again", "promise": "y"})
    assert len(tickets(app)) == 1


def test_first_restriction_does_not_file_support_requests(app, client, people, as_member):
    restrict(app, people.ada)
    as_member(people.ada)
    response = post_form(client, "/invitations/restriction/request", {"message": "hi", "promise": "y"},
                         follow_redirects=True)
    assert "You can lift this restriction yourself" in response.get_data(as_text=True)
    assert tickets(app) == []


@pytest.mark.parametrize("message", ["", "x" * 1001])
def test_support_request_bad_input(app, client, people, as_member, message):
    restrict(app, people.ada, restrictions=2)
    as_member(people.ada)
    response = post_form(client, "/invitations/restriction/request", {"message": message, "promise": "y"})
    assert response.status_code == 400
    assert tickets(app) == []


def test_ask_for_more_only_when_used_up(app, client, people, as_member):
    as_member(people.ada)
    page = client.get("/invitations/more").get_data(as_text=True)
    assert "You still have 3000 of 3000 invitations" in page
    response = post_form(client, "/invitations/more", {"message": "please"})
    assert "You still have invitations left" in response.get_data(as_text=True)
    assert tickets(app) == []

    with app.app_context():
        from oneclick.models import User

        set_quota(db.session.get(User, people.ada.id), invitations_sent=3000)
    assert "Ask support for more invitations" in client.get("/invitations").get_data(as_text=True)
    assert post_form(client, "/invitations/more", {"message": ""}).status_code == 200
    assert tickets(app) == []
    response = post_form(client, "/invitations/more", {"message": "I run a meetup and ran out."})
    assert response.status_code == 302
    assert tickets(app) == [(people.ada.id, "more_invitations", "open")]
    assert "Your request is with support" in client.get("/invitations/more").get_data(as_text=True)

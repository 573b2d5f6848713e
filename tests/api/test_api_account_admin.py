"""API: /me quota, self-service lift, support requests and the admin endpoints."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from oneclick.clock import utcnow
from oneclick.extensions import db
from oneclick.models import AuditLog, Grant, MemberQuota, SupportTicket, User

from ..factories import set_quota
from .conftest import error_of


def _quota(app, info) -> MemberQuota | None:
    with app.app_context():
        row = db.session.get(MemberQuota, info["id"])
        if row is not None:
            db.session.expunge(row)
        return row


def _set(app, info, **fields):
    with app.app_context():
        set_quota(db.session.get(User, info["id"]), **fields)


@pytest.fixture
def admin(api_as):
    return api_as(email="support@example.com", name="Support", is_admin=True)


@pytest.fixture
def member(api_as):
    return api_as(email="member@example.com", name="Some Member")


# --- /me and the restriction ------------------------------------------------------------------------------


def test_me_reflects_the_quota(app, api, user):
    _set(app, user, invitations_sent=10, extra_allotment=500, declines_since_lift=2, restricted=True,
         restrictions=1)
    quota = api.get("me").get_json()["quota"]
    assert quota == {
        "allotment": 3500, "sent": 10, "remaining": 3490, "sent_last_24h": 0, "captcha_after": 100,
        "restricted": True, "restrictions": 1, "declines_since_lift": 2, "spammer": False,
    }


def test_self_lift_the_first_restriction(app, api, user):
    response = api.post("me/restriction/lift", json={"agree": True})
    assert response.status_code == 409 and error_of(response) == "not_restricted"
    _set(app, user, restricted=True, restrictions=1, declines_since_lift=5)
    for bad in ({}, {"agree": False}, {"agree": "true"}, {"agree": 1}):
        response = api.post("me/restriction/lift", json=bad)
        assert response.status_code == 400 and error_of(response) == "invalid", bad
    response = api.post("me/restriction/lift", json={"agree": True})
    assert response.status_code == 200
    assert response.get_json()["quota"]["restricted"] is False
    assert response.get_json()["quota"]["declines_since_lift"] == 0


def test_later_restrictions_need_support(app, api, user):
    _set(app, user, restricted=True, restrictions=2)
    response = api.post("me/restriction/lift", json={"agree": True})
    assert response.status_code == 403 and error_of(response) == "support_required"
    assert _quota(app, user).restricted is True
    response = api.post("support", json={"kind": "lift_restriction", "message": "Please"})
    assert response.status_code == 201
    assert response.get_json()["kind"] == "lift_restriction" and response.get_json()["status"] == "open"
    response = api.post("support", json={"kind": "lift_restriction", "message": "Again"})
    assert response.status_code == 409 and error_of(response) == "request_open"


def test_support_for_more_invitations(app, api, user):
    response = api.post("support", json={"kind": "more_invitations", "message": "More please"})
    assert response.status_code == 409 and error_of(response) == "allotment_left"
    _set(app, user, invitations_sent=3000)
    assert api.post("support", json={"kind": "more_invitations", "message": "More please"}).status_code == 201
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(SupportTicket)) == 1


def test_support_refuses_bad_fields(app, api):
    for data in ({"kind": "chat", "message": "x"}, {"kind": "more_invitations"}, {"message": "x"},
                 {"kind": "more_invitations", "message": "m" * 1001}):
        response = api.post("support", json=data)
        assert response.status_code == 400 and error_of(response) == "invalid", data


def test_lift_with_only_a_restriction_request_open_is_self_lift_available(app, api, user):
    _set(app, user, restricted=True, restrictions=1)
    response = api.post("support", json={"kind": "lift_restriction", "message": "x"})
    assert response.status_code == 409 and error_of(response) == "self_lift_available"
    response = api.post("support", json={"kind": "lift_restriction", "message": "x"}, token=None)
    assert response.status_code == 401


# --- Admin --------------------------------------------------------------------------------------------------


def test_admin_endpoints_refuse_members(app, api, member):
    target = member.user["public_id"]
    for response in (
        api.get("admin/users"),
        api.post(f"admin/users/{target}/grants", json={"amount": 500}),
        api.post(f"admin/users/{target}/restriction/lift"),
        api.put(f"admin/users/{target}/spammer", json={"labeled": True}),
        api.post("admin/users/unknown/grants", json={"amount": "bad"}),
    ):
        assert response.status_code == 403 and error_of(response) == "forbidden"
    assert _quota(app, member.user) is None


def test_admin_search(app, admin, member):
    items = admin.get("admin/users", query_string={"q": "member@"}).get_json()["items"]
    assert [(i["id"], i["email"], i["verified"]) for i in items] == [
        (member.user["public_id"], "member@example.com", True)
    ]
    assert items[0]["quota"]["allotment"] == 3000
    everyone = admin.get("admin/users").get_json()["items"]
    assert {i["email"] for i in everyone} >= {"member@example.com", "support@example.com"}
    assert admin.get("admin/users", query_string={"q": "q" * 101}).status_code == 400


def test_admin_grant(app, admin, member):
    url = f"admin/users/{member.user['public_id']}/grants"
    for amount in (499, 1001):
        response = admin.post(url, json={"amount": amount})
        assert response.status_code == 400 and error_of(response) == "invalid"
        assert "amount" in response.get_json()["error"]["fields"]
    for bad in ({}, {"amount": "500"}, {"amount": 0}, {"amount": 10**9}):
        assert admin.post(url, json=bad).status_code == 400
    response = admin.post(url, json={"amount": 600})
    assert response.status_code == 201
    granted = response.get_json()
    assert granted["quota"]["allotment"] == 3600 and granted["last_grant_at"]
    response = admin.post(url, json={"amount": 600})
    assert response.status_code == 403 and error_of(response) == "grant_refused"
    assert response.get_json()["reason"] == "too_soon" and response.get_json()["next_allowed_at"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Grant)) == 1
        grant = db.session.scalar(select(Grant))
        assert grant.granted_by == "support@example.com"
        assert db.session.scalar(select(AuditLog.action).where(AuditLog.action == "grant")) == "grant"


def test_admin_grant_to_a_spammer_is_refused(app, admin, member):
    assert admin.put(f"admin/users/{member.user['public_id']}/spammer", json={"labeled": True}).status_code == 200
    response = admin.post(f"admin/users/{member.user['public_id']}/grants", json={"amount": 500})
    assert response.status_code == 403 and error_of(response) == "grant_refused"
    assert response.get_json()["reason"] == "spammer"


def test_admin_lift(app, admin, member):
    url = f"admin/users/{member.user['public_id']}/restriction/lift"
    response = admin.post(url)
    assert response.status_code == 409 and error_of(response) == "not_restricted"
    _set(app, member.user, restricted=True, restrictions=3, restricted_at=utcnow() - timedelta(days=1))
    response = admin.post(url)
    assert response.status_code == 200 and response.get_json()["quota"]["restricted"] is False


def test_admin_spammer_label_is_idempotent(app, admin, member):
    url = f"admin/users/{member.user['public_id']}/spammer"
    for labeled in (True, True, False, False):
        response = admin.put(url, json={"labeled": labeled})
        assert response.status_code == 200 and response.get_json()["quota"]["spammer"] is labeled
    assert admin.put(url, json={"labeled": "yes"}).status_code == 400
    assert admin.put(url, json={}).status_code == 400


def test_admin_unknown_member_is_404(admin):
    for response in (
        admin.post("admin/users/nobody/grants", json={"amount": 500}),
        admin.post("admin/users/nobody/restriction/lift"),
        admin.put("admin/users/nobody/spammer", json={"labeled": True}),
    ):
        assert response.status_code == 404 and error_of(response) == "not_found"

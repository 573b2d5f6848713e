"""The support console and its command-line twin: access, member report, queue, grant/lift/label, audit log."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from oneclick.clock import utcnow
from oneclick.extensions import db
from oneclick.models import AuditLog, Grant, SupportTicket, User

from ..factories import make_invitation, set_quota
from .conftest import post_form, quota_of


def quota(app, who, **fields):
    with app.app_context():
        set_quota(db.session.get(User, who.id), **fields)


def audit(app):
    with app.app_context():
        return [(a.actor, a.action, a.target) for a in db.session.scalars(select(AuditLog).order_by(AuditLog.id))]


def ticket(app, who, kind):
    with app.app_context():
        t = SupportTicket(user_id=who.id, kind=kind, message="Please help, I'll be careful.")
        db.session.add(t)
        db.session.commit()
        return t.public_id


# ---- access -------------------------------------------------------------------------------------------------

PAGES = ["/admin/", "/admin/members/{pid}"]
ACTIONS = ["/admin/members/{pid}/grant", "/admin/members/{pid}/lift", "/admin/members/{pid}/label",
           "/admin/members/{pid}/unlabel", "/admin/requests/{tid}/refuse"]


def test_anonymous_is_sent_to_sign_in(client, people, app):
    tid = ticket(app, people.ada, "more_invitations")
    for path in PAGES:
        response = client.get(path.format(pid=people.ada.public_id))
        assert response.status_code == 302 and "/login" in response.location
    for path in ACTIONS:
        response = client.post(path.format(pid=people.ada.public_id, tid=tid))
        assert response.status_code in (302, 400)  # CSRF may answer first; never an action


def test_non_admins_get_404(app, client, people, as_member):
    tid = ticket(app, people.bob, "more_invitations")
    as_member(people.ada)
    for path in PAGES:
        assert client.get(path.format(pid=people.bob.public_id)).status_code == 404
    for path in ACTIONS:
        assert post_form(client, path.format(pid=people.bob.public_id, tid=tid), {"amount": "500"}).status_code == 404
    assert quota_of(app, people.bob) is None and audit(app) == []
    assert "Support</a>" not in client.get("/invitations").get_data(as_text=True)


def test_admin_sees_the_console_and_nav(client, people, as_member):
    as_member(people.root)
    page = client.get("/admin/").get_data(as_text=True)
    assert "Support console" in page and "Support</a>" in page and "No open requests" in page


def test_unknown_member_or_request_is_404(client, people, as_member):
    as_member(people.root)
    assert client.get("/admin/members/nobody").status_code == 404
    for path in ACTIONS:
        assert post_form(client, path.format(pid="nobody", tid="nothing"), {"amount": "500"}).status_code == 404


def test_csrf_is_required(client, people, as_member, app):
    as_member(people.root)
    for path in ACTIONS[:4]:
        response = client.post(path.format(pid=people.ada.public_id), data={"amount": "500"})
        assert response.status_code == 400
    assert audit(app) == []


# ---- search, report and queue ---------------------------------------------------------------------------------


def test_member_search(client, people, as_member):
    as_member(people.root)
    page = client.get("/admin/?q=babb").get_data(as_text=True)
    assert "Bob Babbage" in page and "Cy Clone" not in page
    assert "bob@example.com" in client.get("/admin/?q=bob@").get_data(as_text=True)
    assert "No member matches" in client.get("/admin/?q=zzzz").get_data(as_text=True)


def test_member_report(app, client, people, as_member):
    quota(app, people.ada, invitations_sent=120, extra_allotment=500, declines_since_lift=2, declines_total=7,
          restrictions=1, spammer=False)
    with app.app_context():
        ada = db.session.get(User, people.ada.id)
        for hours in (1, 2, 30):
            make_invitation(ada, created_at=utcnow() - timedelta(hours=hours))
        db.session.add(Grant(user_id=ada.id, amount=500, granted_by="root@example.com"))
        db.session.commit()
    as_member(people.root)
    page = client.get(f"/admin/members/{people.ada.public_id}").get_data(as_text=True)
    for fact in ("<dd>3500</dd>", "<dd>120 (3380 left)</dd>", "<dd>2 (captcha beyond 100)</dd>",
                 "<dd>2 of 5</dd>", "<dd>7 (spammer at 15)</dd>", "<dd>1</dd>"):
        assert fact in page, fact
    assert "root@example.com" in page  # grants history


def test_queue_lists_open_requests_and_can_close_one(app, client, people, as_member):
    tid = ticket(app, people.ada, "lift_restriction")
    as_member(people.root)
    page = client.get("/admin/").get_data(as_text=True)
    assert "Requests waiting (1)" in page and "Lift restriction" in page and "Ada Lovelace" in page
    assert post_form(client, f"/admin/requests/{tid}/refuse").status_code == 302
    assert "No open requests" in client.get("/admin/").get_data(as_text=True)
    response = post_form(client, f"/admin/requests/{tid}/refuse", follow_redirects=True)
    assert "already closed" in response.get_data(as_text=True)
    assert audit(app) == [("root@example.com", "refuse_request", "ada@example.com")]


# ---- actions, each refused when the rules say no, each audited ------------------------------------------------


@pytest.mark.parametrize("amount", ["499", "1001", "0", "-500", "abc", ""])
def test_grant_out_of_bounds_is_refused(app, client, people, as_member, amount):
    as_member(people.root)
    response = post_form(client, f"/admin/members/{people.ada.public_id}/grant", {"amount": amount},
                         follow_redirects=True)
    assert "Refused" in response.get_data(as_text=True)
    assert audit(app) == []
    q = quota_of(app, people.ada)
    assert q is None or q.extra_allotment == 0


def test_grant_then_too_soon_and_closes_the_request(app, client, people, as_member):
    quota(app, people.ada, invitations_sent=3000)
    ticket(app, people.ada, "more_invitations")
    as_member(people.root)
    response = post_form(client, f"/admin/members/{people.ada.public_id}/grant", {"amount": "750"},
                         follow_redirects=True)
    assert "Granted 750 invitations" in response.get_data(as_text=True)
    assert quota_of(app, people.ada).extra_allotment == 750
    with app.app_context():
        assert db.session.scalar(select(SupportTicket.status)) == "done"
        grant = db.session.scalar(select(Grant))
        assert (grant.amount, grant.granted_by, grant.granted_by_id) == (750, "root@example.com", people.root.id)
    response = post_form(client, f"/admin/members/{people.ada.public_id}/grant", {"amount": "500"},
                         follow_redirects=True)
    assert "Refused" in response.get_data(as_text=True) and "Possible again from" in response.get_data(as_text=True)
    assert quota_of(app, people.ada).extra_allotment == 750
    assert audit(app) == [("root@example.com", "grant", "ada@example.com")]


def test_grant_after_the_interval(app, client, people, as_member):
    quota(app, people.ada, extra_allotment=500, last_grant_at=utcnow() - timedelta(days=30, seconds=5))
    as_member(people.root)
    post_form(client, f"/admin/members/{people.ada.public_id}/grant", {"amount": "1000"})
    assert quota_of(app, people.ada).extra_allotment == 1500


def test_no_grant_to_a_spammer(app, client, people, as_member):
    quota(app, people.ada, spammer=True, invitations_sent=3000)
    as_member(people.root)
    page = client.get(f"/admin/members/{people.ada.public_id}").get_data(as_text=True)
    assert "labelled a spammer, so no more invitations" in page
    response = post_form(client, f"/admin/members/{people.ada.public_id}/grant", {"amount": "500"},
                         follow_redirects=True)
    assert "Refused" in response.get_data(as_text=True)
    assert quota_of(app, people.ada).extra_allotment == 0


def test_lift_label_unlabel(app, client, people, as_member):
    quota(app, people.ada, restricted=True, restrictions=2, declines_since_lift=5, declines_total=10)
    tid = ticket(app, people.ada, "lift_restriction")
    as_member(people.root)
    base = f"/admin/members/{people.ada.public_id}"
    assert "Lifted" in post_form(client, base + "/lift", follow_redirects=True).get_data(as_text=True)
    q = quota_of(app, people.ada)
    assert (q.restricted, q.declines_since_lift, q.restrictions) == (False, 0, 2)
    with app.app_context():
        assert db.session.scalar(select(SupportTicket.status).where(SupportTicket.public_id == tid)) == "done"
    assert "Refused" in post_form(client, base + "/lift", follow_redirects=True).get_data(as_text=True)

    assert "Refused" in post_form(client, base + "/unlabel", follow_redirects=True).get_data(as_text=True)
    post_form(client, base + "/label")
    assert quota_of(app, people.ada).spammer
    assert "Refused" in post_form(client, base + "/label", follow_redirects=True).get_data(as_text=True)
    post_form(client, base + "/unlabel")
    assert not quota_of(app, people.ada).spammer
    assert audit(app) == [
        ("root@example.com", "lift", "ada@example.com"),
        ("root@example.com", "label_spammer", "ada@example.com"),
        ("root@example.com", "unlabel_spammer", "ada@example.com"),
    ]
    page = client.get(base).get_data(as_text=True)
    assert "lift" in page and "label spammer" in page and "unlabel spammer" in page  # the audit trail


# ---- the same on the command line -----------------------------------------------------------------------------


def test_cli_grant_lift_label_unlabel_show(app, runner, people):
    quota(app, people.ada, restricted=True, restrictions=3, declines_since_lift=5, declines_total=15)
    result = runner.invoke(args=["support", "grant", "ada@example.com", "600"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["support", "grant", "ada@example.com", "600"])
    assert result.exit_code != 0 and "grant_too_soon" in result.output
    result = runner.invoke(args=["support", "grant", "ada@example.com", "5000"])
    assert result.exit_code != 0 and "grant_out_of_bounds" in result.output
    assert runner.invoke(args=["support", "lift", "ada@example.com"]).exit_code == 0
    assert "not_restricted" in runner.invoke(args=["support", "lift", "ada@example.com"]).output
    assert runner.invoke(args=["support", "label", "ADA@example.com"]).exit_code == 0
    assert runner.invoke(args=["support", "unlabel", "ada@example.com"]).exit_code == 0
    result = runner.invoke(args=["support", "show", "ada@example.com"])
    assert "sent 0 of 3600" in result.output and "spammer no" in result.output
    result = runner.invoke(args=["support", "lift", "nobody@example.com"])
    assert result.exit_code != 0 and "No account" in result.output
    assert audit(app) == [
        ("command line", "grant", "ada@example.com"),
        ("command line", "lift", "ada@example.com"),
        ("command line", "label_spammer", "ada@example.com"),
        ("command line", "unlabel_spammer", "ada@example.com"),
    ]

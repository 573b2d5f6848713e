"""Sent and received invitations: actions per status (rule 9), stale (rule 6), answers and declines (rule 7)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from oneclick.clock import utcnow
from oneclick.extensions import db
from oneclick.mail import outbox
from oneclick.models import AuditLog, Connection, Invitation

from ..factories import make_invitation, set_quota
from .conftest import post_form, quota_of


def invite(app, sender, recipient, **kw):
    with app.app_context():
        inv = make_invitation(sender_user(app, sender), sender_user(app, recipient) if recipient else None, **kw)
        return inv.public_id


def sender_user(app, who):
    from oneclick.models import User

    return db.session.get(User, who.id)


def status_of(app, public_id):
    with app.app_context():
        return db.session.scalar(select(Invitation.status).where(Invitation.public_id == public_id))


# ---- sent list ----------------------------------------------------------------------------------------------


def test_sent_list_empty_state(client, people, as_member):
    as_member(people.ada)
    page = client.get("/invitations/sent").get_data(as_text=True)
    assert "You haven't sent any invitations yet" in page


@pytest.mark.parametrize(
    "status,buttons",
    [
        ("pending", {"Withdraw", "Resend"}),
        ("ignored", {"Withdraw"}),
        ("declined", set()),
        ("accepted", set()),
        ("withdrawn", {"Delete"}),
    ],
)
def test_sent_list_shows_the_actions_of_rule_9(app, client, people, as_member, status, buttons):
    pid = invite(app, people.ada, people.bob, status=status, decline_kind="spam" if status == "declined" else None,
                 created_at=utcnow() - timedelta(days=8))
    as_member(people.ada)
    page = client.get("/invitations/sent").get_data(as_text=True)
    for action in ("withdraw", "resend", "delete"):
        shown = f"/invitations/sent/{pid}/{action}" in page
        assert shown is (action.capitalize() in buttons), action
    # The sender never learns that (or how) it was declined.
    assert "spam" not in page.lower().split("<main", 1)[1]
    assert "don&#39;t know" not in page.split("<main", 1)[1].lower()
    if status in ("pending", "ignored", "declined"):
        assert ">Sent<" in page or ">Stale<" in page


def test_sent_list_search_by_name(app, client, people, as_member):
    invite(app, people.ada, people.bob)
    invite(app, people.ada, people.cy)
    as_member(people.ada)
    page = client.get("/invitations/sent?q=babb").get_data(as_text=True)
    assert "Bob Babbage" in page and "Cy Clone" not in page
    assert "No sent invitation matches" in client.get("/invitations/sent?q=zzz").get_data(as_text=True)
    assert client.get("/invitations/sent?q=%25&page=abc").status_code == 200


def test_sent_list_pages(app, client, people, as_member):
    with app.app_context():
        ada = sender_user(app, people.ada)
        for n in range(55):
            make_invitation(ada, recipient_email=f"p{n}@example.org", recipient_name=f"Person {n:02d}",
                            created_at=utcnow() - timedelta(minutes=n))
    as_member(people.ada)
    first = client.get("/invitations/sent").get_data(as_text=True)
    assert "Person 00" in first and "Person 54" not in first and "page=2" in first
    second = client.get("/invitations/sent?page=2").get_data(as_text=True)
    assert "Person 54" in second and "Person 00" not in second


def test_withdraw_is_silent_and_not_credited(app, client, people, as_member):
    with app.app_context():
        set_quota(sender_user(app, people.ada), invitations_sent=1)
    pid = invite(app, people.ada, people.bob)
    as_member(people.ada)
    with app.app_context():
        before = len(outbox())
    response = post_form(client, f"/invitations/sent/{pid}/withdraw")
    assert response.status_code == 302
    assert status_of(app, pid) == "withdrawn"
    assert quota_of(app, people.ada).invitations_sent == 1
    with app.app_context():
        assert len(outbox()) == before  # the recipient is not told
    # Withdrawing twice is refused politely.
    response = post_form(client, f"/invitations/sent/{pid}/withdraw", follow_redirects=True)
    assert "can&#39;t be withdrawn" in response.get_data(as_text=True)


def test_withdrawn_invitation_disappears_from_recipient(app, client, people, as_member, auth):
    pid = invite(app, people.ada, people.bob)
    as_member(people.ada)
    post_form(client, f"/invitations/sent/{pid}/withdraw")
    auth.logout()
    as_member(people.bob)
    assert "Ada Lovelace" not in client.get("/invitations/received").get_data(as_text=True)
    assert post_form(client, f"/invitations/received/{pid}/accept").status_code == 302
    assert status_of(app, pid) == "withdrawn"


def test_delete_withdrawn_only(app, client, people, as_member):
    pending = invite(app, people.ada, people.bob)
    withdrawn = invite(app, people.ada, people.cy, status="withdrawn")
    as_member(people.ada)
    post_form(client, f"/invitations/sent/{pending}/delete")
    post_form(client, f"/invitations/sent/{withdrawn}/delete")
    page = client.get("/invitations/sent").get_data(as_text=True)
    assert "Bob Babbage" in page and "Cy Clone" not in page
    with app.app_context():
        rows = {i.public_id: i.deleted_by_sender for i in db.session.scalars(select(Invitation))}
    assert rows == {pending: False, withdrawn: True}


def test_resend_once_a_week_costs_nothing(app, client, people, as_member):
    fresh = invite(app, people.ada, people.bob)
    old = invite(app, people.ada, people.cy, created_at=utcnow() - timedelta(days=7, minutes=1))
    as_member(people.ada)
    with app.app_context():
        sent_before = len(outbox())
    response = post_form(client, f"/invitations/sent/{fresh}/resend", follow_redirects=True)
    assert "once a week" in response.get_data(as_text=True)
    response = post_form(client, f"/invitations/sent/{old}/resend", follow_redirects=True)
    assert "Invitation resent." in response.get_data(as_text=True)
    with app.app_context():
        assert len(outbox()) == sent_before + 1 and outbox()[-1]["To"] == people.cy.email
    response = post_form(client, f"/invitations/sent/{old}/resend", follow_redirects=True)
    assert "once a week" in response.get_data(as_text=True)
    assert quota_of(app, people.ada) is None  # no counter touched


def test_stale_invitations_are_marked_and_withdrawn_in_one_action(app, client, people, as_member):
    stale1 = invite(app, people.ada, people.bob, created_at=utcnow() - timedelta(days=8))
    stale2 = invite(app, people.ada, people.cy, created_at=utcnow() - timedelta(days=30))
    fresh = invite(app, people.ada, people.dee, created_at=utcnow() - timedelta(days=6))
    ignored = invite(app, people.ada, people.eve, status="ignored", created_at=utcnow() - timedelta(days=30))
    as_member(people.ada)
    page = client.get("/invitations/sent").get_data(as_text=True)
    assert "2 invitations waiting more than 7 days" in page
    assert page.count(">Stale<") == 2
    response = post_form(client, "/invitations/sent/withdraw-stale", follow_redirects=True)
    assert "Withdrew 2 stale invitations." in response.get_data(as_text=True)
    assert [status_of(app, p) for p in (stale1, stale2, fresh, ignored)] == ["withdrawn", "withdrawn", "pending",
                                                                              "ignored"]
    response = post_form(client, "/invitations/sent/withdraw-stale", follow_redirects=True)
    assert "Nothing stale to withdraw." in response.get_data(as_text=True)


@pytest.mark.parametrize("action", ["withdraw", "resend", "delete"])
def test_someone_elses_sent_invitation_is_404(app, client, people, as_member, action):
    pid = invite(app, people.bob, people.cy, status="withdrawn" if action == "delete" else "pending",
                 created_at=utcnow() - timedelta(days=8))
    as_member(people.ada)
    assert post_form(client, f"/invitations/sent/{pid}/{action}").status_code == 404
    assert post_form(client, f"/invitations/sent/no-such-id/{action}").status_code == 404
    assert status_of(app, pid) == ("withdrawn" if action == "delete" else "pending")


def test_withdraw_stale_touches_only_own(app, client, people, as_member):
    other = invite(app, people.bob, people.cy, created_at=utcnow() - timedelta(days=30))
    as_member(people.ada)
    post_form(client, "/invitations/sent/withdraw-stale")
    assert status_of(app, other) == "pending"


# ---- received list and answers ----------------------------------------------------------------------------------


def test_received_list_and_empty_state(app, client, people, as_member):
    as_member(people.bob)
    assert "No invitations waiting for you" in client.get("/invitations/received").get_data(as_text=True)
    invite(app, people.ada, people.bob, message="Hello from the engine room")
    page = client.get("/invitations/received").get_data(as_text=True)
    assert "Ada Lovelace" in page and "Hello from the engine room" in page
    for label in ("Accept", "Ignore", "I don&#39;t know Ada Lovelace", "Report spam"):
        assert label in page


def test_accept_connects_both_sides(app, client, people, as_member):
    pid = invite(app, people.ada, people.bob)
    reverse = invite(app, people.bob, people.ada)
    as_member(people.bob)
    response = post_form(client, f"/invitations/received/{pid}/accept", follow_redirects=True)
    assert "you&#39;re now connected" in response.get_data(as_text=True)
    assert status_of(app, pid) == "accepted"
    assert status_of(app, reverse) == "accepted"
    with app.app_context():
        rows = db.session.execute(select(Connection.owner_id, Connection.member_id, Connection.source)).all()
    assert sorted(rows) == sorted([(people.ada.id, people.bob.id, "invitation"), (people.bob.id, people.ada.id,
                                                                                   "invitation")])
    # Twice is harmless.
    post_form(client, f"/invitations/received/{pid}/accept")
    with app.app_context():
        assert len(db.session.scalars(select(Connection)).all()) == 2


def test_accept_when_already_connected_one_way_adds_the_other(app, client, people, as_member):
    with app.app_context():
        db.session.add(Connection(owner_id=people.ada.id, email=people.bob.email, name="Bob", source="link"))
        db.session.commit()
    pid = invite(app, people.ada, people.bob)
    as_member(people.bob)
    post_form(client, f"/invitations/received/{pid}/accept")
    with app.app_context():
        rows = db.session.execute(select(Connection.owner_id, Connection.source)).all()
    assert sorted(rows) == sorted([(people.ada.id, "link"), (people.bob.id, "invitation")])


def test_ignore_archives_without_penalty(app, client, people, as_member):
    pid = invite(app, people.ada, people.bob)
    as_member(people.bob)
    post_form(client, f"/invitations/received/{pid}/ignore")
    assert status_of(app, pid) == "ignored"
    assert "Ada Lovelace" not in client.get("/invitations/received").get_data(as_text=True)
    archived = client.get("/invitations/received?show=archived").get_data(as_text=True)
    assert "Ada Lovelace" in archived and f"/received/{pid}/ignore" not in archived
    assert quota_of(app, people.ada) is None
    # An archived invitation can still be accepted later.
    post_form(client, f"/invitations/received/{pid}/accept?show=archived")
    assert status_of(app, pid) == "accepted"


@pytest.mark.parametrize("kind", ["idk", "spam"])
def test_idk_and_spam_count_the_same(app, client, people, as_member, kind):
    pid = invite(app, people.ada, people.bob)
    as_member(people.bob)
    post_form(client, f"/invitations/received/{pid}/{kind}")
    with app.app_context():
        inv = db.session.scalar(select(Invitation).where(Invitation.public_id == pid))
        assert (inv.status, inv.decline_kind) == ("declined", kind)
    q = quota_of(app, people.ada)
    assert (q.declines_since_lift, q.declines_total, q.restricted) == (1, 1, False)


def test_fifth_decline_restricts_the_sender(app, client, people, as_member, auth):
    with app.app_context():
        set_quota(sender_user(app, people.ada), declines_since_lift=4, declines_total=4)
    pid = invite(app, people.ada, people.bob)
    as_member(people.bob)
    post_form(client, f"/invitations/received/{pid}/idk")
    q = quota_of(app, people.ada)
    assert (q.declines_since_lift, q.restricted, q.restrictions) == (5, True, 1)
    assert q.restricted_at is not None
    with app.app_context():
        [log] = db.session.scalars(select(AuditLog)).all()
        assert (log.action, log.actor, log.target) == ("restricted", "system", people.ada.email)
    auth.logout()
    as_member(people.ada)
    page = client.get("/invitations").get_data(as_text=True)
    assert "Your account is restricted" in page and "/invitations/restriction" in page


def test_fifteenth_decline_labels_a_spammer(app, client, people, as_member):
    with app.app_context():
        set_quota(sender_user(app, people.ada), declines_since_lift=9, declines_total=14, restricted=True,
                  restrictions=2)
    pid = invite(app, people.ada, people.bob)
    as_member(people.bob)
    post_form(client, f"/invitations/received/{pid}/spam")
    q = quota_of(app, people.ada)
    assert (q.declines_total, q.spammer, q.restrictions) == (15, True, 2)


def test_answering_twice_counts_once(app, client, people, as_member):
    pid = invite(app, people.ada, people.bob)
    as_member(people.bob)
    post_form(client, f"/invitations/received/{pid}/idk")
    response = post_form(client, f"/invitations/received/{pid}/spam", follow_redirects=True)
    assert "already been answered" in response.get_data(as_text=True)
    assert quota_of(app, people.ada).declines_total == 1


@pytest.mark.parametrize("action", ["accept", "ignore", "idk", "spam"])
def test_someone_elses_received_invitation_is_404(app, client, people, as_member, auth, action):
    pid = invite(app, people.ada, people.bob)
    as_member(people.cy)  # not the recipient
    assert post_form(client, f"/invitations/received/{pid}/{action}").status_code == 404
    auth.logout()
    as_member(people.ada)  # the sender can't answer their own invitation either
    assert post_form(client, f"/invitations/received/{pid}/{action}").status_code == 404
    assert status_of(app, pid) == "pending"


def test_unknown_answer_is_404(app, client, people, as_member):
    pid = invite(app, people.ada, people.bob)
    as_member(people.bob)
    assert post_form(client, f"/invitations/received/{pid}/delete").status_code == 404
    assert status_of(app, pid) == "pending"


def test_meters_on_the_overview(app, client, people, as_member):
    with app.app_context():
        set_quota(sender_user(app, people.ada), invitations_sent=40, declines_since_lift=3)
        make_invitation(sender_user(app, people.ada), people.user(people.bob))
    as_member(people.ada)
    page = client.get("/invitations").get_data(as_text=True)
    assert page.count("<meter") == 3
    assert 'max="3000" value="2960"' in page
    assert 'max="100" value="1"' in page
    assert 'max="5" value="3"' in page


def test_dashboard_shows_the_invitation_meters(app, client, people, as_member):
    with app.app_context():
        set_quota(sender_user(app, people.ada), invitations_sent=3000, restricted=True, restrictions=1)
    as_member(people.ada)
    page = client.get("/dashboard").get_data(as_text=True)
    assert "Your invitations" in page and page.count("<meter") >= 3
    assert "Your account is restricted" in page and "/invitations/more" in page

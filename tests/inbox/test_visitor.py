"""The visitor's side of a link: the request area, the request form, its abuse controls and the confirmation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from oneclick.auth import services as auth_services
from oneclick.clock import utcnow
from oneclick.extensions import db
from oneclick.models import Block, Connection, ConnectionRequest, GuestConfirmation, InviteLink, User
from oneclick.tokens import sign_activation

from ..conftest import body, csrf_from
from ..factories import make_request, make_user
from ..helpers import activate_account
from .helpers import (
    GUEST,
    confirm_post,
    guest_post,
    guest_request,
    member_post,
    old_stamp,
    owner_with_link,
)


def _requests(app, **where):
    with app.app_context():
        stmt = select(ConnectionRequest).order_by(ConnectionRequest.id)
        for key, value in where.items():
            stmt = stmt.where(getattr(ConnectionRequest, key) == value)
        return [
            {"id": r.id, "email": r.requester_email, "name": r.name, "note": r.note, "status": r.status,
             "requester_id": r.requester_id, "link_id": r.link_id}
            for r in db.session.scalars(stmt)
        ]


def _unconfirmed(app):
    with app.app_context():
        return [(g.email, g.name) for g in db.session.scalars(
            select(GuestConfirmation).where(GuestConfirmation.confirmed_at.is_(None)).order_by(GuestConfirmation.id))]


def _connections(app):
    with app.app_context():
        return sorted(
            (c.owner_id, c.email, c.member_id, c.source)
            for c in db.session.scalars(select(Connection))
        )


@pytest.fixture
def owner(app):
    return owner_with_link(app)


# --- The request area -------------------------------------------------------------------------------------


def test_guest_sees_the_guest_form_with_honeypot_and_signed_start(client, owner):
    page = body(client.get(f"/c/{owner['token']}"))
    assert "Ask to connect with Ada Lovelace" in page
    assert 'name="email"' in page and 'name="note"' in page
    assert 'name="website"' in page and 'class="hp-field" aria-hidden="true"' in page
    assert 'name="started"' in page
    assert f'action="/c/{owner["token"]}/request"' in page


def test_member_sees_one_button(client, auth, owner, app):
    with app.app_context():
        make_user(email="grace@example.com", name="Grace Hopper")
    auth.login("grace@example.com")
    page = body(client.get(f"/c/{owner['token']}"))
    assert "Connect with Ada Lovelace" in page
    assert 'name="email"' not in page


def test_owner_sees_a_preview_banner_instead_of_a_form(client, auth, owner):
    auth.login("ada@example.com")
    page = body(client.get(f"/c/{owner['token']}"))
    assert "Preview of your link" in page
    assert f'action="/c/{owner["token"]}/request"' not in page


def test_owner_posting_to_own_link_creates_nothing(client, auth, owner, app):
    auth.login("ada@example.com")
    response = member_post(client, owner["token"])
    assert response.status_code == 302
    assert _requests(app) == []


# --- Member: one click ------------------------------------------------------------------------------------


def test_member_one_click_then_pending_with_date_then_no_second_request(client, auth, owner, app):
    with app.app_context():
        grace = make_user(email="grace@example.com", name="Grace Hopper")
        grace_id = grace.id
    auth.login("grace@example.com")
    response = member_post(client, owner["token"])
    assert response.status_code == 302
    assert response.headers["Location"] == f"/c/{owner['token']}/sent"
    assert "Request sent to Ada Lovelace" in body(client.get(response.headers["Location"]))
    [req] = _requests(app)
    assert req["requester_id"] == grace_id and req["email"] == "grace@example.com" and req["status"] == "pending"

    page = body(client.get(f"/c/{owner['token']}"))
    assert "You asked to connect on" in page
    assert utcnow().strftime("%Y-%m-%d") in page  # the <time datetime> of the request

    # Back button / second tab: the old form is sent again.
    again = client.post(f"/c/{owner['token']}/request", data={"csrf_token": csrf_from(page)})
    assert again.status_code == 302
    assert "already on its way" in body(client.get(again.headers["Location"]))
    assert len(_requests(app)) == 1


def test_connected_member_is_told_so(client, auth, owner, app):
    with app.app_context():
        grace = make_user(email="grace@example.com", name="Grace Hopper")
        db.session.add(Connection(owner_id=owner["id"], member_id=grace.id, email=grace.email, name=grace.name))
        db.session.commit()
    auth.login("grace@example.com")
    assert "You and Ada Lovelace are already connected" in body(client.get(f"/c/{owner['token']}"))
    response = member_post(client, owner["token"])
    assert "already connected" in body(client.get(response.headers["Location"]))
    assert _requests(app) == []


# --- Guest --------------------------------------------------------------------------------------------------


def test_guest_request_is_stored_and_confirmed(client, owner, app):
    response = guest_post(client, app, owner["token"], note="We met at PyCon.")
    assert response.status_code == 302
    sent = client.get(response.headers["Location"])
    assert sent.status_code == 200
    assert "Check your inbox to confirm your request" in body(sent)
    assert _requests(app) == []  # nothing reaches the owner before the address is confirmed
    confirmed = confirm_post(client, app)
    assert confirmed.status_code == 302
    text = body(client.get(confirmed.headers["Location"]))
    assert "Request sent to Ada Lovelace" in text and "Create an account" in text
    [req] = _requests(app)
    assert req == {"id": req["id"], "email": "grace@example.com", "name": "Grace Hopper", "note": "We met at PyCon.",
                   "status": "pending", "requester_id": None, "link_id": owner["link_id"]}
    # The same browser sees "check your inbox" on the landing page afterwards, whatever became of it.
    assert "We emailed you a link to confirm it" in body(client.get(f"/c/{owner['token']}"))


def test_guest_double_submit_creates_one_request(client, owner, app):
    html = client.get(f"/c/{owner['token']}").get_data(as_text=True)
    data = {"csrf_token": csrf_from(html), "started": old_stamp(app), "website": "", **GUEST}
    first = client.post(f"/c/{owner['token']}/request", data=data)
    second = client.post(f"/c/{owner['token']}/request", data=data)
    assert first.status_code == second.status_code == 302
    assert len(_unconfirmed(app)) == 1
    assert confirm_post(client, app).status_code == 302
    assert len(_requests(app)) == 1


def test_confirmation_page_without_a_post_goes_back_to_the_link(client, owner):
    response = client.get(f"/c/{owner['token']}/sent")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/c/{owner['token']}"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"name": "x" * 101}, "Field cannot be longer than 100 characters."),
        ({"email": "a" * 250 + "@example.com"}, "Field cannot be longer than 254 characters."),
        ({"note": "n" * 301}, "Field cannot be longer than 300 characters."),
        ({"email": "not-an-email"}, "Enter a valid email address."),
        ({"email": "grace@"}, "Enter a valid email address."),
        ({"name": ""}, "This field is required."),
        ({"name": "Grace\r\nBcc: x@example.com"}, "Use a single line"),
        ({"note": "bad \x07 bell"}, "control characters"),
    ],
)
def test_bad_guest_fields_are_refused_with_a_message_and_kept(client, owner, app, fields, message):
    response = guest_post(client, app, owner["token"], **fields)
    assert response.status_code == 200
    text = body(response)
    assert message in text
    assert "Ask to connect with Ada Lovelace" in text
    assert _requests(app) == []


def test_oversized_note_is_kept_in_the_form(client, owner, app):
    response = guest_post(client, app, owner["token"], note="n" * 301)
    assert "n" * 301 in body(response)


def test_html_and_script_in_the_note_render_escaped(client, auth, owner, app):
    note = '<script>alert("x")</script><b onclick="evil()">hi</b>'
    guest_request(client, app, owner["token"], name="<img src=x onerror=alert(1)>", note=note)
    auth.login("ada@example.com")
    raw = client.get("/requests").get_data(as_text=True)
    assert "<script>alert" not in raw and "<img src=x" not in raw and '<b onclick' not in raw
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in raw
    assert "&lt;img src=x onerror=alert(1)&gt;" in raw


def test_honeypot_answers_like_success_and_stores_nothing(client, owner, app):
    response = guest_post(client, app, owner["token"], website="http://spam.example")
    assert response.status_code == 302
    assert "Check your inbox to confirm your request" in body(client.get(response.headers["Location"]))
    assert _requests(app) == [] and _unconfirmed(app) == []
    assert app.extensions.get("oneclick.outbox", []) == []


def test_too_fast_guest_is_asked_to_send_again_then_succeeds(client, owner, app):
    fresh = old_stamp(app, seconds=0)
    response = guest_post(client, app, owner["token"], started=fresh)
    assert response.status_code == 200
    assert "That was quick!" in body(response)
    assert _requests(app) == []
    # The same stamp works once the minimum fill time has passed (here: the form is resent with an older stamp).
    assert guest_post(client, app, owner["token"], started=old_stamp(app, 5)).status_code == 302
    assert len(_unconfirmed(app)) == 1


@pytest.mark.parametrize("started", ["", "123", "forged.stamp"])
def test_missing_or_forged_start_stamp_is_refused(client, owner, app, started):
    response = guest_post(client, app, owner["token"], started=started)
    assert response.status_code == 200
    assert "Please check your details and press Send again" in body(response)
    assert _requests(app) == []


def test_post_without_csrf_token_gets_a_friendly_400_and_keeps_the_fields(client, owner, app):
    client.get(f"/c/{owner['token']}")
    response = client.post(
        f"/c/{owner['token']}/request", data={"started": old_stamp(app), "website": "", **GUEST, "note": "kept"}
    )
    assert response.status_code == 400
    text = body(response)
    assert "for your safety nothing was sent yet" in text
    assert 'value="grace@example.com"' in text and "kept</textarea>" in text
    assert _requests(app) == []
    # The page carries a fresh token: sending again works.
    again = client.post(
        f"/c/{owner['token']}/request",
        data={"csrf_token": csrf_from(text), "started": old_stamp(app), "website": "", **GUEST},
    )
    assert again.status_code == 302
    assert len(_unconfirmed(app)) == 1


@pytest.mark.config(REQUEST_CSRF_TIME_LIMIT=1)
def test_lapsed_csrf_token_gets_the_retry_page(client, owner, app, monkeypatch):
    html = client.get(f"/c/{owner['token']}").get_data(as_text=True)
    token = csrf_from(html)
    import itsdangerous.timed

    real = itsdangerous.timed.time.time
    monkeypatch.setattr(itsdangerous.timed.time, "time", lambda: real() + 3600)
    response = client.post(
        f"/c/{owner['token']}/request",
        data={"csrf_token": token, "started": old_stamp(app), "website": "", **GUEST},
    )
    monkeypatch.undo()
    assert response.status_code == 400
    assert "This page was open for a long time" in body(response)
    assert _requests(app) == []


def test_csrf_token_outlives_the_global_limit(client, owner, app, monkeypatch):
    """A page opened from a QR code at breakfast still works after the global 4-hour CSRF limit."""
    html = client.get(f"/c/{owner['token']}").get_data(as_text=True)
    token = csrf_from(html)
    import itsdangerous.timed

    real = itsdangerous.timed.time.time
    later = real() + app.config["WTF_CSRF_TIME_LIMIT"] + 3600
    monkeypatch.setattr(itsdangerous.timed.time, "time", lambda: later)
    response = client.post(
        f"/c/{owner['token']}/request",
        data={"csrf_token": token, "started": old_stamp(app, 60), "website": "", **GUEST},
    )
    monkeypatch.undo()
    assert response.status_code == 302
    assert len(_unconfirmed(app)) == 1


# --- Link states, caps, blocks, limits ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"active": False}, "That link is paused right now"),
        ({"version": 2}, "That link was replaced"),
        ({"max_requests": 0}, "all the requests its owner allows"),
    ],
)
def test_closed_link_sends_nothing(client, owner, app, change, message):
    html = client.get(f"/c/{owner['token']}").get_data(as_text=True)
    with app.app_context():
        link = db.session.get(InviteLink, owner["link_id"])
        for key, value in change.items():
            setattr(link, key, value)
        db.session.commit()
    response = client.post(
        f"/c/{owner['token']}/request",
        data={"csrf_token": csrf_from(html), "started": old_stamp(app), "website": "", **GUEST},
    )
    assert response.status_code == 302
    follow = client.get(response.headers["Location"])
    assert message in body(follow)
    assert _requests(app) == []


def test_garbled_token_post_is_a_friendly_404(client, owner, app):
    html = client.get(f"/c/{owner['token']}").get_data(as_text=True)
    response = client.post(
        "/c/garbled-token/request",
        data={"csrf_token": csrf_from(html), "started": old_stamp(app), "website": "", **GUEST},
    )
    assert response.status_code in (302, 404)
    if response.status_code == 302:
        assert client.get(response.headers["Location"]).status_code == 404
    assert _requests(app) == []


def test_auto_accept_link_connects_at_once(client, auth, app):
    owner = owner_with_link(app, auto_accept=True)
    with app.app_context():
        grace = make_user(email="grace@example.com", name="Grace Hopper")
        grace_id = grace.id
    auth.login("grace@example.com")
    response = member_post(client, owner["token"])
    assert "You're connected with Ada Lovelace" in body(client.get(response.headers["Location"]))
    [req] = _requests(app)
    assert req["status"] == "accepted"
    assert _connections(app) == sorted(
        [(owner["id"], "grace@example.com", grace_id, "link"), (grace_id, "ada@example.com", owner["id"], "link")]
    )
    assert "already connected" in body(client.get(f"/c/{owner['token']}"))


def test_auto_accept_guest_gets_the_owner_side_only(client, app):
    owner = owner_with_link(app, auto_accept=True)
    guest_post(client, app, owner["token"])
    assert _connections(app) == []  # auto-accept waits for the confirmation too
    confirm_post(client, app)
    assert _connections(app) == [(owner["id"], "grace@example.com", None, "link")]


def test_blocked_email_is_answered_like_success_and_never_reaches_the_inbox(client, auth, owner, app):
    with app.app_context():
        db.session.add(Block(owner_id=owner["id"], email="grace@example.com"))
        db.session.commit()
    response = guest_post(client, app, owner["token"], email="Grace@Example.com")
    assert response.status_code == 302
    assert "Check your inbox to confirm your request" in body(client.get(response.headers["Location"]))
    confirmed = confirm_post(client, app)
    assert "Request sent to Ada Lovelace" in body(client.get(confirmed.headers["Location"]))
    assert [r["status"] for r in _requests(app)] == ["declined"]  # declined at once, silently
    auth.login("ada@example.com")
    assert "Grace" not in body(client.get("/requests"))


def test_blocked_member_sees_request_sent_now_and_later_like_anyone(client, auth, owner, app):
    """Old code: the blocked member saw the one-button form again on the next view (others see "pending")."""
    with app.app_context():
        make_user(email="grace@example.com", name="Grace Hopper")
        make_user(email="linus@example.org", name="Linus")
        db.session.add(Block(owner_id=owner["id"], email="grace@example.com"))
        db.session.commit()
    views = {}
    for email in ("grace@example.com", "linus@example.org"):
        member = app.test_client()
        page = member.get("/login").get_data(as_text=True)
        member.post("/login", data={"csrf_token": csrf_from(page), "email": email,
                                    "password": "correct horse battery"})
        sent = member_post(member, owner["token"])
        answer = body(member.get(sent.headers["Location"]))
        later = body(member.get(f"/c/{owner['token']}"))
        again = body(member.get(member_post(member, owner["token"]).headers["Location"]))
        views[email] = (
            "Request sent to Ada Lovelace" in answer, "You asked to connect on" in later,
            "Connect with Ada Lovelace</button>" in later, "already on its way" in again,
        )
    assert views["grace@example.com"] == views["linus@example.org"] == (True, True, False, True)
    assert sorted(r["status"] for r in _requests(app)) == ["declined", "pending"]


def test_declined_requester_keeps_seeing_pending_and_cannot_ask_again(client, auth, owner, app):
    with app.app_context():
        make_user(email="grace@example.com", name="Grace Hopper")
        make_request(db.session.get(User, owner["id"]), requester_email="grace@example.com", status="declined")
    auth.login("grace@example.com")
    assert "You asked to connect on" in body(client.get(f"/c/{owner['token']}"))
    member_post(client, owner["token"])
    assert [r["status"] for r in _requests(app)] == ["declined"]


@pytest.mark.config(REQUEST_DAILY_CAP_PER_LINK=2)
def test_per_link_daily_cap_applies_at_confirmation(client, owner, app):
    with app.app_context():
        ada = db.session.get(User, owner["id"])
        link = db.session.get(InviteLink, owner["link_id"])
        make_request(ada, link)
        make_request(ada, link, created_at=utcnow() - timedelta(days=2))  # not today: doesn't count
    # Unconfirmed requests don't count: two guests send, the cap has room for one more.
    assert guest_post(client, app, owner["token"], email="one@example.com").status_code == 302
    second = app.test_client()
    response = guest_post(second, app, owner["token"], email="two@example.com")
    assert response.status_code == 302  # the form's answer never depends on the owner's cap
    assert "Check your inbox" in body(second.get(response.headers["Location"]))
    assert confirm_post(client, app, "one@example.com").status_code == 302
    refused = confirm_post(second, app, "two@example.com")
    assert refused.status_code == 429
    assert "received a lot of requests through this link today" in body(refused)
    assert len(_requests(app)) == 3
    assert _unconfirmed(app) == [("two@example.com", "Grace Hopper")]  # the mailed link works again tomorrow


@pytest.mark.config(REQUEST_LIMIT_PER_IP="2 per hour")
def test_rate_limit_per_ip_answers_a_friendly_429(client, app):
    owner = owner_with_link(app)
    # Three people behind one address (a conference hall): the third waits.
    assert guest_post(client, app, owner["token"], email="a@example.com").status_code == 302
    assert guest_post(app.test_client(), app, owner["token"], email="b@example.com").status_code == 302
    response = guest_post(app.test_client(), app, owner["token"], email="c@example.com")
    assert response.status_code == 429
    assert "Please wait a little" in body(response)
    assert "Retry-After" in response.headers
    assert len(_unconfirmed(app)) == 2


@pytest.mark.config(REQUEST_LIMIT_PER_LINK="1 per hour")
def test_rate_limit_per_link_counts_across_addresses(app):
    owner = owner_with_link(app)
    first, second = app.test_client(), app.test_client()
    assert guest_post(first, app, owner["token"], email="a@example.com").status_code == 302
    html = second.get(f"/c/{owner['token']}").get_data(as_text=True)
    response = second.post(
        f"/c/{owner['token']}/request",
        data={"csrf_token": csrf_from(html), "started": old_stamp(app), "website": "", **GUEST, "email": "b@x.org"},
        environ_base={"REMOTE_ADDR": "203.0.113.9"},
    )
    assert response.status_code == 429
    assert len(_unconfirmed(app)) == 1


# --- A guest who joins later ---------------------------------------------------------------------------------


def test_guest_who_registers_with_the_same_email_keeps_their_requests(client, app):
    owner = owner_with_link(app)
    with app.app_context():
        other = make_user(email="bob@example.com", name="Bob")
        make_request(other, requester_email="grace@example.com", status="accepted", email_confirmed_at=utcnow())
        db.session.add(Connection(owner_id=other.id, email="grace@example.com", name="Grace"))
        db.session.commit()
        bob_id = other.id
    guest_request(client, app, owner["token"])
    with app.test_request_context():
        auth_services.register("grace@example.com", "Grace Hopper", "a long enough password")
        grace = db.session.scalar(select(User).where(User.email == "grace@example.com"))
        token = sign_activation(grace.public_id, grace.password_hash)
        grace_id = grace.id
    assert activate_account(client, token, "a long enough password").status_code == 302
    assert {r["requester_id"] for r in _requests(app)} == {grace_id}
    conns = _connections(app)
    assert (bob_id, "grace@example.com", grace_id, "link") in conns
    assert (grace_id, "bob@example.com", bob_id, "link") in conns
    # Signed in now, she sees her pending request to Ada on the link.
    assert "You asked to connect on" in body(client.get(f"/c/{owner['token']}"))


def test_unconfirmed_guest_history_never_follows_into_an_account(client, app):
    """A request nobody confirmed (kept from before the double opt-in, or never clicked) stays a guest's.

    Old code: Mallory's guest request as ivy@, once accepted, became a connection of the real Ivy's account.
    """
    owner = owner_with_link(app)
    with app.app_context():
        ada = db.session.get(User, owner["id"])
        make_request(ada, requester_email="grace@example.com", name="Mallory", status="accepted")
        db.session.add(Connection(owner_id=ada.id, email="grace@example.com", name="Mallory"))
        db.session.commit()
    guest_post(client, app, owner["token"])  # never confirmed
    with app.test_request_context():
        auth_services.register("grace@example.com", "Grace Hopper", "a long enough password")
        grace = db.session.scalar(select(User).where(User.email == "grace@example.com"))
        token = sign_activation(grace.public_id, grace.password_hash)
    assert activate_account(client, token, "a long enough password").status_code == 302
    assert {r["requester_id"] for r in _requests(app)} == {None}
    assert _connections(app) == [(owner["id"], "grace@example.com", None, "link")]


def test_request_never_touches_invitation_counters(client, owner, app):
    """Inbound requests create requests and connections only; no other table grows."""
    with app.app_context():
        tables = [t for t in db.metadata.sorted_tables
                  if t.name not in {"connection_requests", "connections", "users", "invite_links", "link_daily_stats",
                                    "link_source_stats",
                                    "guest_confirmations", "mail_outbox", "notifications"}]
        before = {t.name: db.session.scalar(select(func.count()).select_from(t)) for t in tables}
    guest_request(client, app, owner["token"])
    with app.app_context():
        after = {t.name: db.session.scalar(select(func.count()).select_from(t)) for t in tables}
    assert before == after



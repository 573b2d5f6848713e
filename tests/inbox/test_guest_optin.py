"""Guests and requests: double opt-in, no oracle on the guest form, blocks never revealed."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from oneclick import tokens
from oneclick.clock import utcnow
from oneclick.extensions import db
from oneclick.inbox import services
from oneclick.models import Block, Connection, ConnectionRequest, GuestConfirmation, InviteLink, User

from ..conftest import body, csrf_from
from ..factories import make_request, make_user
from ..helpers import at_once
from .helpers import (
    GUEST,
    confirm_post,
    confirmation_path,
    guest_post,
    guest_request,
    member_post,
    old_stamp,
    owner_with_link,
)


@pytest.fixture
def owner(app):
    return owner_with_link(app)


def _outbox(app):
    return app.extensions.setdefault("oneclick.outbox", [])


def _requests(app):
    with app.app_context():
        return [
            (r.requester_email, r.status, r.email_confirmed_at is not None)
            for r in db.session.scalars(select(ConnectionRequest).order_by(ConnectionRequest.id))
        ]


def _confirmations(app):
    with app.app_context():
        return [
            (g.email, g.confirmed_at is not None)
            for g in db.session.scalars(select(GuestConfirmation).order_by(GuestConfirmation.id))
        ]


def _set_owner(app, owner, **fields):
    with app.app_context():
        ada = db.session.get(User, owner["id"])
        for key, value in fields.items():
            setattr(ada, key, value)
        db.session.commit()


# --- Double opt-in ------------------------------------------------------------------------------------------


def test_a_guest_request_reaches_the_owner_only_after_the_mailed_link_is_confirmed(client, auth, owner, app):
    """Old code: the request was in the owner's inbox (and mailed to them) as soon as the form was sent."""
    _set_owner(app, owner, notify_mode="instant")
    response = guest_post(client, app, owner["token"], note="We met at PyCon.")
    assert response.status_code == 302
    assert _requests(app) == []
    # One mail, to the typed address only: a confirmation link, without the guest's own text in it.
    [mail] = _outbox(app)
    assert mail["To"] == "grace@example.com"
    assert mail["Subject"] == "Confirm your request to connect with Ada Lovelace"
    assert "/requests/confirm/" in mail.get_content() and "PyCon" not in mail.get_content()

    path = confirmation_path(app, "grace@example.com")
    page = client.get(path)
    assert page.status_code == 200
    text = body(page)
    assert "Confirm your request to Ada Lovelace" in text and "Grace Hopper" in text and "We met at PyCon." in text
    assert _requests(app) == []  # opening the link (a mail scanner does) confirms nothing
    assert page.headers["Cache-Control"] == "no-store"

    confirmed = client.post(path, data={"csrf_token": csrf_from(page.get_data(as_text=True))})
    assert confirmed.status_code == 302
    assert "Request sent to Ada Lovelace" in body(client.get(confirmed.headers["Location"]))
    assert _requests(app) == [("grace@example.com", "pending", True)]
    # Now the owner is told, and the inbox says the address was confirmed.
    assert [m["To"] for m in _outbox(app)] == ["grace@example.com", "ada@example.com"]
    auth.login("ada@example.com")
    inbox = body(client.get("/requests"))
    assert "Grace Hopper" in inbox and "Email confirmed" in inbox


def test_a_request_from_before_the_opt_in_shows_as_not_confirmed(client, auth, owner, app):
    with app.app_context():
        make_request(db.session.get(User, owner["id"]), requester_email="old@example.com", name="Old Guest")
    auth.login("ada@example.com")
    inbox = body(client.get("/requests"))
    assert "Old Guest" in inbox and "Email not confirmed" in inbox and "Email confirmed" not in inbox


def test_the_confirmation_link_works_once(client, owner, app):
    guest_post(client, app, owner["token"])
    path = confirmation_path(app, "grace@example.com")
    page = client.get(path).get_data(as_text=True)
    first = client.post(path, data={"csrf_token": csrf_from(page)})
    assert first.status_code == 302
    again = client.post(path, data={"csrf_token": csrf_from(page)})
    assert again.status_code == 410 and "confirmed already" in body(again)
    reopened = client.get(path)
    assert reopened.status_code == 410 and "confirmed already" in body(reopened)
    assert _requests(app) == [("grace@example.com", "pending", True)]


def test_an_expired_confirmation_link_is_a_friendly_410(client, owner, app, monkeypatch):
    guest_post(client, app, owner["token"])
    path = confirmation_path(app, "grace@example.com")
    import itsdangerous.timed

    real = itsdangerous.timed.time.time
    monkeypatch.setattr(itsdangerous.timed.time, "time", lambda: real() + app.config["GUEST_CONFIRM_MAX_AGE"] + 60)
    for response in (client.get(path), client.post(path, data={})):
        assert response.status_code == 410
        assert "This confirmation link has expired" in body(response)
    monkeypatch.undo()
    assert _requests(app) == []


@pytest.mark.parametrize(
    "token",
    ["garbled", "x" * 400, "eyJhIjoxfQ.aaaa.bbbb", "%C2%B2-1", "a.b", "..", "ünïcode.tök.en"],
)
def test_a_garbled_confirmation_link_is_a_friendly_404(client, owner, app, token):
    for response in (client.get(f"/requests/confirm/{token}"), client.post(f"/requests/confirm/{token}", data={})):
        assert response.status_code == 404
        assert "We couldn't find this confirmation link" in body(response)


def test_tokens_of_other_purposes_are_no_confirmation_links(client, owner, app):
    with app.app_context():
        forged = [tokens.sign_activation("somepublicid", "x"), owner["token"], tokens.sign_form_started(utcnow())]
    for token in forged:
        assert client.get(f"/requests/confirm/{token}").status_code == 404


def test_a_genuine_link_to_a_purged_request_is_a_friendly_410(client, owner, app):
    with app.app_context():
        token = tokens.sign_guest_confirmation("nosuchrow")
    response = client.get(f"/requests/confirm/{token}")
    assert response.status_code == 410 and "no longer valid" in body(response)


def test_changed_details_make_older_mails_stale(client, owner, app):
    guest_post(client, app, owner["token"], note="First try")
    old = confirmation_path(app, "grace@example.com")
    guest_post(client, app, owner["token"], note="Second try")
    new = confirmation_path(app, "grace@example.com")
    assert client.get(old).status_code == 410
    page = client.get(new)
    assert "Second try" in body(page)
    client.post(new, data={"csrf_token": csrf_from(page.get_data(as_text=True))})
    with app.app_context():
        assert db.session.scalar(select(ConnectionRequest.note)) == "Second try"


def test_sending_the_same_details_twice_keeps_both_mails_working(client, owner, app):
    guest_post(client, app, owner["token"])
    first = confirmation_path(app, "grace@example.com")
    guest_post(client, app, owner["token"])
    assert len(_outbox(app)) == 2 and _confirmations(app) == [("grace@example.com", False)]
    page = client.get(first)
    assert page.status_code == 200
    assert client.post(first, data={"csrf_token": csrf_from(page.get_data(as_text=True))}).status_code == 302
    assert _requests(app) == [("grace@example.com", "pending", True)]


def test_confirming_without_the_pages_csrf_token_sends_nothing_and_asks_again(client, owner, app):
    guest_post(client, app, owner["token"])
    path = confirmation_path(app, "grace@example.com")
    response = client.post(path, data={})
    assert response.status_code == 400
    assert "nothing was sent yet" in body(response)
    assert _requests(app) == []
    assert client.post(path, data={"csrf_token": csrf_from(response.get_data(as_text=True))}).status_code == 302
    assert len(_requests(app)) == 1


def test_confirming_through_a_paused_link_sends_nothing(client, owner, app):
    guest_post(client, app, owner["token"])
    with app.app_context():
        db.session.get(InviteLink, owner["link_id"]).active = False
        db.session.commit()
    response = confirm_post(client, app)
    assert response.status_code == 410 and "That link is paused right now" in body(response)
    assert _requests(app) == []


def test_auto_accept_and_the_daily_cap_apply_at_confirmation(client, app):
    owner = owner_with_link(app, auto_accept=True)
    guest_post(client, app, owner["token"])
    with app.app_context():
        assert db.session.scalar(select(Connection.id)) is None
    guest_request_response = confirm_post(client, app)
    assert "You're connected with Ada Lovelace" in body(client.get(guest_request_response.headers["Location"]))
    assert _requests(app) == [("grace@example.com", "accepted", True)]


def test_a_confirmed_guests_second_request_is_told_to_the_address_owner_only(client, owner, app):
    guest_request(client, app, owner["token"])
    stranger = app.test_client()
    response = guest_post(stranger, app, owner["token"])  # someone else types Grace's address
    assert "Check your inbox to confirm your request" in body(stranger.get(response.headers["Location"]))
    # Only Grace, from her mail, learns it was already sent.
    confirmed = confirm_post(client, app)
    assert "already on its way" in body(client.get(confirmed.headers["Location"]))
    assert len(_requests(app)) == 1


# --- The owner's own address ----------------------------------------------------------------------------------


@pytest.mark.parametrize("email", ["ada@example.com", "  ADA@Example.com "])
def test_the_owners_own_address_is_refused_as_bad_input(client, owner, app, email):
    """Old code: a guest could send Ada a request carrying Ada's own address."""
    response = guest_post(client, app, owner["token"], email=email)
    assert response.status_code == 200
    text = body(response)
    assert "Enter your own email address" in text and 'aria-invalid="true"' in text
    assert _requests(app) == [] and _confirmations(app) == [] and _outbox(app) == []


# --- No oracle on the guest form ------------------------------------------------------------------------------

_VOLATILE = [
    re.compile(r'name="csrf_token"[^>]*value="[^"]*"'),
    re.compile(r'name="started" value="[^"]*"'),
    re.compile(r"[\w.+-]+@example\.(com|org)"),
]


def _normalised(html: str) -> str:
    for pattern in _VOLATILE:
        html = pattern.sub("", html)
    return html


def _views_of(app, token: str, email: str) -> tuple[int, str, str, str]:
    """Send the guest form from a fresh browser; return the answer's status, the page after it, the landing page
    on a later visit, and the mail's text without its link."""
    visitor = app.test_client()
    before = len(_outbox(app))
    response = guest_post(visitor, app, token, email=email)
    answer = visitor.get(response.headers["Location"]) if response.status_code == 302 else response
    later = visitor.get(f"/c/{token}")
    mails = _outbox(app)[before:]
    mail = re.sub(r"/(requests/confirm|guest)/\S+", "", mails[0].get_content()) if mails else ""
    return response.status_code, _normalised(body(answer)), _normalised(body(later)), mail


@pytest.mark.config(REQUEST_DAILY_CAP_PER_LINK=3)
def test_every_outcome_of_an_address_looks_the_same_now_and_later(owner, app):
    """Old code: the next view showed "pending" for a new address but the empty form for a pending, declined,
    connected or blocked one, and the form answered 429 when the link was over its daily cap."""
    past = utcnow() - timedelta(days=3)
    with app.app_context():
        ada = db.session.get(User, owner["id"])
        link = db.session.get(InviteLink, owner["link_id"])
        make_request(ada, link, requester_email="pending@example.com", created_at=past)
        make_request(ada, link, requester_email="declined@example.com", status="declined", created_at=past)
        db.session.add(Connection(owner_id=ada.id, email="connected@example.org", name="Con"))
        db.session.add(Block(owner_id=ada.id, email="blocked@example.com"))
        db.session.commit()
    baseline = _views_of(app, owner["token"], "new@example.com")
    assert baseline[0] == 302 and "Check your inbox to confirm your request" in baseline[1]
    assert "Check your inbox" in baseline[2]
    for email in ("pending@example.com", "declined@example.com", "connected@example.org", "blocked@example.com"):
        assert _views_of(app, owner["token"], email) == baseline, email
    with app.app_context():  # the link reaches its daily cap: still the same answer
        for _ in range(3):
            make_request(db.session.get(User, owner["id"]), db.session.get(InviteLink, owner["link_id"]))
    assert _views_of(app, owner["token"], "late@example.com") == baseline


# --- Purging what nobody confirmed ----------------------------------------------------------------------------


def test_purge_unconfirmed_deletes_expired_confirmations_only(runner, owner, app):
    now = utcnow()
    old = now - timedelta(seconds=app.config["GUEST_CONFIRM_MAX_AGE"] + 60)
    with app.app_context():
        for email, sent_at, confirmed_at in (
            ("stale@example.com", old, None), ("spent@example.com", old, old), ("fresh@example.com", now, None)
        ):
            db.session.add(GuestConfirmation(owner_id=owner["id"], link_id=owner["link_id"], email=email, name="X",
                                             created_at=sent_at, sent_at=sent_at, confirmed_at=confirmed_at))
        db.session.commit()
    result = runner.invoke(args=["requests", "purge-unconfirmed"])
    assert result.exit_code == 0, result.output
    assert "Deleted 2 expired guest confirmations." in result.output
    assert _confirmations(app) == [("fresh@example.com", False)]


# --- Races ----------------------------------------------------------------------------------------------------


def test_twenty_simultaneous_confirmations_place_one_request(client, owner, app):
    _set_owner(app, owner, notify_mode="instant")
    guest_post(client, app, owner["token"])
    with app.app_context():
        public_id = db.session.scalar(select(GuestConfirmation.public_id))
    mails_before = len(_outbox(app))
    results = at_once(app, 20, lambda i: services.confirm_guest_request(public_id, utcnow()), request_context=True)
    outcomes = sorted(r.request.outcome if r.state == "ok" else r.state for r in results)
    assert outcomes == ["sent"] + ["used"] * 19
    assert _requests(app) == [("grace@example.com", "pending", True)]
    assert len(_outbox(app)) == mails_before + 1  # the owner is told once


def test_simultaneous_form_posts_for_one_address_keep_one_unconfirmed_row(app, owner):
    clients = []
    for _ in range(8):
        c = app.test_client()
        clients.append((c, csrf_from(c.get(f"/c/{owner['token']}").get_data(as_text=True))))
    stamp = old_stamp(app)
    statuses = at_once(app, 8, lambda i: clients[i][0].post(
        f"/c/{owner['token']}/request", data={"csrf_token": clients[i][1], "started": stamp, "website": "", **GUEST}
    ).status_code)
    assert statuses == [302] * 8
    assert _confirmations(app) == [("grace@example.com", False)]
    assert _requests(app) == []


# --- Claimed addresses ---------------------------------------------------------------------------------------


def test_a_typed_address_never_stops_its_real_owner_from_connecting(client, auth, owner, app):
    """Old code: Mallory's accepted guest request as grace@ made Grace "already connected" when she, a member,
    asked Ada herself. Rows like that are kept from before the double opt-in (new ones need Grace's inbox)."""
    with app.app_context():
        ada = db.session.get(User, owner["id"])
        make_request(ada, requester_email="grace@example.com", name="Mallory", status="accepted")
        db.session.add(Connection(owner_id=ada.id, email="grace@example.com", name="Mallory"))
        db.session.commit()
        grace_id = make_user(email="grace@example.com", name="Grace Hopper").id
    auth.login("grace@example.com")
    page = body(client.get(f"/c/{owner['token']}"))
    assert "Connect with Ada Lovelace</button>" in page and "already connected" not in page
    sent = member_post(client, owner["token"])
    assert "Request sent to Ada Lovelace" in body(client.get(sent.headers["Location"]))
    with app.app_context():
        request_id = db.session.scalar(select(ConnectionRequest.id).where(ConnectionRequest.requester_id == grace_id))
        assert services.decide_request(db.session.get(User, owner["id"]), request_id, "accept", utcnow())
        rows = db.session.execute(select(Connection.owner_id, Connection.member_id, Connection.name)).all()
    assert sorted(rows) == sorted([(owner["id"], grace_id, "Grace Hopper"), (grace_id, owner["id"], "Ada Lovelace")])

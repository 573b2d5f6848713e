"""API: one-click requests (POST/GET /requests, accept, decline) and connections."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from oneclick.clock import utcnow
from oneclick.extensions import db
from oneclick.inbox import services as requests_services
from oneclick.models import ConnectionRequest, GuestConfirmation, InviteLink, User

from ..factories import make_request
from .conftest import error_of


def _requests(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(ConnectionRequest))


@pytest.fixture
def grace(api_as):
    """Another member with a link: her API client, with ``link`` (the link as the API shows it)."""
    client = api_as(email="grace@example.com", name="Grace Hopper")
    client.link = client.post("links", json={"label": "Talk"}).get_json()
    return client


def test_request_through_a_link_then_accept(app, api, grace, user):
    response = api.post("requests", json={"url": grace.link["url"], "note": "Loved the talk"})
    assert response.status_code == 201
    sent = response.get_json()
    assert sent["status"] == "pending" and sent["note"] == "Loved the talk"
    assert sent["email"] == "ada@example.com" and sent["name"] == "Ada Lovelace"
    assert sent["link_id"] == grace.link["id"]
    # The same request again: 200 with the pending request, nothing new stored.
    again = api.post("requests", json={"url": grace.link["url"]})
    assert again.status_code == 200 and again.get_json()["id"] == sent["id"]
    assert _requests(app) == 1

    inbox = grace.get("requests").get_json()
    assert inbox["next_cursor"] is None
    assert inbox["items"] == [
        {
            "id": sent["id"], "name": "Ada Lovelace", "email": "ada@example.com", "note": "Loved the talk",
            "link_id": grace.link["id"], "status": "pending", "email_confirmed": True,
            "created_at": sent["created_at"],
        }
    ]
    accepted = grace.post(f"requests/{sent['id']}/accept")
    assert accepted.status_code == 200 and accepted.get_json()["status"] == "accepted"
    assert grace.get("requests").get_json()["items"] == []
    assert grace.get("requests?status=accepted").get_json()["items"][0]["id"] == sent["id"]

    mine = api.get("connections").get_json()["items"]
    expected = [("Grace Hopper", grace.user["public_id"], "link")]
    assert [(c["name"], c["member_id"], c["source"]) for c in mine] == expected
    theirs = grace.get("connections").get_json()["items"]
    assert [(c["email"], c["member_id"]) for c in theirs] == [("ada@example.com", user["public_id"])]
    # Connected now: asking again is a conflict.
    response = api.post("requests", json={"url": grace.link["url"]})
    assert response.status_code == 409 and error_of(response) == "already_connected"


def test_request_with_the_bare_token(api, grace):
    token = grace.link["url"].rsplit("/", 1)[1]
    assert api.post("requests", json={"url": token}).status_code == 201


def test_request_through_own_link_is_self_invite(api):
    link = api.post("links", json={"label": "Mine"}).get_json()
    response = api.post("requests", json={"url": link["url"]})
    assert response.status_code == 400 and error_of(response) == "self_invite"


def test_inactive_links_are_410(app, api, grace):
    grace.patch(f"links/{grace.link['id']}", json={"active": False})
    response = api.post("requests", json={"url": grace.link["url"]})
    assert response.status_code == 410 and error_of(response) == "link_inactive"
    grace.patch(f"links/{grace.link['id']}", json={"active": True})
    rotated = grace.post(f"links/{grace.link['id']}/rotate").get_json()
    response = api.post("requests", json={"url": grace.link["url"]})
    assert response.status_code == 410 and error_of(response) == "link_inactive"
    full = grace.post("links", json={"label": "Full", "max_requests": 1}).get_json()
    with app.app_context():
        make_request(db.session.get(User, grace.user["id"]), db.session.get(InviteLink, full["id"]))
    response = api.post("requests", json={"url": full["url"]})
    assert response.status_code == 410 and error_of(response) == "link_inactive"
    assert api.post("requests", json={"url": rotated["url"]}).status_code == 201


@pytest.mark.parametrize("url", ["http://oneclick.test/c/forged.token", "nonsense", "/c/", "http://x/c/a.b/qr.png"])
def test_unknown_links_are_404(app, api, url):
    response = api.post("requests", json={"url": url})
    assert response.status_code == 404 and error_of(response) == "not_found"
    assert _requests(app) == 0


def test_request_body_is_validated(app, api, grace):
    for data in ({}, {"url": ""}, {"url": 3}, {"url": grace.link["url"], "note": "n" * 301}, {"url": "x", "extra": 1}):
        response = api.post("requests", json=data)
        assert response.status_code == 400 and error_of(response) == "invalid", data
    assert _requests(app) == 0


@pytest.mark.config(REQUEST_DAILY_CAP_PER_LINK=0)
def test_daily_cap_is_429_with_retry_after(app, api, grace):
    response = api.post("requests", json={"url": grace.link["url"]})
    assert response.status_code == 429 and error_of(response) == "rate_limited"
    assert 1 <= int(response.headers["Retry-After"]) <= 86400


def test_a_declined_request_still_looks_pending_to_its_sender(api, grace):
    sent = api.post("requests", json={"url": grace.link["url"]}).get_json()
    declined = grace.post(f"requests/{sent['id']}/decline")
    assert declined.status_code == 200 and declined.get_json()["status"] == "declined"
    again = api.post("requests", json={"url": grace.link["url"]})
    assert again.status_code == 200
    assert again.get_json()["id"] == sent["id"] and again.get_json()["status"] == "pending"


def test_a_blocked_sender_is_not_told(app, api, grace, api_as):
    """Old code: a blocked member got ``id: null`` (and 201 again on every retry), so the block showed."""
    with app.app_context():
        requests_services.block_email(db.session.get(User, grace.user["id"]), "ada@example.com", utcnow())
    other = api_as(email="linus@example.org", name="Linus")
    answers = {}
    for who, client in (("blocked", api), ("free", other)):
        first = client.post("requests", json={"url": grace.link["url"], "note": "Hi"})
        again = client.post("requests", json={"url": grace.link["url"]})
        answers[who] = (first, again)
    for first, again in answers.values():
        assert first.status_code == 201 and again.status_code == 200
        body, repeat = first.get_json(), again.get_json()
        assert isinstance(body["id"], int) and repeat == body
        assert body["status"] == "pending" and body["link_id"] == grace.link["id"] and body["email_confirmed"]
    blocked, free = (answers[w][0].get_json() for w in ("blocked", "free"))
    assert set(blocked) == set(free)
    assert {k: v for k, v in blocked.items() if k not in ("id", "name", "email", "created_at")} == {
        k: v for k, v in free.items() if k not in ("id", "name", "email", "created_at")
    }
    # The owner's inbox holds Linus only; Ada's request was declined the moment it came.
    assert [r["email"] for r in grace.get("requests").get_json()["items"]] == ["linus@example.org"]
    declined = grace.get("requests", query_string={"status": "declined"}).get_json()["items"]
    assert [r["email"] for r in declined] == ["ada@example.com"]


def test_decide_errors(app, api, grace):
    sent = api.post("requests", json={"url": grace.link["url"]}).get_json()
    # Not the owner: 404, and nothing changes.
    for action in ("accept", "decline"):
        response = api.post(f"requests/{sent['id']}/{action}")
        assert response.status_code == 404 and error_of(response) == "not_found"
    assert grace.post("requests/999999/accept").status_code == 404
    assert grace.post(f"requests/{sent['id']}/decline").status_code == 200
    response = grace.post(f"requests/{sent['id']}/accept")
    assert response.status_code == 409 and error_of(response) == "already_decided"
    # Repeating the same decision changes nothing and is not an error.
    assert grace.post(f"requests/{sent['id']}/decline").get_json()["status"] == "declined"


@pytest.mark.config(INBOX_PAGE_SIZE=2)
def test_inbox_pages_with_opaque_cursors(app, api, user):
    other = api.post("links", json={"label": "Other"}).get_json()
    link = api.post("links", json={"label": "Main"}).get_json()
    start = utcnow() - timedelta(hours=1)
    with app.app_context():
        owner = db.session.get(User, user["id"])
        main = db.session.get(InviteLink, link["id"])
        for i in range(5):
            make_request(owner, main, name=f"R{i}", created_at=start + timedelta(minutes=i))
        make_request(owner, db.session.get(InviteLink, other["id"]), name="Elsewhere", created_at=start)
        make_request(owner, main, name="Declined", status="declined", created_at=start)
    names, cursor, pages = [], None, 0
    while True:
        page = api.get("requests", query_string={"link": link["id"], **({"cursor": cursor} if cursor else {})})
        assert page.status_code == 200
        data = page.get_json()
        names += [i["name"] for i in data["items"]]
        pages += 1
        cursor = data["next_cursor"]
        if cursor is None:
            break
        assert not re.fullmatch(r"[0-9]+-[0-9]+", cursor)  # opaque: signed, not the inbox's raw position
    assert names == ["R4", "R3", "R2", "R1", "R0"] and pages == 3
    assert [i["name"] for i in api.get("requests?status=declined").get_json()["items"]] == ["Declined"]
    all_pending = api.get("requests").get_json()
    assert len(all_pending["items"]) == 2 and all_pending["next_cursor"]


@pytest.mark.parametrize(
    "query",
    [
        {"cursor": "garbage"},
        {"cursor": "1700000000000000-5"},
        {"cursor": "x" * 400},
        {"status": "maybe"},
        {"link": "abc"},
        {"link": "0"},
        {"link": "-3"},
    ],
)
def test_inbox_refuses_bad_parameters(api, query):
    response = api.get("requests", query_string=query)
    assert response.status_code == 400 and error_of(response) == "invalid"


@pytest.mark.config(INBOX_PAGE_SIZE=1, CONNECTIONS_PAGE_SIZE=1)
def test_cursors_are_bound_to_their_list(app, api, user):
    with app.app_context():
        owner = db.session.get(User, user["id"])
        for _ in range(2):
            make_request(owner)
    cursor = api.get("requests").get_json()["next_cursor"]
    assert cursor
    response = api.get("connections", query_string={"cursor": cursor})
    assert response.status_code == 400 and error_of(response) == "invalid"
    tampered = cursor[:-2] + ("AA" if not cursor.endswith("AA") else "BB")
    assert api.get("requests", query_string={"cursor": tampered}).status_code == 400


def test_inbox_filter_by_someone_elses_link_is_404(api, grace):
    response = api.get("requests", query_string={"link": grace.link["id"]})
    assert response.status_code == 404 and error_of(response) == "not_found"


@pytest.mark.config(CONNECTIONS_PAGE_SIZE=2)
def test_connections_page(app, api, grace, api_as):
    for i in range(3):
        member = api_as(email=f"fan{i}@example.com", name=f"Fan {i}")
        sent = member.post("requests", json={"url": grace.link["url"]}).get_json()
        grace.post(f"requests/{sent['id']}/accept")
    first = grace.get("connections").get_json()
    assert len(first["items"]) == 2 and first["next_cursor"]
    second = grace.get("connections", query_string={"cursor": first["next_cursor"]}).get_json()
    assert len(second["items"]) == 1 and second["next_cursor"] is None
    names = [c["name"] for c in first["items"] + second["items"]]
    assert sorted(names) == ["Fan 0", "Fan 1", "Fan 2"]
    assert all(c["member_id"] for c in first["items"] + second["items"])
    assert api.get("connections").get_json() == {"items": [], "next_cursor": None}
    response = grace.get("connections", query_string={"cursor": "nope"})
    assert response.status_code == 400 and error_of(response) == "invalid"


def test_guest_connection_has_no_member_id(app, api, user):
    link = api.post("links", json={"label": "Guests", "auto_accept": True}).get_json()
    with app.test_request_context():
        token = link["url"].rsplit("/", 1)[1]
        assert requests_services.start_guest_request(token, "Guest Person", "guest@example.org", "", utcnow()).outcome \
            == "mailed"
        public_id = db.session.scalar(select(GuestConfirmation.public_id))
        result = requests_services.confirm_guest_request(public_id, utcnow())
        assert result.request.outcome == "connected"
    items = api.get("connections").get_json()["items"]
    assert [(c["email"], c["member_id"]) for c in items] == [("guest@example.org", None)]


def test_the_inbox_says_which_addresses_were_confirmed(app, api, user):
    """A guest request reaches the inbox only once confirmed; one kept from before the opt-in says so."""
    link = api.post("links", json={"label": "Guests"}).get_json()
    token = link["url"].rsplit("/", 1)[1]
    with app.test_request_context():
        owner = db.session.get(User, user["id"])
        make_request(owner, requester_email="legacy@example.org", name="Legacy Guest")
        assert requests_services.start_guest_request(token, "New Guest", "new@example.org", "", utcnow()).outcome \
            == "mailed"
    assert [r["email"] for r in api.get("requests").get_json()["items"]] == ["legacy@example.org"]
    with app.test_request_context():
        public_id = db.session.scalar(select(GuestConfirmation.public_id))
        assert requests_services.confirm_guest_request(public_id, utcnow()).request.outcome == "sent"
    items = api.get("requests").get_json()["items"]
    assert sorted((r["email"], r["email_confirmed"]) for r in items) == [
        ("legacy@example.org", False), ("new@example.org", True)
    ]

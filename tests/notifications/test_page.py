"""/notifications: unread highlighted once, opening the page or an item marks read, "Mark all read", paging, the
header count; signed-out, CSRF, bad ids and someone else's id."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from oneclick.clock import utcnow
from oneclick.extensions import db
from oneclick.models import Notification
from oneclick.notifications import services

from ..conftest import body, csrf_from
from ..factories import make_invite_link, make_user


@pytest.fixture
def people(app):
    """Ada with three events (a request, an acceptance, a link warning) and Bob with one."""
    with app.app_context():
        ada = make_user(email="ada@example.com", name="Ada Lovelace")
        bob = make_user(email="bob@example.com", name="Bob Owner")
        link, _ = make_invite_link(ada, label="Slides", max_requests=10)
        now = utcnow()
        services.request_received(ada.id, 11, "Grace Hopper", "Slides", False, now - timedelta(minutes=3))
        services.record(ada.id, services.REQUEST_ACCEPTED, now - timedelta(minutes=2), 12, name="Linus")
        services.record(ada.id, services.LINK_REQUESTS, now - timedelta(minutes=1), link.id, label="Slides", used=8,
                        max=10)
        services.invitation_accepted(bob.id, 13, "Margaret", now)
        db.session.commit()
        ids = list(db.session.scalars(select(Notification.id).order_by(Notification.id)))
        return {"ada": ada.id, "bob": bob.id, "link": link.id, "ada_events": ids[:3], "bob_event": ids[3]}


def _read(app, ids):
    with app.app_context():
        return [db.session.get(Notification, i).read_at is not None for i in ids]


def _text(response) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", body(response)).split())


def test_signed_out_visitors_are_sent_to_sign_in(client, people):
    for method, path in (("get", "/notifications"), ("post", "/notifications/read"),
                         ("post", f"/notifications/{people['bob_event']}/open")):
        response = getattr(client, method)(path)
        assert response.status_code in (302, 400), path  # a POST without a CSRF token never gets further
        if response.status_code == 302:
            assert "/login" in response.headers["Location"]


def test_the_page_shows_unread_once_and_marks_what_it_showed(app, client, auth, people):
    auth.login("ada@example.com")
    assert 'aria-label="3 unread"' in body(client.get("/dashboard"))
    first = client.get("/notifications")
    html = body(first)
    assert html.count('class="notification is-unread"') == 3 and html.count(">New</span>") == 3
    text = _text(first)
    assert "Grace Hopper asked to connect through “Slides”." in text
    assert "Linus accepted your request to connect." in text
    assert "Your link “Slides” : 8 of 10 requests used." in text
    assert "Margaret" not in text  # Bob's event
    assert _read(app, people["ada_events"]) == [True, True, True]
    assert _read(app, [people["bob_event"]]) == [False]
    again = body(client.get("/notifications"))
    assert "is-unread" not in again and "Mark all read" not in again
    assert 'unread"' not in body(client.get("/dashboard")).split("</header>")[0]


def test_opening_an_item_marks_it_read_and_leads_to_its_subject(app, client, auth, people):
    auth.login("ada@example.com")
    request_event, accepted_event, link_event = people["ada_events"]
    token = csrf_from(body(client.get("/requests")))  # any page's token; the notifications page stays unopened
    for event, target in ((request_event, "/requests"), (accepted_event, "/connections"),
                          (link_event, f"/links/{people['link']}")):
        response = client.post(f"/notifications/{event}/open", data={"csrf_token": token})
        assert response.status_code == 302 and response.headers["Location"].endswith(target)
    assert _read(app, people["ada_events"]) == [True, True, True]


def test_a_link_warning_for_a_deleted_link_leads_to_the_links_list(app, client, auth, people):
    with app.app_context():
        from oneclick.models import InviteLink

        db.session.delete(db.session.get(InviteLink, people["link"]))
        db.session.commit()
    auth.login("ada@example.com")
    token = csrf_from(body(client.get("/requests")))
    response = client.post(f"/notifications/{people['ada_events'][2]}/open", data={"csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"].endswith("/links")


def test_someone_elses_event_and_bad_ids_are_404(app, client, auth, people):
    auth.login("ada@example.com")
    token = csrf_from(body(client.get("/requests")))
    for path in (f"/notifications/{people['bob_event']}/open", "/notifications/0/open",
                 "/notifications/2147483648/open", "/notifications/99999/open", "/notifications/x/open"):
        assert client.post(path, data={"csrf_token": token}).status_code == 404, path
    assert _read(app, [people["bob_event"]]) == [False]


def test_posts_need_a_csrf_token(app, client, auth, people):
    auth.login("ada@example.com")
    assert client.post(f"/notifications/{people['ada_events'][0]}/open").status_code == 400
    assert client.post("/notifications/read", data={"csrf_token": "forged"}).status_code == 400
    assert _read(app, people["ada_events"]) == [False, False, False]


def test_mark_all_read_marks_up_to_what_the_page_showed(app, client, auth, people):
    app.config["NOTIFICATIONS_PAGE_SIZE"] = 2
    auth.login("ada@example.com")
    page = body(client.get("/notifications"))  # shows (and marks) the two newest; the oldest stays unread
    assert _read(app, people["ada_events"]) == [False, True, True]
    upto = re.search(r'name="upto"[^>]*value="(\d+)"', page).group(1)
    with app.app_context():  # an event arriving after the page was shown stays unread
        services.record(people["ada"], services.REQUEST_ACCEPTED, utcnow(), 99, name="Later")
        db.session.commit()
        later = db.session.scalar(select(Notification.id).where(Notification.subject_id == 99))
    response = client.post("/notifications/read", data={"csrf_token": csrf_from(page), "upto": upto})
    assert response.status_code == 302
    assert _read(app, [*people["ada_events"], later]) == [True, True, True, False]
    assert _read(app, [people["bob_event"]]) == [False]  # never someone else's


@pytest.mark.parametrize("upto", ["abc", "-1", "0", "99999999999", "1e3"])
def test_mark_all_read_refuses_a_garbled_upto(app, client, auth, people, upto):
    auth.login("ada@example.com")
    token = csrf_from(body(client.get("/requests")))
    response = client.post("/notifications/read", data={"csrf_token": token, "upto": upto})
    assert response.status_code == 302
    assert _read(app, people["ada_events"]) == [False, False, False]
    assert "nothing was marked read" in body(client.get("/notifications"))


def test_paging_by_keyset_and_garbled_cursors(app, client, auth, people):
    app.config["NOTIFICATIONS_PAGE_SIZE"] = 2
    auth.login("ada@example.com")
    first = body(client.get("/notifications"))
    after = re.search(r'href="/notifications\?after=(\d+)"', first).group(1)
    second = _text(client.get(f"/notifications?after={after}"))
    assert "Grace Hopper asked to connect" in second and "Linus" not in second
    for garbled in ("abc", "-5", "²", "9" * 40, "0"):
        response = client.get(f"/notifications?after={garbled}")
        assert response.status_code == 200 and "Your link “Slides”" in _text(response), garbled


def test_an_empty_page_is_friendly(app, client, auth):
    with app.app_context():
        make_user(email="new@example.com", name="New Member")
    auth.login("new@example.com")
    response = client.get("/notifications")
    assert response.status_code == 200 and "Nothing here yet" in body(response)
    assert "Mark all read" not in body(response)


def test_the_header_count_stops_at_99(app, client, auth, people):
    with app.app_context():
        now = utcnow()
        for i in range(120):
            services.record(people["ada"], services.REQUEST_ACCEPTED, now, 1000 + i, name=f"P{i}")
        db.session.commit()
    auth.login("ada@example.com")
    header = body(client.get("/dashboard")).split("</header>")[0]
    assert 'aria-label="99+ unread"' in header and 'aria-label="99+ unread notifications"' in header

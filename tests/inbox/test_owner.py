"""The owner's side: inbox, bulk actions, connections, exports, blocks, notifications, badge and dashboard."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from oneclick.clock import utcnow
from oneclick.extensions import db
from oneclick.inbox import services
from oneclick.models import Block, Connection, ConnectionRequest, InviteLink, LinkDailyStat, User

from ..conftest import body, csrf_from
from ..factories import make_invite_link, make_request, make_user

OWNER_PAGES = ["/requests", "/connections", "/connections/export.csv", "/requests/export.csv", "/settings/blocked",
               "/settings/notifications", "/dashboard"]


@pytest.fixture
def world(app):
    """Ada owns two links and has requests; Bob is another owner with his own request."""
    with app.app_context():
        ada = make_user(email="ada@example.com", name="Ada Lovelace")
        bob = make_user(email="bob@example.com", name="Bob Owner")
        grace = make_user(email="grace@example.com", name="Grace Hopper")
        sig, _ = make_invite_link(ada, label="Signature")
        talk, _ = make_invite_link(ada, label="PyCon talk")
        bob_link, _ = make_invite_link(bob, label="Bob's link")
        now = utcnow()
        r_grace = make_request(ada, sig, requester_email=grace.email, name=grace.name, requester_id=grace.id,
                               note="We met at PyCon", created_at=now - timedelta(minutes=3))
        r_guest = make_request(ada, talk, requester_email="linus@example.org", name="Linus Guest",
                               created_at=now - timedelta(minutes=2))
        r_old = make_request(ada, sig, requester_email="old@example.org", name="Old Decline", status="declined",
                             decided_at=now, created_at=now - timedelta(days=3))
        r_bob = make_request(bob, bob_link, requester_email="eve@example.org", name="Eve For Bob")
        return {
            "ada": ada.id, "bob": bob.id, "grace": grace.id, "sig": sig.public_id, "talk": talk.public_id,
            "r_grace": r_grace.id, "r_guest": r_guest.id, "r_old": r_old.id, "r_bob": r_bob.id,
        }


def _status(app, request_id):
    with app.app_context():
        return db.session.get(ConnectionRequest, request_id).status


def _connections(app, owner_id=None):
    with app.app_context():
        stmt = select(Connection)
        if owner_id is not None:
            stmt = stmt.where(Connection.owner_id == owner_id)
        return sorted((c.owner_id, c.email, c.member_id) for c in db.session.scalars(stmt))


# --- Access control and CSRF ----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", OWNER_PAGES)
def test_owner_pages_need_sign_in(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert "/login?next=" in response.headers["Location"]


@pytest.mark.parametrize(
    "path",
    ["/requests/bulk", "/requests/1/accept", "/requests/1/decline", "/requests/1/block", "/connections/1/remove",
     "/settings/blocked", "/settings/blocked/1/delete", "/settings/notifications"],
)
def test_owner_posts_need_sign_in(client, path):
    # Anonymous POSTs fail CSRF first (no session token) or go to /login: never act.
    response = client.post(path, data={})
    assert response.status_code in (302, 400)


@pytest.mark.parametrize(
    "path",
    ["/requests/bulk", "/requests/{r_guest}/accept", "/requests/{r_guest}/decline", "/connections/1/remove",
     "/settings/blocked", "/settings/blocked/1/delete", "/settings/notifications"],
)
def test_owner_posts_without_csrf_get_the_400_page(client, auth, world, app, path):
    auth.login("ada@example.com")
    response = client.post(path.format(**world), data={"ids": [world["r_guest"]], "action": "accept",
                                                       "email": "x@example.com", "notify_mode": "instant"})
    assert response.status_code == 400
    assert "Please try that again" in body(response)
    assert _status(app, world["r_guest"]) == "pending"


# --- Inbox ----------------------------------------------------------------------------------------------------


def test_inbox_lists_pending_with_who_note_link_and_when(client, auth, world):
    auth.login("ada@example.com")
    page = body(client.get("/requests"))
    assert "Grace Hopper" in page and "grace@example.com" in page and "We met at PyCon" in page
    assert "Signature" in page and "PyCon talk" in page
    assert "Linus Guest" in page
    assert "Old Decline" not in page  # declined tab
    assert "Eve For Bob" not in page  # another owner's
    assert page.index("Linus Guest") < page.index("Grace Hopper")  # newest first
    assert "<time datetime=" in page


def test_inbox_tabs(client, auth, world):
    auth.login("ada@example.com")
    declined = body(client.get("/requests?status=declined"))
    assert "Old Decline" in declined and "Grace Hopper" not in declined
    assert "Nothing accepted yet" in body(client.get("/requests?status=accepted"))


def test_inbox_filter_by_link_and_search(client, auth, world):
    auth.login("ada@example.com")
    by_link = body(client.get(f"/requests?link={world['talk']}"))
    assert "Linus Guest" in by_link and "Grace Hopper" not in by_link
    assert "Grace Hopper" in body(client.get("/requests?q=GRACE"))
    assert "Linus Guest" not in body(client.get("/requests?q=grace"))
    assert "Linus Guest" in body(client.get("/requests?q=example.org"))
    assert "No matching requests" in body(client.get("/requests?q=%25"))  # LIKE wildcards are literal


def test_inbox_filter_by_another_owners_link_shows_nothing(client, auth, world, app):
    with app.app_context():
        bob_link = db.session.scalar(select(InviteLink.public_id).where(InviteLink.owner_id == world["bob"]))
    auth.login("ada@example.com")
    page = body(client.get(f"/requests?link={bob_link}"))
    assert "Eve For Bob" not in page and "Grace Hopper" not in page


@pytest.mark.parametrize("query", ["status=bogus", "q=" + "x" * 101, "after=" + "9" * 50])
def test_inbox_bad_filters_are_reset_with_a_message(client, auth, world, query):
    auth.login("ada@example.com")
    response = client.get(f"/requests?{query}")
    assert response.status_code == 302
    assert response.headers["Location"] == "/requests"
    assert "filter wasn't valid" in body(client.get("/requests"))


def test_inbox_malformed_cursor_shows_the_first_page(client, auth, world):
    auth.login("ada@example.com")
    page = body(client.get("/requests?after=abc-def"))
    assert "Grace Hopper" in page


@pytest.mark.config(INBOX_PAGE_SIZE=2)
def test_inbox_keyset_pagination_walks_every_row_once(client, auth, app):
    with app.app_context():
        ada = make_user(email="ada@example.com", name="Ada Lovelace")
        same_time = utcnow()
        # Equal timestamps: the id breaks ties, so nothing is skipped or repeated.
        for i in range(5):
            make_request(ada, requester_email=f"p{i}@example.org", name=f"Person {i}", created_at=same_time)
    auth.login("ada@example.com")
    seen, url = [], "/requests"
    for _ in range(10):
        html = body(client.get(url))
        seen += re.findall(r"<strong>(Person \d)</strong>", html)
        if 'rel="next"' not in html:
            break
        url = html.split('rel="next"')[0].rsplit('href="', 1)[1].split('"')[0]
    assert seen == ["Person 4", "Person 3", "Person 2", "Person 1", "Person 0"]


def test_opening_the_inbox_clears_the_badge(client, auth, world):
    auth.login("ada@example.com")
    dashboard = body(client.get("/dashboard"))
    assert 'class="badge" aria-label="2 new">2</span>' in dashboard
    client.get("/requests")
    assert 'class="badge"' not in body(client.get("/dashboard"))


def test_badge_is_capped(client, auth, app):
    with app.app_context():
        ada = make_user(email="ada@example.com", name="Ada Lovelace")
        rows = [{"owner_id": ada.id, "requester_email": f"p{i}@example.org", "name": f"P{i}", "note": "",
                 "status": "pending", "created_at": utcnow()} for i in range(services.BADGE_CAP + 5)]
        db.session.execute(ConnectionRequest.__table__.insert(), rows)
        db.session.commit()
    auth.login("ada@example.com")
    assert f">{services.BADGE_CAP}+</span>" in body(client.get("/dashboard"))


# --- Accept, decline, block -------------------------------------------------------------------------------------


def test_accept_one_creates_a_connection_on_both_sides_for_a_member(client, auth, world, app):
    auth.login("ada@example.com")
    response = auth.post(f"/requests/{world['r_grace']}/accept", token_from="/requests")
    assert response.status_code == 302
    assert _status(app, world["r_grace"]) == "accepted"
    assert _connections(app) == sorted(
        [(world["ada"], "grace@example.com", world["grace"]), (world["grace"], "ada@example.com", world["ada"])]
    )
    assert "Accepted: you're now connected." in body(client.get(response.headers["Location"]))


def test_accept_a_guest_creates_the_owner_side(client, auth, world, app):
    auth.login("ada@example.com")
    auth.post(f"/requests/{world['r_guest']}/accept", token_from="/requests")
    assert _connections(app) == [(world["ada"], "linus@example.org", None)]


def test_accept_twice_is_harmless(client, auth, world, app):
    auth.login("ada@example.com")
    auth.post(f"/requests/{world['r_guest']}/accept", token_from="/requests")
    response = auth.post(f"/requests/{world['r_guest']}/accept", token_from="/requests")
    assert "already answered" in body(client.get(response.headers["Location"]))
    assert len(_connections(app)) == 1


def test_decline_is_silent(client, auth, world, app):
    from oneclick.mail import outbox

    auth.login("ada@example.com")
    auth.post(f"/requests/{world['r_grace']}/decline", token_from="/requests")
    assert _status(app, world["r_grace"]) == "declined"
    assert _connections(app) == []
    with app.app_context():
        assert [m for m in outbox() if "grace@example.com" in m["To"]] == []
    # Grace, signed in, still sees "pending" on Ada's link.
    client.post("/logout", data={"csrf_token": csrf_from(client.get("/settings").get_data(as_text=True))})
    auth.login("grace@example.com")
    with app.app_context():
        ada = db.session.get(User, world["ada"])
        _, token = make_invite_link(ada, label="Another")
    assert "You asked to connect on" in body(client.get(f"/c/{token}"))


@pytest.mark.parametrize("action", ["accept", "decline", "block"])
def test_another_owners_request_id_is_404(client, auth, world, app, action):
    auth.login("ada@example.com")
    response = auth.post(f"/requests/{world['r_bob']}/{action}", token_from="/requests")
    assert response.status_code == 404
    assert _status(app, world["r_bob"]) == "pending"
    assert auth.post("/requests/999999/accept", token_from="/requests").status_code == 404


def test_bulk_accept_ignores_foreign_and_garbage_ids(client, auth, world, app):
    auth.login("ada@example.com")
    response = auth.post(
        "/requests/bulk",
        {"ids": [str(world["r_grace"]), str(world["r_guest"]), str(world["r_bob"]), str(world["r_old"]), "x", "-3",
                 "99999999999999999999999"],
         "action": "accept", "next": "/requests"},
        token_from="/requests",
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/requests"
    assert "Accepted 2 requests." in body(client.get("/requests?status=accepted"))
    assert _status(app, world["r_bob"]) == "pending"
    assert _status(app, world["r_old"]) == "declined"
    assert _connections(app, world["bob"]) == []
    assert len(_connections(app, world["ada"])) == 2


def test_bulk_decline_and_block(client, auth, world, app):
    auth.login("ada@example.com")
    auth.post("/requests/bulk", {"ids": [str(world["r_guest"])], "action": "block"}, token_from="/requests")
    assert _status(app, world["r_guest"]) == "declined"
    with app.app_context():
        assert db.session.scalars(select(Block.email).where(Block.owner_id == world["ada"])).all() == [
            "linus@example.org"
        ]


def test_bulk_with_nothing_selected_or_bad_action(client, auth, world, app):
    auth.login("ada@example.com")
    response = auth.post("/requests/bulk", {"action": "accept"}, token_from="/requests")
    assert "select at least one pending request" in body(client.get(response.headers["Location"]))
    response = auth.post(
        "/requests/bulk", {"ids": [str(world["r_guest"])], "action": "explode"}, token_from="/requests"
    )
    assert "Choose what to do" in body(client.get(response.headers["Location"]))
    assert _status(app, world["r_guest"]) == "pending"


def test_bulk_redirect_never_leaves_the_site(client, auth, world):
    auth.login("ada@example.com")
    response = auth.post("/requests/bulk", {"ids": [str(world["r_guest"])], "action": "decline",
                                            "next": "https://evil.example/"}, token_from="/requests")
    assert response.headers["Location"] == "/requests"


# --- Connections -----------------------------------------------------------------------------------------------


def _connect_all(app, world):
    with app.app_context():
        ada = db.session.get(User, world["ada"])
        services.decide_requests(ada, [world["r_grace"], world["r_guest"]], "accept", utcnow())


def test_connections_list_search_and_source(client, auth, world, app):
    _connect_all(app, world)
    with app.app_context():
        db.session.add(Connection(owner_id=world["ada"], email="inv@example.net", name="Invited Person",
                                  source="invitation"))
        db.session.commit()
    auth.login("ada@example.com")
    page = body(client.get("/connections"))
    assert "Grace Hopper" in page and "Linus Guest" in page and "Invited Person" in page
    assert "Your link “Signature”" in page and "An invitation" in page
    assert "Eve For Bob" not in page
    only_links = body(client.get("/connections?source=link"))
    assert "Invited Person" not in only_links and "Grace Hopper" in only_links
    assert "Linus Guest" not in body(client.get("/connections?q=grace"))
    # Grace sees Ada, who came through Ada's link ("Their link").
    client.post("/logout", data={"csrf_token": csrf_from(client.get("/settings").get_data(as_text=True))})
    auth.login("grace@example.com")
    grace_page = body(client.get("/connections"))
    assert "Ada Lovelace" in grace_page and "Their link" in grace_page


def test_remove_connection_removes_both_sides(client, auth, world, app):
    _connect_all(app, world)
    with app.app_context():
        conn_id = db.session.scalar(
            select(Connection.id).where(Connection.owner_id == world["ada"], Connection.email == "grace@example.com")
        )
    auth.login("ada@example.com")
    response = auth.post(f"/connections/{conn_id}/remove", {"next": "/connections"}, token_from="/connections")
    assert response.status_code == 302
    assert _connections(app) == [(world["ada"], "linus@example.org", None)]


def test_remove_another_owners_connection_is_404(client, auth, world, app):
    with app.app_context():
        conn = Connection(owner_id=world["bob"], email="eve@example.org", name="Eve")
        db.session.add(conn)
        db.session.commit()
        conn_id = conn.id
    auth.login("ada@example.com")
    assert auth.post(f"/connections/{conn_id}/remove", token_from="/connections").status_code == 404
    assert _connections(app, world["bob"]) == [(world["bob"], "eve@example.org", None)]


def test_csv_exports(client, auth, world, app):
    _connect_all(app, world)
    with app.app_context():
        make_request(db.session.get(User, world["ada"]), requester_email="csv@example.org", name="=HYPERLINK(1)",
                     note="+cmd")
    auth.login("ada@example.com")
    response = client.get("/connections/export.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0] == ["name", "email", "source", "link", "member", "connected_at"]
    assert sorted(r[1] for r in rows[1:]) == ["grace@example.com", "linus@example.org"]

    rows = list(csv.reader(io.StringIO(client.get("/requests/export.csv").get_data(as_text=True))))
    assert rows[0][:4] == ["name", "email", "note", "status"]
    by_email = {r[1]: r for r in rows[1:]}
    assert set(by_email) == {"grace@example.com", "linus@example.org", "old@example.org", "csv@example.org"}
    assert by_email["csv@example.org"][0] == "'=HYPERLINK(1)"  # never a live formula in a spreadsheet
    assert by_email["csv@example.org"][2] == "'+cmd"
    assert by_email["old@example.org"][3] == "declined"


# --- Blocks -----------------------------------------------------------------------------------------------------


def test_block_list_add_and_remove(client, auth, world, app):
    auth.login("ada@example.com")
    response = auth.post("/settings/blocked", {"email": " Linus@Example.org "})
    assert response.status_code == 302
    page = body(client.get("/settings/blocked"))
    assert "linus@example.org" in page
    assert _status(app, world["r_guest"]) == "declined"  # their pending request is declined too
    with app.app_context():
        block_id = db.session.scalar(select(Block.id).where(Block.owner_id == world["ada"]))
    auth.post(f"/settings/blocked/{block_id}/delete", token_from="/settings/blocked")
    assert "Nobody is blocked" in body(client.get("/settings/blocked"))


def test_block_bad_email_is_refused(client, auth, world, app):
    auth.login("ada@example.com")
    response = auth.post("/settings/blocked", {"email": "nope"})
    assert response.status_code == 200
    assert "Enter a valid email address." in body(response)
    response = auth.post("/settings/blocked", {"email": "a" * 250 + "@example.com"})
    assert "Field cannot be longer than 254 characters." in body(response)
    with app.app_context():
        assert db.session.scalars(select(Block)).all() == []


def test_unblock_another_owners_block_is_404(client, auth, world, app):
    with app.app_context():
        block = Block(owner_id=world["bob"], email="x@example.org")
        db.session.add(block)
        db.session.commit()
        block_id = block.id
    auth.login("ada@example.com")
    assert auth.post(f"/settings/blocked/{block_id}/delete", token_from="/settings/blocked").status_code == 404


# --- Notifications and dashboard --------------------------------------------------------------------------------


def test_notification_preference(client, auth, world, app):
    auth.login("ada@example.com")
    assert re.search(r'<input checked[^>]*value="instant"', body(client.get("/settings/notifications")))  # default
    response = auth.post("/settings/notifications", {"notify_mode": "daily"})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(User, world["ada"]).notify_mode == "daily"
    bad = auth.post("/settings/notifications", {"notify_mode": "hourly"})
    assert bad.status_code == 200
    assert "Not a valid choice" in body(bad)
    with app.app_context():
        assert db.session.get(User, world["ada"]).notify_mode == "daily"


def test_dashboard_numbers(client, auth, world, app):
    with app.app_context():
        link_id = db.session.scalar(select(InviteLink.id).where(InviteLink.public_id == world["sig"]))
        today = utcnow().date()
        db.session.add_all([
            LinkDailyStat(link_id=link_id, day=today, clicks=5),
            LinkDailyStat(link_id=link_id, day=today - timedelta(days=6), clicks=2),
            LinkDailyStat(link_id=link_id, day=today - timedelta(days=7), clicks=100),  # older than 7 days
        ])
        db.session.commit()
    _connect_all(app, world)
    with app.app_context():
        make_request(db.session.get(User, world["ada"]), requester_email="new@example.org", name="Newcomer")
    auth.login("ada@example.com")
    html = client.get("/dashboard").get_data(as_text=True)

    def stat(label):
        before = html.split(f'<span class="label">{label}')[0]
        return int(before.rsplit('<span class="value">', 1)[1].split("<")[0])

    assert stat("pending request") == 1
    assert stat("new since your last visit") == 1
    assert stat("connection") == 2
    assert stat("clicks in the last 7 days") == 7
    assert "Signature" in html and "PyCon talk" in html  # the funnel per link

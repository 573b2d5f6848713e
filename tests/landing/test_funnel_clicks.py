"""The funnel never shows more requests than clicks: a request that arrives without a counted visit counts one.

The landing page's form carries a signed "click counted" marker when its visit counted a click; a request posted
without it (a browser the bot filter took for a scanner, a page served to a HEAD, no page at all, the API) counts
the click then, on the same batched path.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from oneclick import tokens
from oneclick.extensions import db
from oneclick.links import services
from oneclick.models import ConnectionRequest, InviteLink

from ..conftest import body, csrf_from
from ..factories import make_api_token, make_user
from ..inbox.helpers import GUEST, confirm_post, old_stamp, owner_with_link
from .helpers import BROWSER
from .test_hot_path import total_clicks

COUNTED_RE = re.compile(r'name="counted" value="([^"]*)"')
# A person's browser the bot filter drops: Microsoft Teams' built-in browser says "Teams".
DROPPED = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 "
           "Safari/537.36 Teams/24165.1410.2974.6689")


def marker_in(html: str) -> str:
    match = COUNTED_RE.search(html)
    return match.group(1) if match else ""


def guest_send(client, app, token: str, agent: str, html: str | None = None, **fields):
    """Post the guest form as a browser with ``agent`` would, from ``html`` (the page it was shown)."""
    data = {"csrf_token": csrf_from(html) if html else "", "started": old_stamp(app), "website": "", **GUEST,
            "counted": marker_in(html) if html else "", **fields}
    return client.post(f"/c/{token}/request", data=data, headers={"User-Agent": agent})


def funnel(app, link_id: int) -> services.Funnel:
    with app.app_context():
        return services.link_funnel(db.session.get(InviteLink, link_id))


def test_a_counted_visit_and_its_request_are_one_click(app, client):
    owner = owner_with_link(app)
    html = body(client.get(f"/c/{owner['token']}", headers={"User-Agent": BROWSER}))
    with app.app_context():
        assert tokens.is_click_counted(marker_in(html), owner["link_public_id"])
    assert guest_send(client, app, owner["token"], BROWSER, html).status_code == 302
    confirm_post(client, app)
    result = funnel(app, owner["link_id"])
    assert (result.clicks, result.requests) == (1, 1)


def test_a_browser_the_bot_filter_drops_still_counts_its_click_when_it_sends(app, client):
    owner = owner_with_link(app)
    html = body(client.get(f"/c/{owner['token']}", headers={"User-Agent": DROPPED}))
    assert total_clicks(app) == 0 and marker_in(html) == ""  # taken for a scanner: no click, no marker
    assert guest_send(client, app, owner["token"], DROPPED, html).status_code == 302
    confirm_post(client, app)
    result = funnel(app, owner["link_id"])
    assert (result.clicks, result.requests) == (1, 1) and result.request_rate == 1.0


def test_a_page_shown_again_after_an_error_keeps_the_marker(app, client):
    owner = owner_with_link(app)
    html = body(client.get(f"/c/{owner['token']}", headers={"User-Agent": BROWSER}))
    again = guest_send(client, app, owner["token"], BROWSER, html, name="")  # "This field is required"
    assert again.status_code == 200 and marker_in(body(again)) == marker_in(html)
    assert guest_send(client, app, owner["token"], BROWSER, body(again)).status_code == 302
    assert total_clicks(app) == 1
    # Without a marker the error page counted the click once the form was sent, and then carries it.
    client2 = app.test_client()
    first = guest_send(client2, app, owner["token"], DROPPED, None, name="", csrf_token="")
    assert marker_in(body(first)) == ""  # nothing was sent yet: nothing counted
    assert total_clicks(app) == 1


@pytest.mark.parametrize("marker", ["", "forged.marker", "other-link"])
def test_a_request_without_a_valid_marker_counts_one_click(app, client, marker):
    owner = owner_with_link(app)
    if marker == "other-link":
        with app.app_context():
            marker = tokens.sign_click_counted("someotherlnk")
    html = body(client.get(f"/c/{owner['token']}", headers={"User-Agent": DROPPED}))
    assert guest_send(client, app, owner["token"], BROWSER, html, counted=marker).status_code == 302
    assert total_clicks(app) == 1


def test_a_head_request_gets_no_marker_and_bots_posting_the_honeypot_count_nothing(app, client):
    owner = owner_with_link(app)
    client.get(f"/c/{owner['token']}", headers={"User-Agent": BROWSER})  # fills the cached guest page
    head = client.head(f"/c/{owner['token']}", headers={"User-Agent": BROWSER})
    assert head.status_code == 200
    bot_page = body(client.get(f"/c/{owner['token']}", headers={"User-Agent": "curl/8.5.0"}))
    assert marker_in(bot_page) == "" and 'name="counted" value=""' in bot_page  # the cached page, marker taken out
    assert total_clicks(app) == 1
    assert guest_send(client, app, owner["token"], "curl/8.5.0", bot_page, website="http://spam").status_code == 302
    assert total_clicks(app) == 1


def test_a_member_who_connects_counts_one_click(app, client, auth):
    owner = owner_with_link(app)
    with app.app_context():
        make_user(email="grace@example.com", name="Grace Hopper")
    auth.login("grace@example.com")
    html = body(client.get(f"/c/{owner['token']}", headers={"User-Agent": BROWSER}))
    assert marker_in(html)
    response = client.post(f"/c/{owner['token']}/request", headers={"User-Agent": BROWSER},
                           data={"csrf_token": csrf_from(html), "counted": marker_in(html)})
    assert response.status_code == 302
    result = funnel(app, owner["link_id"])
    assert (result.clicks, result.requests) == (1, 1)
    # The same member's browser, dropped by the bot filter, on another owner's link: still one click.
    other = make_owner_link(app)
    html = body(client.get(f"/c/{other['token']}", headers={"User-Agent": DROPPED}))
    client.post(f"/c/{other['token']}/request", headers={"User-Agent": DROPPED},
                data={"csrf_token": csrf_from(html), "counted": marker_in(html)})
    result = funnel(app, other["link_id"])
    assert (result.clicks, result.requests) == (1, 1)


def make_owner_link(app) -> dict:
    from ..factories import make_invite_link

    with app.app_context():
        owner = make_user(email="bob@example.com", name="Bob")
        link, token = make_invite_link(owner, label="Bob's")
        return {"link_id": link.id, "token": token}


def test_the_owner_posting_to_their_own_link_counts_nothing(app, client, auth):
    owner = owner_with_link(app)
    auth.login("ada@example.com")
    html = body(client.get(f"/c/{owner['token']}", headers={"User-Agent": BROWSER}))
    client.post(f"/c/{owner['token']}/request", data={"csrf_token": csrf_from(html)}, headers={"User-Agent": BROWSER})
    assert total_clicks(app) == 0


def test_an_api_request_counts_its_click_once(app, client):
    owner = owner_with_link(app)
    with app.app_context():
        grace_token = make_api_token(make_user(email="grace@example.com", name="Grace Hopper"))
    headers = {"Authorization": f"Bearer {grace_token}"}
    first = client.post("/api/v1/requests", json={"url": owner["token"]}, headers=headers)
    again = client.post("/api/v1/requests", json={"url": owner["token"]}, headers=headers)
    assert (first.status_code, again.status_code) == (201, 200)
    result = funnel(app, owner["link_id"])
    assert (result.clicks, result.requests) == (1, 1)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ConnectionRequest)) == 1

"""Where clicks come from: counted per link and day by referring host, utm_source and device; nothing personal."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
from sqlalchemy import select

from oneclick import clicks
from oneclick.clock import utcnow
from oneclick.extensions import db
from oneclick.limits import SOURCE_VALUES_PER_DAY
from oneclick.links import services
from oneclick.models import LinkDailyStat, LinkSourceStat

from ..conftest import body
from ..factories import make_api_token, make_user
from .helpers import BROWSER, new_link
from .test_hot_path import total_clicks

IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
          "Version/17.5 Mobile/15E148 Safari/604.1")
IPAD = "Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148"
SECRET_PATH = "/private/notes-of-ada?session=abc123"


def source_rows(app) -> list[tuple[str, str, int]]:
    with app.app_context():
        return sorted((r.kind, r.value, r.count) for r in db.session.scalars(select(LinkSourceStat)))


def test_a_click_lands_in_its_referrer_utm_and_device_buckets(app, client, user):
    _, token = new_link(app, user["id"])
    client.get(f"/c/{token}?utm_source=News Letter", headers={
        "User-Agent": IPHONE, "Referer": "https://www.linkedin.com/feed/update/urn:li:activity:1?trk=x"})
    client.get(f"/c/{token}", headers={"User-Agent": BROWSER})
    client.get(f"/c/{token}", headers={"User-Agent": IPAD, "Referer": "https://linkedin.com/in/ada"})
    assert source_rows(app) == [
        ("device", "desktop", 1), ("device", "phone", 1), ("device", "tablet", 1),
        ("referrer", "direct", 1), ("referrer", "linkedin.com", 2),
        ("utm", "news-letter", 1),
    ]
    assert total_clicks(app) == 3


@pytest.mark.config(CLICK_FLUSH_SECONDS=3600)
def test_batched_sources_are_written_with_the_clicks(app, client, user):
    link_id, token = new_link(app, user["id"])
    for _ in range(3):
        client.get(f"/c/{token}?utm_source=slides", headers={"User-Agent": IPHONE, "Referer": "https://t.co/x"})
    assert source_rows(app) == []  # still in this worker's tally
    assert clicks.flush_all() == 3
    assert source_rows(app) == [("device", "phone", 3), ("referrer", "t.co", 3), ("utm", "slides", 3)]
    with app.app_context():
        split = services.link_sources(link_id, utcnow().date())
    assert split.referrers == [("t.co", 3)] and split.utm_sources == [("slides", 3)]
    assert split.devices == [("phone", 3), ("tablet", 0), ("desktop", 0)] and split.total == 3


@pytest.mark.parametrize("agent", [
    "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
    "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)",
    "WhatsApp/2.23.20.0 A",
    "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_11_1) AppleWebKit/601.2.4 (KHTML, like Gecko) Version/9.0.1 "
    "Safari/601.2.4 facebookexternalhit/1.1 Facebot Twitterbot/1.0",
    "Twitterbot/1.0",
    "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)",
    "TelegramBot (like TwitterBot)",
])
def test_unfurlers_see_the_page_but_are_not_counted(app, client, user, agent):
    _, token = new_link(app, user["id"], message="Say hello")
    response = client.get(f"/c/{token}", headers={"User-Agent": agent, "Referer": "https://slack.com/"})
    assert response.status_code == 200 and "Say hello" in body(response)
    assert client.get(f"/c/{token}/qr.png", headers={"User-Agent": agent}).status_code == 200
    assert total_clicks(app) == 0 and source_rows(app) == []


def test_nothing_personal_is_stored_anywhere(app, client, user):
    _, token = new_link(app, user["id"])
    visitor_ip = "203.0.113.77"
    client.get(f"/c/{token}?utm_source=mail&utm_medium=x", headers={
        "User-Agent": IPHONE, "Referer": "https://blog.example.org" + SECRET_PATH},
        environ_base={"REMOTE_ADDR": visitor_ip})
    client.get(f"/c/{token}", headers={"User-Agent": BROWSER, "Referer": "http://198.51.100.9/admin"},
               environ_base={"REMOTE_ADDR": visitor_ip})
    rows = source_rows(app)
    assert rows == [("device", "desktop", 1), ("device", "phone", 1), ("referrer", "blog.example.org", 1),
                    ("referrer", "other", 1), ("utm", "mail", 1)]
    with app.app_context():
        columns = [c.name for c in LinkSourceStat.__table__.columns]
        assert columns == ["link_id", "day", "kind", "value", "count"]  # no visitor, address, agent or URL
        # No table holds the visitor's address, the referring page's path, or an IP from a Referer.
        for table in db.metadata.sorted_tables:
            for row in db.session.execute(sa.select(table)):
                text = " ".join(str(v) for v in row)
                for secret in (visitor_ip, "198.51.100.9", "notes-of-ada", "abc123", "utm_medium"):
                    assert secret not in text, (table.name, secret)


def test_a_flood_of_fake_referrers_keeps_a_bounded_number_of_rows(app, client, user):
    _, token = new_link(app, user["id"])
    for n in range(SOURCE_VALUES_PER_DAY + 15):
        client.get(f"/c/{token}?utm_source=u{n}", headers={"User-Agent": BROWSER, "Referer": f"https://s{n}.example/"})
    rows = source_rows(app)
    referrers = [r for r in rows if r[0] == "referrer"]
    utms = [r for r in rows if r[0] == "utm"]
    assert len(referrers) == len(utms) == SOURCE_VALUES_PER_DAY + 1
    assert ("referrer", "other", 15) in referrers and ("utm", "other", 15) in utms
    assert sum(r[2] for r in referrers) == SOURCE_VALUES_PER_DAY + 15  # every click still counted once
    # A value already kept goes on counting under its own name.
    client.get(f"/c/{token}", headers={"User-Agent": BROWSER, "Referer": "https://s0.example/"})
    assert ("referrer", "s0.example", 2) in source_rows(app)


def test_the_bound_holds_for_one_big_batch_most_clicked_first(app, user):
    link_id, _ = new_link(app, user["id"])
    day = date(2026, 12, 1)
    batch = {(link_id, day, f"s{n}.example", None, "desktop"): 1 for n in range(40)}
    batch[(link_id, day, "busy.example", None, "desktop")] = 50
    with app.app_context():
        with db.engine.begin() as connection:
            clicks.write_tally(connection, {(link_id, day): 90}, batch)
        split = services.link_sources(link_id, day, days=1, top=50)
        assert db.session.scalar(select(LinkDailyStat.clicks)) == 90
    assert split.referrers[0] == ("busy.example", 50)
    assert len(split.referrers) == SOURCE_VALUES_PER_DAY + 1 and split.referrers[-1] == ("other", 21)


def test_the_link_page_shows_top_sources_and_the_device_split(app, client, auth, user):
    link_id, token = new_link(app, user["id"])
    for agent, referer in [(IPHONE, "https://www.linkedin.com/"), (IPHONE, "https://linkedin.com/x"),
                           (BROWSER, None), (IPAD, "https://github.com/ada")]:
        client.get(f"/c/{token}", headers={"User-Agent": agent, **({"Referer": referer} if referer else {})})
    auth.login()
    html = body(client.get(f"/links/{link_id}"))
    assert "Where clicks came from" in html
    section = html[html.index('id="sources-title"'):]
    assert section.index("linkedin.com") < section.index("github.com")  # most clicks first
    assert "Direct (no referring site)" in section
    assert "Phones</span>" in section and "2 <span class=\"help\">(50%)" in section
    assert "No cookies, no IP addresses" in section


def test_a_link_without_clicks_says_so(app, client, auth, user):
    link_id, _ = new_link(app, user["id"])
    auth.login()
    assert "No clicks with a known source yet." in body(client.get(f"/links/{link_id}"))


def test_the_api_returns_the_sources_of_own_links_only(app, client, user):
    link_id, token = new_link(app, user["id"])
    client.get(f"/c/{token}?utm_source=pycon", headers={"User-Agent": IPHONE, "Referer": "https://t.co/a"})
    with app.app_context():
        ada = db.session.get(services.User, user["id"])
        ada_token = make_api_token(ada)
        grace_token = make_api_token(make_user(email="grace@example.com", name="Grace Hopper"))
    path = f"/api/v1/links/{link_id}/sources"
    answer = client.get(path, headers={"Authorization": f"Bearer {ada_token}"})
    assert answer.status_code == 200
    assert answer.get_json() == {
        "days": 30, "total": 1,
        "referrers": [{"value": "t.co", "clicks": 1}],
        "utm_sources": [{"value": "pycon", "clicks": 1}],
        "devices": [{"value": "phone", "clicks": 1}, {"value": "tablet", "clicks": 0},
                    {"value": "desktop", "clicks": 0}],
    }
    assert client.get(path, headers={"Authorization": f"Bearer {grace_token}"}).status_code == 404
    assert client.get(path).status_code == 401
    for bad in ("999999", "0", "-1", "abc", "99999999999999999999", "2147483648"):
        unknown = client.get(f"/api/v1/links/{bad}/sources", headers={"Authorization": f"Bearer {ada_token}"})
        assert unknown.status_code == 404, bad
    assert client.get(path, headers={"Authorization": "Bearer oc_not-a-token"}).status_code == 401


def test_a_signed_in_browser_without_a_token_gets_no_sources(app, client, auth, user):
    link_id, _ = new_link(app, user["id"])
    auth.login()  # a session cookie is no API credential: no cross-site read of the counts
    assert client.get(f"/api/v1/links/{link_id}/sources").status_code == 401

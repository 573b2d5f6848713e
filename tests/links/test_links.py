"""The owner's link pages: access control, CSRF, validation, every action and the statistics."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from oneclick.clock import utcnow
from oneclick.extensions import db
from oneclick.links import services
from oneclick.models import ConnectionRequest, InviteLink, LinkDailyStat, User

from ..conftest import csrf_from
from ..factories import make_invite_link, make_request, make_user
from ..helpers import at_once

BROWSER = {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"}


@pytest.fixture
def signed_in(auth, user):
    auth.login()
    return user


def new_link(app, owner_id: int, **columns) -> tuple[int, str]:
    with app.app_context():
        link, token = make_invite_link(db.session.get(User, owner_id), **columns)
        return link.id, token


def get_link(app, link_id: int) -> InviteLink | None:
    with app.app_context():
        link = db.session.get(InviteLink, link_id)
        if link is not None:
            db.session.expunge(link)
        return link


def link_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(InviteLink))


def other_owner(app) -> int:
    with app.app_context():
        return make_user(email="mallory@example.com", name="Mallory").id


GET_ROUTES = ["/links/{id}", "/links/{id}/edit", "/links/{id}/rotate", "/links/{id}/delete",
              "/links/{id}/preview/signature", "/links/{id}/preview/button"]
POST_ROUTES = ["/links/{id}/edit", "/links/{id}/pause", "/links/{id}/resume", "/links/{id}/rotate",
               "/links/{id}/primary", "/links/{id}/delete"]


# --- Access control and CSRF -----------------------------------------------------------------------


def test_anonymous_is_sent_to_sign_in(app, client, user):
    link_id, _ = new_link(app, user["id"])
    for path in ["/links", "/links/new", *(p.format(id=link_id) for p in GET_ROUTES)]:
        response = client.get(path)
        assert response.status_code == 302 and response.location.startswith("/login"), path
    for path in ["/links/new", "/links/vanity", *(p.format(id=link_id) for p in POST_ROUTES)]:
        token = csrf_from(client.get("/login").get_data(as_text=True))
        response = client.post(path, data={"csrf_token": token, "label": "x"})
        assert response.status_code == 302 and response.location.startswith("/login"), path
    assert get_link(app, link_id).version == 1 and link_count(app) == 1


def test_someone_elses_link_is_404_everywhere(app, client, auth, signed_in):
    mallory = other_owner(app)
    link_id, _ = new_link(app, mallory, label="Mallory's link")
    before = get_link(app, link_id)
    for path in GET_ROUTES:
        assert client.get(path.format(id=link_id)).status_code == 404, path
        assert client.get(path.format(id=999999)).status_code == 404, path
    for path in POST_ROUTES:
        response = auth.post(path.format(id=link_id), {"label": "pwned", "channel": "other"}, token_from="/links")
        assert response.status_code == 404, path
    after = get_link(app, link_id)
    assert (after.label, after.version, after.active, after.is_primary) == (
        before.label, before.version, before.active, before.is_primary)
    assert "Mallory" not in client.get("/links").get_data(as_text=True)


def test_every_post_needs_a_csrf_token(app, client, signed_in):
    link_id, _ = new_link(app, signed_in["id"], is_primary=False)
    for path in ["/links/new", "/links/vanity", *(p.format(id=link_id) for p in POST_ROUTES)]:
        response = client.post(path, data={"label": "x", "channel": "other", "enabled": "0"})
        assert response.status_code == 400, path
        assert "Please try that again" in response.get_data(as_text=True)
    link = get_link(app, link_id)
    assert (link.label, link.version, link.active, link.is_primary) == (link.label, 1, True, False)
    assert link_count(app) == 1
    with app.app_context():
        assert db.session.get(User, signed_in["id"]).vanity_enabled


# --- Create and edit -------------------------------------------------------------------------------


def test_create_link_first_becomes_primary(app, client, auth, signed_in):
    assert "No links yet" in client.get("/links").get_data(as_text=True)
    response = auth.post("/links/new", {
        "label": "PyCon talk slides", "channel": "slides", "message": "Say hi!",
        "expires_preset": "custom", "expires_custom": "2099-03-04T15:05", "tz": "UTC",
        "max_requests_preset": "50", "auto_accept": "y",
    })
    assert response.status_code == 302
    link_id = int(response.location.rsplit("/", 1)[1])
    link = get_link(app, link_id)
    assert (link.label, link.channel, link.message, link.max_requests, link.auto_accept) == (
        "PyCon talk slides", "slides", "Say hi!", 50, True)
    assert link.is_primary and link.active and link.owner_id == signed_in["id"]
    assert link.expires_at == datetime(2099, 3, 4, 15, 5, tzinfo=UTC)  # the chosen minute, in the owner's zone
    second = auth.post("/links/new", {"label": "Email signature", "channel": "email"})
    assert not get_link(app, int(second.location.rsplit("/", 1)[1])).is_primary


@pytest.mark.parametrize(
    "data,error",
    [
        ({"label": ""}, "Give the link a label."),
        ({"label": "x" * 81}, "80"),
        ({"label": "ok", "message": "m" * 501}, "500 characters"),
        ({"label": "ok", "max_requests": "0"}, "from 1 to"),
        ({"label": "ok", "max_requests": "100001"}, "from 1 to"),
        ({"label": "ok", "max_requests": "lots"}, "integer"),
        ({"label": "ok", "expires_preset": "custom", "expires_custom": "2001-01-01T10:00"}, "a time in the future"),
        ({"label": "ok", "expires_preset": "custom", "expires_custom": "tomorrow"}, "Not a valid datetime"),
        ({"label": "ok", "expires_preset": "custom"}, "Type the date and time"),
        ({"label": "ok", "expires_preset": "1d", "expires_custom": "2099-01-01T10:00"}, "to use the date you typed"),
        ({"label": "ok", "expires_preset": "keep"}, "Not a valid choice"),
        ({"label": "ok", "expires_preset": "2y"}, "Not a valid choice"),
        ({"label": "ok", "max_requests_preset": "custom"}, "Type the number"),
        ({"label": "ok", "max_requests_preset": "7"}, "Not a valid choice"),
        ({"label": "ok", "channel": "carrier-pigeon"}, "Not a valid choice"),
    ],
)
def test_create_refuses_bad_input_with_a_message(app, auth, signed_in, data, error):
    response = auth.post("/links/new", {"channel": "other", **data})
    assert response.status_code == 200
    assert error in response.get_data(as_text=True)
    assert link_count(app) == 0


@pytest.mark.config(LINKS_MAX_PER_OWNER=2)
def test_link_limit(app, client, auth, signed_in):
    for label in ("one", "two"):
        assert auth.post("/links/new", {"label": label, "channel": "other"}).status_code == 302
    response = auth.post("/links/new", {"label": "three", "channel": "other"})
    assert response.status_code == 200 and "the most allowed" in response.get_data(as_text=True)
    assert link_count(app) == 2
    html = client.get("/links").get_data(as_text=True)
    assert "<meter" in html and 'value="2"' in html


@pytest.mark.config(LINKS_MAX_PER_OWNER=3)
def test_concurrent_creates_respect_the_limit(app, user):
    def create(i):
        owner = db.session.get(User, user["id"])
        try:
            return services.create_link(owner, services.LinkFields(label=f"l{i}")).id
        except services.LinkLimitReached:
            return None

    made = [link_id for link_id in at_once(app, 8, create) if link_id is not None]
    assert len(made) == 3 and link_count(app) == 3
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(InviteLink).where(InviteLink.is_primary)) == 1


def test_edit_prefills_and_saves(app, client, auth, signed_in):
    link_id, _ = new_link(app, signed_in["id"], label="Old", channel="print", message="Hello",
                          expires_at=(utcnow() + timedelta(days=2)).replace(hour=0, minute=0, second=0, microsecond=0))
    html = client.get(f"/links/{link_id}/edit").get_data(as_text=True)
    assert 'value="Old"' in html and "Hello" in html
    assert re.search(r'<option selected value="keep">Keep: ', html)  # the expiry as it is
    response = auth.post(f"/links/{link_id}/edit", {"label": "New", "channel": "social", "message": ""})
    assert response.status_code == 302 and response.location == f"/links/{link_id}"
    link = get_link(app, link_id)
    assert (link.label, link.channel, link.message, link.expires_at, link.auto_accept) == (
        "New", "social", "", None, False)
    response = auth.post(f"/links/{link_id}/edit", {"label": "", "channel": "social"})
    assert response.status_code == 200 and get_link(app, link_id).label == "New"


# --- Actions ---------------------------------------------------------------------------------------


def test_pause_and_resume(app, client, auth, signed_in):
    link_id, token = new_link(app, signed_in["id"])
    assert auth.post(f"/links/{link_id}/pause", token_from=f"/links/{link_id}").status_code == 302
    assert not get_link(app, link_id).active
    assert "Paused" in client.get(f"/links/{link_id}").get_data(as_text=True)
    assert client.get(f"/c/{token}", headers=BROWSER).status_code == 410
    assert auth.post(f"/links/{link_id}/resume", token_from=f"/links/{link_id}").status_code == 302
    assert get_link(app, link_id).active
    assert client.get(f"/c/{token}", headers=BROWSER).status_code == 200


def test_rotate_asks_first_then_replaces_the_url(app, client, auth, signed_in):
    link_id, token = new_link(app, signed_in["id"])
    page = client.get(f"/links/{link_id}/rotate")
    assert page.status_code == 200 and "new URL" in page.get_data(as_text=True)
    assert get_link(app, link_id).version == 1
    assert auth.post(f"/links/{link_id}/rotate").status_code == 302
    assert get_link(app, link_id).version == 2
    html = client.get(f"/links/{link_id}").get_data(as_text=True)
    assert token not in html
    assert client.get(f"/c/{token}", headers=BROWSER).status_code == 410


def test_make_primary(app, client, auth, signed_in):
    first, _ = new_link(app, signed_in["id"], is_primary=True)
    second, _ = new_link(app, signed_in["id"])
    assert auth.post(f"/links/{second}/primary", token_from=f"/links/{second}").status_code == 302
    assert not get_link(app, first).is_primary and get_link(app, second).is_primary


def test_concurrent_primary_switches_leave_exactly_one(app, user):
    ids = [new_link(app, user["id"], is_primary=(i == 0))[0] for i in range(6)]
    assert all(at_once(app, len(ids), lambda i: services.set_primary(db.session.get(User, user["id"]), ids[i])))
    with app.app_context():
        primaries = db.session.scalars(select(InviteLink.id).where(InviteLink.is_primary)).all()
    assert len(primaries) == 1 and primaries[0] in ids


def test_delete_asks_first_and_keeps_requests(app, client, auth, signed_in):
    link_id, token = new_link(app, signed_in["id"])
    client.get(f"/c/{token}", headers=BROWSER)  # owner visit: not counted
    with app.app_context():
        owner = db.session.get(User, signed_in["id"])
        services.record_click(link_id, utcnow())
        request_id = make_request(owner, db.session.get(InviteLink, link_id)).id
    assert "Delete" in client.get(f"/links/{link_id}/delete").get_data(as_text=True)
    assert get_link(app, link_id) is not None
    response = auth.post(f"/links/{link_id}/delete")
    assert response.status_code == 302 and response.location == "/links"
    assert get_link(app, link_id) is None
    with app.app_context():
        assert db.session.get(ConnectionRequest, request_id).link_id is None
        assert db.session.scalar(select(func.count()).select_from(LinkDailyStat)) == 0
    assert client.get(f"/c/{token}", headers=BROWSER).status_code == 404
    assert client.get(f"/links/{link_id}").status_code == 404


def test_vanity_toggle(app, client, auth, signed_in):
    html = client.get("/links").get_data(as_text=True)
    assert "Choose a public handle" in html
    with app.app_context():
        owner = db.session.get(User, signed_in["id"])
        owner.handle = "ada"
        db.session.commit()
    new_link(app, signed_in["id"], is_primary=True)
    assert "http://oneclick.test/@ada" in client.get("/links").get_data(as_text=True)
    assert client.get("/@ada").status_code == 302
    assert auth.post("/links/vanity", {"enabled": "0"}, token_from="/links").status_code == 302
    assert client.get("/@ada").status_code == 404
    assert "switched off" in client.get("/links").get_data(as_text=True)
    assert auth.post("/links/vanity", {"enabled": "maybe"}, token_from="/links").status_code == 400
    assert auth.post("/links/vanity", {"enabled": "1"}, token_from="/links").status_code == 302
    assert client.get("/@ada").status_code == 302


# --- Pages and statistics --------------------------------------------------------------------------


def test_overview_shows_the_funnel(app, client, signed_in):
    a, _ = new_link(app, signed_in["id"], label="Signature", is_primary=True)
    b, _ = new_link(app, signed_in["id"], label="Slides", active=False)
    with app.app_context():
        owner = db.session.get(User, signed_in["id"])
        for _ in range(10):
            services.record_click(a, utcnow())
        for _ in range(4):
            services.record_click(b, utcnow() - timedelta(days=3))
        make_request(owner, db.session.get(InviteLink, a), status="accepted")
        make_request(owner, db.session.get(InviteLink, a), status="pending")
        make_request(owner, db.session.get(InviteLink, b), status="declined")
        make_request(owner, None)  # a request without a link does not count for any link
        report = services.links_funnel(owner.id)
        assert (report.total.clicks, report.total.requests, report.total.accepted) == (14, 3, 1)
        assert (report.per_link[a].clicks, report.per_link[a].requests, report.per_link[a].accepted) == (10, 2, 1)
        assert report.per_link[a].conversion == pytest.approx(0.1)
        assert services.clicks_since(owner.id, utcnow() - timedelta(days=1)) == 10
        assert services.clicks_since(owner.id, (utcnow() - timedelta(days=3)).date()) == 14
    html = client.get("/links").get_data(as_text=True)
    values = re.findall(r'<span class="value">(\d+)</span>', html)
    assert values[:3] == ["14", "3", "1"]
    assert "Signature" in html and "Slides" in html and "Paused" in html and "10.0%" in html


def test_detail_page_stats_chart_qr_and_snippets(app, client, signed_in):
    link_id, token = new_link(app, signed_in["id"], max_requests=10)
    with app.app_context():
        services.record_click(link_id, utcnow())
        services.record_click(link_id, utcnow())
        services.record_click(link_id, utcnow() - timedelta(days=40))  # older than the chart
        daily = services.daily_clicks(link_id, utcnow().date())
        assert len(daily) == 30 and daily[-1] == (utcnow().date(), 2) and sum(v for _, v in daily) == 2
    response = client.get(f"/links/{link_id}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    url = f"http://oneclick.test/c/{token}"
    assert f'value="{url}"' in html and "evil.example" not in html
    assert html.count('class="chart-bar') == 30 and "3 clicks" not in html
    assert "<meter" in html  # requests against the limit
    assert f"/c/{token}/qr.svg" in html and "download=1" in html
    assert f"[Connect with me]({url})" in html
    assert f"Connect with me: {url}" in html
    assert "&lt;table" in html  # the signature HTML is shown as text
    assert 'sandbox src="/links/' in html or "sandbox\n" in html


def test_detail_options_are_validated(app, client, signed_in):
    link_id, token = new_link(app, signed_in["id"])
    html = client.get(f"/links/{link_id}?qr_size=5000").get_data(as_text=True)
    assert "size must be a whole number from 128 to 2048" in html
    assert f"/c/{token}/qr.svg?size=512" in html  # fell back to the default
    html = client.get(f"/links/{link_id}?qr_size=1024&qr_ecc=H&text=Say+hello&qr=y").get_data(as_text=True)
    assert "size=1024" in html and "ecc=H" in html
    assert "Say hello: http://oneclick.test/c/" in html
    assert f"http://oneclick.test/c/{token}/qr.png?size=144&amp;amp;border=2" in html
    html = client.get(f"/links/{link_id}?text=" + "x" * 61).get_data(as_text=True)
    assert "Connect with me: " in html and "60" in html


def test_snippet_preview_runs_under_its_own_policy(app, client, signed_in):
    link_id, token = new_link(app, signed_in["id"])
    response = client.get(f"/links/{link_id}/preview/signature?qr=y&text=Hi")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.startswith("<!doctype html>") and "<table" in html and f"/c/{token}/qr.png" in html
    csp = response.headers["Content-Security-Policy"]
    assert "style-src 'unsafe-inline'" in csp and "script-src" not in csp and "default-src 'none'" in csp
    assert "frame-ancestors 'self'" in csp and response.headers["X-Frame-Options"] == "SAMEORIGIN"
    button = client.get(f"/links/{link_id}/preview/button").get_data(as_text=True)
    assert "Connect with me</a>" in button
    assert client.get(f"/links/{link_id}/preview/other").status_code == 404


def test_nav_has_links(client, signed_in):
    html = client.get("/links").get_data(as_text=True)
    assert '<a href="/links" aria-current="page">Links</a>' in html

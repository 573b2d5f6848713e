"""The click path's shortcuts: batched click counting, the cached guest page and the QR fast path."""

from __future__ import annotations

import re
import time

import pytest
from sqlalchemy import func, select

from oneclick import caches, clicks, create_app
from oneclick.clock import utcnow
from oneclick.extensions import db
from oneclick.links import services
from oneclick.models import ConnectionRequest, GuestConfirmation, LinkDailyStat, User

from ..conftest import _test_config, body, csrf_from
from ..inbox.helpers import old_stamp
from .helpers import UA, new_link


def total_clicks(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.coalesce(func.sum(LinkDailyStat.clicks), 0)))


class TestBatchedClicks:
    @pytest.mark.config(CLICK_FLUSH_SECONDS=0.2)
    def test_clicks_reach_the_database_within_the_interval(self, app, client, user):
        _, token = new_link(app, user["id"])
        for _ in range(5):
            assert client.get(f"/c/{token}", headers=UA).status_code == 200
        deadline = time.monotonic() + 10
        while total_clicks(app) < 5:
            assert time.monotonic() < deadline, "the background flush never wrote the clicks"
            time.sleep(0.05)
        assert total_clicks(app) == 5
        assert clicks.counter(app).pending() == 0

    @pytest.mark.config(CLICK_FLUSH_SECONDS=3600)
    def test_pending_clicks_are_written_at_exit(self, app, client, user):
        _, token = new_link(app, user["id"])
        for _ in range(3):
            client.get(f"/c/{token}", headers=UA)
        assert total_clicks(app) == 0 and clicks.counter(app).pending() == 3
        assert clicks.flush_all() >= 3  # what atexit and gunicorn's worker_exit hook call
        assert total_clicks(app) == 3

    @pytest.mark.config(CLICK_FLUSH_SECONDS=3600)
    def test_a_failed_write_keeps_the_clicks_for_the_next_try(self, app, client, user, tmp_path, monkeypatch):
        link_id, _ = new_link(app, user["id"])
        monkeypatch.setenv("ONECLICK_INSTANCE_PATH", str(tmp_path))
        broken = create_app({**_test_config(f"sqlite:///{tmp_path}/no/such/dir/db.sqlite3"),
                             "CLICK_FLUSH_SECONDS": 3600})
        counter = clicks.counter(broken)
        counter.add(link_id, utcnow().date())
        assert counter.flush() == 0
        assert counter.pending() == 1
        counter._tally.clear()  # don't leave the unwritable click for the exit flush to report again
        with broken.app_context():
            db.engine.dispose()


class TestCachedGuestPage:
    def test_every_fresh_guest_gets_their_own_working_form(self, app, user):
        link_id, token = new_link(app, user["id"], message="Say hello!")
        pages, tokens = [], []
        for n in range(2):
            guest = app.test_client()
            html = body(guest.get(f"/c/{token}", headers=UA))
            pages.append(html)
            tokens.append(csrf_from(html))
            started = re.search(r'name="started" value="([^"]+)"', html).group(1)
            assert "__oneclick_" not in html  # every slot was filled
            # A real person takes a few seconds: send the form with a start stamp from a minute ago.
            response = guest.post(f"/c/{token}/request", data={
                "csrf_token": tokens[-1], "started": old_stamp(app) if started else "", "website": "",
                "name": f"Guest {n}", "email": f"guest{n}@example.org", "note": ""})
            assert response.status_code == 302, body(response)
        assert tokens[0] != tokens[1]
        assert len(app.extensions["oneclick.landing_cache"]) == 1  # rendered once, filled twice
        with app.app_context():
            # Guests' requests wait for their confirmation link (the double opt-in).
            assert db.session.scalar(select(func.count()).select_from(GuestConfirmation)) == 2

    def test_an_edit_shows_at_once(self, app, client, user):
        link_id, token = new_link(app, user["id"], message="Before")
        assert "Before" in body(app.test_client().get(f"/c/{token}"))
        with app.app_context():
            owner = db.session.get(User, user["id"])
            link = services.get_owned_link(owner, link_id)
            link.message = "After"
            owner.name = "Ada Byron"
            db.session.commit()
        html = body(app.test_client().get(f"/c/{token}"))
        assert "After" in html and "Ada Byron" in html and "Before" not in html

    def test_a_guest_who_sent_a_request_sees_it_not_the_cached_form(self, app, user):
        _, token = new_link(app, user["id"])
        guest = app.test_client()
        html = body(guest.get(f"/c/{token}"))
        guest.post(f"/c/{token}/request", data={"csrf_token": csrf_from(html), "started": old_stamp(app),
                                                "website": "", "name": "Grace", "email": "grace@example.org"})
        assert "Check your inbox" in body(guest.get(f"/c/{token}"))
        assert "Ask to connect" in body(app.test_client().get(f"/c/{token}"))


SAME_HEADERS = ("ETag", "Cache-Control", "Content-Type", "Content-Security-Policy", "X-Content-Type-Options",
                "X-Robots-Tag", "Referrer-Policy")


class TestQrFastPath:
    @pytest.mark.parametrize("path", ["qr.png", "qr.svg", "qr.png?size=512&ecc=H&border=2"])
    def test_fast_answers_match_flask_answers(self, app, client, user, monkeypatch, path):
        _, token = new_link(app, user["id"])
        flask_answer = client.get(f"/c/{token}/{path}")  # renders, through Flask
        assert flask_answer.status_code == 200
        hits = app.extensions["oneclick.qr_cache"].hits
        fast = client.get(f"/c/{token}/{path}")
        assert app.extensions["oneclick.qr_cache"].hits == hits + 1
        assert fast.status_code == 200 and fast.data == flask_answer.data
        for name in SAME_HEADERS:
            assert fast.headers.get(name) == flask_answer.headers.get(name), name
        assert int(fast.headers["Content-Length"]) == len(fast.data)

    def test_conditional_get_is_304_and_head_has_no_body(self, app, client, user):
        _, token = new_link(app, user["id"])
        etag = client.get(f"/c/{token}/qr.png").headers["ETag"]
        again = client.get(f"/c/{token}/qr.png", headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.data == b"" and again.headers["ETag"] == etag
        head = client.head(f"/c/{token}/qr.png")
        assert head.status_code == 200 and head.data == b""

    @pytest.mark.parametrize("fmt", ["svg", "png"])
    def test_rotated_link_is_410_even_when_the_client_revalidates_its_copy(self, app, client, user, fmt):
        link_id, token = new_link(app, user["id"])
        etag = client.get(f"/c/{token}/qr.{fmt}").headers["ETag"]
        assert client.get(f"/c/{token}/qr.{fmt}", headers={"If-None-Match": etag}).status_code == 304
        with app.app_context():
            services.rotate_link(db.session.get(User, user["id"]), link_id)
            new_token = services.link_token(db.session.get(services.InviteLink, link_id))
        assert client.get(f"/c/{token}/qr.{fmt}").status_code == 410
        # A conditional GET of the old code is 410 too, from the fast path's check and from Flask's.
        revalidated = client.get(f"/c/{token}/qr.{fmt}", headers={"If-None-Match": etag})
        assert revalidated.status_code == 410 and b"replaced" in revalidated.data
        app.config["QR_FAST_PATH"] = False
        assert client.get(f"/c/{token}/qr.{fmt}", headers={"If-None-Match": etag}).status_code == 410
        assert client.get(f"/c/{new_token}/qr.{fmt}").status_code == 200

    @pytest.mark.config(QR_FAST_PATH=False)
    def test_flask_answers_a_rotated_codes_conditional_get_with_410(self, app, client, user):
        link_id, token = new_link(app, user["id"])
        etag = client.get(f"/c/{token}/qr.svg").headers["ETag"]
        assert client.get(f"/c/{token}/qr.svg", headers={"If-None-Match": etag}).status_code == 304
        with app.app_context():
            services.rotate_link(db.session.get(User, user["id"]), link_id)
        assert client.get(f"/c/{token}/qr.svg", headers={"If-None-Match": etag}).status_code == 410

    def test_downloads_and_bad_options_go_to_flask(self, app, client, user):
        _, token = new_link(app, user["id"])
        client.get(f"/c/{token}/qr.png")
        download = client.get(f"/c/{token}/qr.png?download=1")
        assert download.headers["Content-Disposition"].startswith("attachment; filename=")
        assert client.get(f"/c/{token}/qr.png?size=99999").status_code == 400

    @pytest.mark.config(QR_FAST_PATH=False)
    def test_the_fast_path_can_be_switched_off(self, app, client, user):
        _, token = new_link(app, user["id"])
        client.get(f"/c/{token}/qr.png")
        assert type(app.wsgi_app).__name__ != "QrFastPath"
        assert client.get(f"/c/{token}/qr.png").status_code == 200


class FakeTimer:
    """A monotonic clock the test moves by hand (the caches read it instead of time.monotonic)."""

    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class TestLinkSnapshotCache:
    @pytest.mark.config(LINK_CACHE_SECONDS=1.0)
    def test_a_pause_shows_within_the_cache_time_and_writes_see_it_at_once(self, app, client, user):
        timer = FakeTimer()
        caches.init_app(app, timer=timer)
        link_id, token = new_link(app, user["id"])
        html = body(client.get(f"/c/{token}", headers=UA))
        with app.app_context():
            services.set_active(db.session.get(User, user["id"]), link_id, False)
        # The landing page may show the snapshot for up to LINK_CACHE_SECONDS ...
        assert client.get(f"/c/{token}", headers=UA).status_code == 200
        # ... but a request through it is decided on fresh data and refused.
        response = client.post(f"/c/{token}/request", data={
            "csrf_token": csrf_from(html), "started": old_stamp(app), "website": "", "name": "Grace",
            "email": "grace@example.org"})
        assert response.status_code == 302
        with app.app_context():
            assert db.session.scalar(select(func.count()).select_from(ConnectionRequest)) == 0
        timer.advance(0.99)
        assert client.get(f"/c/{token}", headers=UA).status_code == 200  # still within LINK_CACHE_SECONDS
        timer.advance(0.02)
        assert client.get(f"/c/{token}", headers=UA).status_code == 410

    @pytest.mark.config(LINK_CACHE_SECONDS=1.0)
    def test_a_new_url_and_a_resume_work_at_once_the_old_url_within_the_cache_time(self, app, client, user):
        timer = FakeTimer()
        caches.init_app(app, timer=timer)
        link_id, token = new_link(app, user["id"])
        assert client.get(f"/c/{token}", headers=UA).status_code == 200  # this worker now holds a snapshot
        assert client.get(f"/c/{token}/qr.svg").status_code == 200
        with app.app_context():
            owner = db.session.get(User, user["id"])
            services.rotate_link(owner, link_id)
            new_token = services.link_token(db.session.get(services.InviteLink, link_id))
        # The new URL works at once (the snapshot is older than the token, so the row is read again) ...
        assert client.get(f"/c/{new_token}", headers=UA).status_code == 200
        assert client.get(f"/c/{new_token}/qr.svg").status_code == 200
        # ... and that read refreshed the snapshot, so the old URL is refused at once on this worker too.
        assert client.get(f"/c/{token}", headers=UA).status_code == 410
        with app.app_context():
            services.set_active(db.session.get(User, user["id"]), link_id, False)
        timer.advance(1.01)
        assert client.get(f"/c/{new_token}", headers=UA).status_code == 410  # paused, in the snapshot
        with app.app_context():
            services.set_active(db.session.get(User, user["id"]), link_id, True)
        assert client.get(f"/c/{new_token}", headers=UA).status_code == 200  # resumed: read again, at once

    @pytest.mark.config(LINK_CACHE_SECONDS=1.0)
    def test_an_old_url_is_refused_once_the_snapshot_is_older_than_the_cache_time(self, app, client, user):
        timer = FakeTimer()
        caches.init_app(app, timer=timer)
        link_id, token = new_link(app, user["id"])
        assert client.get(f"/c/{token}", headers=UA).status_code == 200
        with app.app_context():
            services.rotate_link(db.session.get(User, user["id"]), link_id)
        timer.advance(0.99)
        assert client.get(f"/c/{token}", headers=UA).status_code == 200  # the documented window
        timer.advance(0.02)
        assert client.get(f"/c/{token}", headers=UA).status_code == 410

    def test_no_snapshot_is_kept_when_the_cache_time_is_zero(self, app, client, user):
        assert app.extensions["oneclick.link_cache"] is None  # the suite's setting: every visit sees the link now
        link_id, token = new_link(app, user["id"])
        assert client.get(f"/c/{token}", headers=UA).status_code == 200
        with app.app_context():
            services.set_active(db.session.get(User, user["id"]), link_id, False)
        assert client.get(f"/c/{token}", headers=UA).status_code == 410

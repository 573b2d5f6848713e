"""A rotation (or a resume) works on every worker of a real gunicorn server at once; the old URL goes within
LINK_CACHE_SECONDS (the documented window, 1 s by default)."""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest

from oneclick.extensions import db
from oneclick.links import services
from oneclick.models import InviteLink, User

from ..inbox.helpers import owner_with_link
from .harness import AppServer

pytestmark = pytest.mark.slow
BROWSER = {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"}
WINDOW = 1.0  # LINK_CACHE_SECONDS, the servers' default


@pytest.fixture
def server(server_settings, tmp_path):
    """One gunicorn server with two sync workers, each with its own link snapshots (LINK_CACHE_SECONDS = 1)."""
    with AppServer(server_settings, workers=2, log_path=tmp_path / "gunicorn.log") as running:
        yield running


def burst(server: AppServer, path: str, n: int) -> list[int]:
    """Send ``n`` GETs on 8 connections at once (both workers answer some) and return the statuses."""
    def one(_):
        request = urllib.request.Request(server.url + path, headers=BROWSER)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - our loopback server
                response.read()
                return response.status
        except urllib.error.HTTPError as err:
            return err.code

    with ThreadPoolExecutor(8) as pool:
        return list(pool.map(one, range(n)))


def test_a_new_url_works_on_both_workers_at_once_and_the_old_one_goes_within_the_window(app, server):
    owner = owner_with_link(app)
    token = owner["token"]
    for _ in range(3):  # three rotations: each time both workers hold a fresh snapshot of the old version
        assert burst(server, f"/c/{token}", 24) == [200] * 24
        assert burst(server, f"/c/{token}/qr.png", 8) == [200] * 8
        with app.app_context():
            services.rotate_link(db.session.get(User, owner["id"]), owner["link_id"])
            new_token = services.link_token(db.session.get(InviteLink, owner["link_id"]))
        rotated_at = time.monotonic()
        assert burst(server, f"/c/{new_token}", 130) == [200] * 130
        assert burst(server, f"/c/{new_token}/qr.png", 16) == [200] * 16
        time.sleep(max(0.0, rotated_at + WINDOW + 0.1 - time.monotonic()))
        assert burst(server, f"/c/{token}", 24) == [410] * 24
        assert burst(server, f"/c/{token}/qr.png", 8) == [410] * 8
        token = new_token


def test_a_resume_works_on_both_workers_at_once(app, server):
    owner = owner_with_link(app)
    path = f"/c/{owner['token']}"
    with app.app_context():
        services.set_active(db.session.get(User, owner["id"]), owner["link_id"], False)
    time.sleep(WINDOW + 0.1)
    assert burst(server, path, 24) == [410] * 24  # both workers now hold a "paused" snapshot
    with app.app_context():
        services.set_active(db.session.get(User, owner["id"]), owner["link_id"], True)
    assert burst(server, path, 130) == [200] * 130
    with app.app_context():
        services.set_active(db.session.get(User, owner["id"]), owner["link_id"], False)
    time.sleep(WINDOW + 0.1)
    assert burst(server, path, 24) == [410] * 24

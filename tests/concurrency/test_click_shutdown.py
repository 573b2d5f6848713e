"""A clean shutdown of the app servers loses no click, however long the flush interval."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from oneclick.extensions import db
from oneclick.models import LinkDailyStat

from ..inbox.helpers import owner_with_link
from .harness import Browserless

pytestmark = pytest.mark.slow
BROWSER = {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"}


@pytest.fixture
def server_settings(server_settings):
    return {**server_settings, "CLICK_FLUSH_SECONDS": "3600"}  # nothing is written until the workers exit


def test_clicks_tallied_in_memory_are_written_when_the_servers_stop(app, two_servers):
    owner = owner_with_link(app)
    statuses: list[int] = []

    def visit(n: int) -> None:
        for i in range(15):
            server = two_servers[(n + i) % 2]
            statuses.append(Browserless(server.url).request("GET", f"/c/{owner['token']}", headers=BROWSER)[0])

    threads = [threading.Thread(target=visit, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert statuses == [200] * 60
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(LinkDailyStat)) == 0  # still in memory
    for server in two_servers:
        server.stop()  # SIGTERM: gunicorn stops its workers gracefully
    with app.app_context():
        assert db.session.scalar(select(func.sum(LinkDailyStat.clicks))) == 60

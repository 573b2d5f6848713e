"""``flask webhooks list EMAIL`` and ``flask webhooks deliver`` (due deliveries, in this process)."""

from __future__ import annotations

import pytest

from oneclick import enqueue
from oneclick.extensions import db

from .conftest import LOOPBACK, add_endpoint

pytestmark = pytest.mark.config(**LOOPBACK)


def test_list_and_deliver_what_is_due(app, runner, ada, receiver):
    endpoint_id, _ = add_endpoint(app, ada["id"], receiver.url())
    result = runner.invoke(args=["webhooks", "list", "ada@example.com"])
    assert result.exit_code == 0 and result.output == f"{endpoint_id}\tactive\tlink.paused\t{receiver.url()}\n"
    assert runner.invoke(args=["webhooks", "list", "nobody@example.com"]).exit_code != 0
    assert runner.invoke(args=["webhooks", "deliver"]).output == "Nothing was due.\n"
    with app.app_context():
        from oneclick.models import User
        from oneclick.webhooks import services

        from ..factories import make_invite_link

        link, _ = make_invite_link(db.session.get(User, ada["id"]), label="L")
        services.link_paused(db.session, ada["id"], link.id)
        db.session.info.pop(enqueue.PENDING)  # an enqueue that never happened
        db.session.commit()
    result = runner.invoke(args=["webhooks", "deliver"])
    assert result.output == "1 delivered\n" and len(receiver.received) == 1

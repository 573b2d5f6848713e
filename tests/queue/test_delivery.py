"""Every mail goes through the queue and arrives once: real consumer processes, a real SMTP server on loopback,
a queue on Redis or in a SQLite file (the embedded default)."""

from __future__ import annotations

import asyncio
import threading
import time
from email import message_from_bytes

from oneclick import mailqueue
from oneclick.clock import utcnow

from ..inbox.helpers import GUEST, guest_post, owner_with_link
from ..smtp import Collect
from .conftest import Smtp, outbox_rows, wait_for


def _grace_row(app):
    rows = [r for r in outbox_rows(app) if r[0] == GUEST["email"]]
    return rows[0] if rows else None


def test_a_mail_queued_while_smtp_is_down_arrives_once_when_it_is_back(queued_app, smtp, consumers, client):
    app = queued_app
    owner = owner_with_link(app)
    smtp.stop()
    consumers.start()
    assert guest_post(client, app, owner["token"]).status_code == 302  # the visitor's answer does not wait
    # The consumer tries, fails (connection refused) and backs off; the mail waits in the outbox.
    wait_for(lambda: (_grace_row(app) or (0, 0, 0))[2] >= 2, what="two failed attempts", logs=consumers.logs)
    to, status, attempts, key = _grace_row(app)
    assert status in ("pending", "sending") and smtp.to(GUEST["email"]) == []
    smtp.start()  # the same port again
    wait_for(lambda: len(smtp.to(GUEST["email"])) == 1, what="the mail after the outage", logs=consumers.logs)
    wait_for(lambda: _grace_row(app)[1] == "sent", what="the row marked sent", logs=consumers.logs)
    time.sleep(2.5)  # longer than the longest back-off: a second copy would have come by now
    [content] = smtp.to(GUEST["email"])
    message = message_from_bytes(content)
    assert message["Message-ID"] == mailqueue.message_id(key)
    assert "/requests/confirm/" in message.get_payload(decode=True).decode()


class StallFirstRecipient(Collect):
    """Hold the first RCPT for a few seconds (a slow server), so a test can kill the consumer mid-send."""

    def __init__(self):
        super().__init__()
        self.stalled = threading.Event()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802 - aiosmtpd's name
        if not self.stalled.is_set():
            self.stalled.set()
            await asyncio.sleep(4)
        envelope.rcpt_tos.append(address)
        return "250 OK"


def test_a_consumer_killed_mid_send_loses_nothing_and_sends_nothing_twice(queued_app, smtp, consumers, client):
    """SIGKILL while the consumer waits on the SMTP server: the row stays claimed ("sending") until its claim runs
    out, so nobody sends it meanwhile; then the sweeper hands it to another consumer, which sends it once.

    The window this cannot close: a consumer killed after the server accepted the message (its 250 reply) but
    before it marked the row sent. Then the mail is sent again with the same Message-ID (readers' mail clients
    show it once). Killed at any other moment, nothing is lost and nothing sent twice, as here."""
    app = queued_app
    smtp.stop()
    slow = Smtp(StallFirstRecipient())
    slow.port = smtp.port
    slow.start()
    try:
        owner = owner_with_link(app)
        first = consumers.start(MAIL_CLAIM_SECONDS=6)  # the claim it takes outlasts this test's next few steps
        assert guest_post(client, app, owner["token"]).status_code == 302
        assert slow.handler.stalled.wait(60), consumers.logs()
        first.kill()  # mid-send
        to, status, attempts, key = _grace_row(app)
        assert (status, attempts) == ("sending", 1)
        with app.app_context():
            assert mailqueue.sweep(utcnow()) == 0  # still claimed: nobody else may send it yet
        consumers.start()
        time.sleep(6.2)  # the dead consumer's claim runs out
        with app.app_context():
            assert mailqueue.sweep(utcnow()) == 1  # the periodic sweeper's job (every minute in production)
        wait_for(lambda: len(slow.to(GUEST["email"])) == 1, what="the mail, sent by the second consumer",
                 logs=consumers.logs)
        wait_for(lambda: _grace_row(app)[1] == "sent", what="the row marked sent", logs=consumers.logs)
        time.sleep(1)
        [content] = slow.to(GUEST["email"])
        assert message_from_bytes(content)["Message-ID"] == mailqueue.message_id(key)
        assert _grace_row(app)[2] == 2
    finally:
        slow.stop()

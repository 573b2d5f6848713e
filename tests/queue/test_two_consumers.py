"""Done-when of issue 14 for mail: two gunicorn servers and two queue consumers on one Redis deliver every mail
exactly once from the reader's point of view, while one consumer is killed with SIGKILL mid-burst."""

from __future__ import annotations

import asyncio
import threading
import time
from collections import defaultdict
from email import message_from_bytes

import pytest

from oneclick import mailqueue
from oneclick.clock import utcnow

from ..concurrency.harness import AppServer, Browserless
from ..conftest import REDIS_URL
from ..smtp import Collect
from .conftest import Smtp, outbox_rows, wait_for

N = 30


class SlowData(Collect):
    """Take 0.2 s per message, so deliveries are in flight when the consumer dies."""

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        await asyncio.sleep(0.2)
        return await super().handle_DATA(server, session, envelope)


@pytest.mark.slow
@pytest.mark.parametrize("queued_app", ["redis"], indirect=True)
def test_two_servers_two_consumers_one_killed_every_mail_arrives_once(queued_app, smtp, consumers, queue_settings,
                                                                      tmp_path):
    app = queued_app
    smtp.stop()
    server_smtp = Smtp(SlowData())
    server_smtp.port = smtp.port
    server_smtp.start()
    settings = {**queue_settings, "QUEUE_CONSUMER": "off", "RATELIMIT_ENABLED": "false",
                "RATELIMIT_STORAGE_URI": REDIS_URL, "SESSION_COOKIE_SECURE": "false",
                "REMEMBER_COOKIE_SECURE": "false", "MAIL_BACKEND": "smtp"}
    servers = [AppServer(settings, workers=2, log_path=tmp_path / f"gunicorn-{n}.log") for n in (1, 2)]
    try:
        for server in servers:
            server.start()
        doomed = consumers.start()
        consumers.start()
        addresses = [f"visitor{i}@example.org" for i in range(N)]
        answers: list[int] = []

        def post(i: int) -> None:
            client = Browserless(servers[i % 2].url)
            token = client.csrf("/password/forgot")
            answers.append(client.request("POST", "/password/forgot", {"csrf_token": token,
                                                                       "email": addresses[i]})[0])

        threads = [threading.Thread(target=post, args=(i,)) for i in range(N)]
        for n, thread in enumerate(threads):
            thread.start()
            if n == N // 2:
                wait_for(lambda: len(server_smtp.handler.messages) >= 3, what="deliveries under way",
                         logs=consumers.logs)
                doomed.kill()  # SIGKILL mid-burst, mid-send most likely
        for thread in threads:
            thread.join(60)
        assert answers == [302] * N

        def all_sent() -> bool:
            with app.app_context():
                mailqueue.sweep(utcnow())  # the periodic sweeper's job: it hands over the dead consumer's mails
            return [r[1] for r in outbox_rows(app)] == ["sent"] * N

        wait_for(all_sent, timeout=90, what="every mail sent", logs=consumers.logs)
        time.sleep(1)
        keys = {row[0]: row[3] for row in outbox_rows(app)}
        ids = defaultdict(set)
        copies = defaultdict(int)
        with server_smtp.handler.lock:
            for _, rcpts, content in server_smtp.handler.messages:
                for rcpt in rcpts:
                    ids[rcpt].add(message_from_bytes(content)["Message-ID"])
                    copies[rcpt] += 1
        assert sorted(ids) == sorted(addresses)  # nothing lost
        # Once from the reader's point of view: every copy of a mail carries its one Message-ID. A second copy
        # only comes from a consumer killed between the server's "250 OK" and its UPDATE (see mailqueue).
        assert all(ids[a] == {mailqueue.message_id(keys[a])} for a in addresses), dict(ids)
        duplicates = sum(c - 1 for c in copies.values())
        assert duplicates <= 2, f"{duplicates} second copies: more than the consumer could have had in flight"
    finally:
        for server in servers:
            server.stop()
        server_smtp.stop()

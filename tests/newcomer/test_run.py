"""`scripts/run`, the README's run command: gunicorn (not the debug server) on a migrated embedded SQLite, with
links and mails on the port it serves, and a sign-up that works over plain http."""

from __future__ import annotations

import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.concurrency.harness import ROOT, AppServer, Browserless, free_port


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """Start scripts/run itself on a free port with a private instance folder (already installed: no pip)."""
    tmp_path = tmp_path_factory.mktemp("run-instance")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ONECLICK_", "FLASK_"))}
    env.update(ONECLICK_INSTANCE_PATH=str(tmp_path), ONECLICK_BIND=f"127.0.0.1:{port}", ONECLICK_SKIP_INSTALL="1")
    log = tmp_path / "server.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([str(ROOT / "scripts" / "run")], cwd=ROOT, env=env, stdout=out, stderr=out,
                                start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, log.read_text()
            try:
                with urllib.request.urlopen(url + "/healthz", timeout=1):
                    break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.1)
        yield url, tmp_path, log
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(20)


def test_scripts_run_serves_gunicorn_on_the_migrated_embedded_sqlite(served):
    url, instance, log = served
    client = Browserless(url)
    for path in ("/", "/healthz"):
        status, _, headers = client.request("GET", path)
        assert status == 200, path
    assert "gunicorn" in headers.get("Server", "").lower()
    assert "Werkzeug" not in headers.get("Server", "")
    assert (instance / "oneclick.sqlite3").exists() and (instance / "secret_key").exists()
    assert "Debugger is active" not in log.read_text()


def test_sign_up_works_over_http_and_the_mail_points_at_the_served_port(served):
    url, instance, _ = served
    client = Browserless(url)
    token = client.csrf("/register")
    status, _, headers = client.request("POST", "/register", {
        "csrf_token": token, "name": "Grace Hopper", "email": "grace@example.com", "password": "a long enough password",
    })
    assert status == 302 and headers["Location"].endswith("/register/check-inbox")
    status, page, _ = client.request("GET", "/register/check-inbox")
    outbox = Path(instance).resolve() / "outbox"
    assert status == 200 and "grace@example.com" in page
    assert "instance/outbox/" in page and str(outbox) in page
    deadline = time.monotonic() + 30  # the queue consumer scripts/run started with the server delivers it
    while not any("/activate/" in m.read_text() for m in outbox.glob("*.eml")) and time.monotonic() < deadline:
        time.sleep(0.1)
    mails = [mail.read_text() for mail in outbox.glob("*.eml")]
    assert len(mails) == 1 and f"{url}/activate/" in mails[0].replace("=\n", "")


def test_plain_gunicorn_links_follow_its_bind_option(tmp_path):
    """`gunicorn -b 127.0.0.1:PORT wsgi:app` without PUBLIC_URL: the app's absolute URLs use that port."""
    settings = {"INSTANCE_PATH": str(tmp_path), "PUBLIC_URL": "", "BIND": ""}  # neither configured
    with AppServer(settings, workers=None) as server:
        status, text, _ = Browserless(server.url).request("GET", "/api/v1/openapi.json")
    assert status == 200
    assert f'"url":"{server.url}"' in text.replace(" ", "")

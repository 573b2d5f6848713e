"""PUBLIC_URL, when not configured, follows the address the app is served on (never a request's Host header)."""

from __future__ import annotations

import os

import click
import pytest
from flask.cli import run_command

from oneclick import create_app
from oneclick.config import default_public_url


@pytest.fixture
def bare_env(tmp_path, monkeypatch):
    """No ONECLICK_* / FLASK_RUN_* settings from outside; a private instance folder."""
    for key in list(os.environ):
        if key.startswith(("ONECLICK_", "FLASK_RUN_")):
            monkeypatch.delenv(key)
    monkeypatch.setenv("ONECLICK_INSTANCE_PATH", str(tmp_path))
    return monkeypatch


def _public_url(**config) -> str:
    return create_app({"TESTING": True, "SECRET_KEY": "x" * 32, **config}).config["PUBLIC_URL"]


def test_default_is_the_readme_address(bare_env):
    assert _public_url() == "http://127.0.0.1:5000"


def test_a_configured_public_url_always_wins(bare_env):
    bare_env.setenv("ONECLICK_BIND", "127.0.0.1:8123")
    assert _public_url(PUBLIC_URL="https://oneclick.example/") == "https://oneclick.example"
    bare_env.setenv("ONECLICK_PUBLIC_URL", "https://env.example")
    assert create_app({"TESTING": True, "SECRET_KEY": "x" * 32}).config["PUBLIC_URL"] == "https://env.example"


@pytest.mark.parametrize(("bind", "expected"), [
    ("127.0.0.1:8123", "http://127.0.0.1:8123"),
    ("0.0.0.0:8080", "http://127.0.0.1:8080"),
    ("[::1]:8081", "http://[::1]:8081"),
    ("localhost", "http://localhost:8000"),  # gunicorn's default port
    ("oneclick.lan:9000,127.0.0.1:9001", "http://oneclick.lan:9000"),
])
def test_follows_the_gunicorn_bind(bare_env, bind, expected):
    bare_env.setenv("ONECLICK_BIND", bind)
    assert _public_url() == expected


def test_a_unix_socket_bind_keeps_the_default(bare_env):
    bare_env.setenv("ONECLICK_BIND", "unix:/run/oneclick.sock")
    assert _public_url() == "http://127.0.0.1:5000"


def test_follows_the_flask_run_port(bare_env):
    """`flask --app oneclick run --port 5123` loads the app inside the run command: links use its port."""
    with click.Context(run_command, info_name="run") as ctx:
        ctx.params.update(host="127.0.0.1", port=5123, cert=None)
        assert _public_url() == "http://127.0.0.1:5123"
    bare_env.setenv("FLASK_RUN_PORT", "5124")  # e.g. `flask shell` with the dev server's port exported
    assert _public_url() == "http://127.0.0.1:5124"


def test_server_name_comes_first(bare_env):
    bare_env.setenv("ONECLICK_BIND", "127.0.0.1:8123")
    assert _public_url(SERVER_NAME="oneclick.local:7000") == "http://oneclick.local:7000"


def test_never_taken_from_the_host_header(bare_env):
    bare_env.setenv("ONECLICK_BIND", "127.0.0.1:8123")
    app = create_app({"TESTING": True, "SECRET_KEY": "x" * 32})
    document = app.test_client().get("/api/v1/openapi.json", headers={"Host": "evil.example:666"}).get_json()
    assert document["servers"] == [{"url": "http://127.0.0.1:8123"}]


def test_pure_function_reads_only_what_it_is_given():
    assert default_public_url({}, {}, {"host": "0.0.0.0", "port": 5001, "cert": "adhoc"}) == "https://127.0.0.1:5001"  # noqa: S104
    assert default_public_url({}, {"FLASK_RUN_HOST": "::", "FLASK_RUN_PORT": "5002"}, {}) == "http://127.0.0.1:5002"

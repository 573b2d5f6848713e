"""Rate limits hold as the README states them in the shipped deployment, or the server refuses to start.

Real gunicorn processes started with the repository's gunicorn.conf.py: the default (memory:// counters) is
one process, so the per-account sign-in limit holds even for a burst; several processes with per-process
counters exit at once with a message naming the fix; with Redis the default is several workers.
"""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest

from oneclick.config import Defaults, limits_problem

from ..conftest import REDIS_URL
from .harness import ROOT, AppServer, Browserless, free_port

pytestmark = pytest.mark.slow

WRONG = {"email": "ada@example.com", "password": "wrong password"}


def _plain_env() -> dict[str, str]:
    """The test's environment without anything that sizes the server."""
    return {k: v for k, v in os.environ.items() if k not in ("WEB_CONCURRENCY", "ONECLICK_WORKERS", "ONECLICK_THREADS")}


def test_default_server_holds_the_per_account_sign_in_limit_for_a_burst(server_settings, user, tmp_path,
                                                                      monkeypatch):
    for name in ("WEB_CONCURRENCY", "ONECLICK_WORKERS", "ONECLICK_THREADS"):
        monkeypatch.delenv(name, raising=False)
    settings = {**server_settings, "RATELIMIT_STORAGE_URI": "memory://"}  # the shipped default
    limit = int(Defaults.LOGIN_LIMIT_PER_ACCOUNT.split()[0])
    attempts = limit + 7
    with AppServer(settings, workers=None, log_path=tmp_path / "gunicorn.log") as server:
        assert len(server.worker_pids()) == 1, "memory:// counters: one process"
        clients = [Browserless(server.url) for _ in range(attempts)]
        tokens = [client.csrf("/login") for client in clients]

        def attempt(i: int) -> int:
            return clients[i].request("POST", "/login", {"csrf_token": tokens[i], **WRONG})[0]

        with ThreadPoolExecutor(attempts) as pool:  # all at once, as an attacker would send them
            burst = list(pool.map(attempt, range(attempts)))
        later = [attempt(i) for i in range(3)]  # new connections, one after another
    assert sorted(burst) == [200] * limit + [429] * (attempts - limit), burst
    assert later == [429] * 3


@pytest.mark.parametrize(("how", "args", "env"), [("WEB_CONCURRENCY", [], {"WEB_CONCURRENCY": "4"}),
                                                   ("-w", ["-w", "3"], {}),
                                                   ("ONECLICK_WORKERS", [], {"ONECLICK_WORKERS": "2"})])
def test_several_processes_with_per_process_counters_refuse_to_start(server_settings, tmp_path, how, args, env):
    settings = {**server_settings, "RATELIMIT_STORAGE_URI": "memory://"}
    full_env = {**_plain_env(), **{f"ONECLICK_{k}": str(v) for k, v in settings.items()}, **env}
    cmd = [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"), *args,
           "-b", f"127.0.0.1:{free_port()}", "wsgi:app"]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=full_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        _, err = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, 9)
        proc.communicate()
        pytest.fail(f"gunicorn started several processes with memory:// counters ({how})")
    assert proc.returncode != 0
    assert "Refusing to start" in err and "ONECLICK_RATELIMIT_STORAGE_URI=redis://" in err, err
    assert "ONECLICK_WORKERS=1" in err


def test_with_shared_counters_the_default_is_several_workers(server_settings, tmp_path, monkeypatch):
    for name in ("WEB_CONCURRENCY", "ONECLICK_WORKERS", "ONECLICK_THREADS"):
        monkeypatch.delenv(name, raising=False)
    settings = {**server_settings, "RATELIMIT_STORAGE_URI": REDIS_URL}
    with AppServer(settings, workers=None, log_path=tmp_path / "gunicorn.log") as server:
        assert len(server.worker_pids()) == min(2 * os.cpu_count() + 1, 9)


# --- The rule, without processes ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("settings", "processes", "refused"),
    [
        ({"RATELIMIT_STORAGE_URI": "memory://"}, 1, False),
        ({"RATELIMIT_STORAGE_URI": "memory://"}, 2, True),
        ({"RATELIMIT_STORAGE_URI": None}, 4, True),
        ({"RATELIMIT_STORAGE_URI": "MEMORY://"}, 4, True),
        ({"RATELIMIT_STORAGE_URI": "memory://", "RATELIMIT_ENABLED": False}, 4, False),
        ({"RATELIMIT_STORAGE_URI": "redis://redis:6379/0"}, 9, False),
        ({"RATELIMIT_STORAGE_URI": "rediss://redis:6379/0"}, 9, False),
        ({"RATELIMIT_STORAGE_URI": "memcached://cache:11211"}, 9, False),
    ],
)
def test_limits_problem(settings, processes, refused):
    assert (limits_problem(settings, processes) is not None) == refused

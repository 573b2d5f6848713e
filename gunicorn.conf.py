"""gunicorn settings for oneclick: `gunicorn wsgi:app` picks this file up from the working directory.

Every value can be overridden on the command line or with GUNICORN_CMD_ARGS. Sync workers: each request is
short (one or two queries), so processes beat threads for the GIL; run several hosts for more.
"""

import multiprocessing
import os

bind = os.environ.get("ONECLICK_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("ONECLICK_WORKERS", min(2 * multiprocessing.cpu_count() + 1, 9)))
worker_class = "sync"
timeout = 30
graceful_timeout = 20
keepalive = 5
# Recycle workers now and then so a slow leak can never grow without bound.
max_requests = 20000
max_requests_jitter = 2000
# Our own JSON request log (ONECLICK_REQUEST_LOG=true) replaces gunicorn's access log.
accesslog = None
errorlog = "-"
loglevel = "info"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# gunicorn 27's control socket lives at one fixed path per user; several servers on one host would fight
# over it, and oneclick needs none of its commands.
control_socket_disable = True


def worker_exit(server, worker):
    """Write the worker's pending clicks before it goes (atexit does too; this covers every exit path)."""
    from oneclick.clicks import flush_all

    flush_all()

"""gunicorn settings for oneclick: `gunicorn wsgi:app` picks this file up from the working directory.

Every value can be overridden on the command line or with GUNICORN_CMD_ARGS.

Rate limits must hold as the README states them. Their counters live in RATELIMIT_STORAGE_URI: with the
default ``memory://`` each process counts on its own, so this file then runs ONE process with threads
(gthread, ONECLICK_THREADS of them) and recycles it never. With a shared store (``redis://...``) it runs
several sync workers (ONECLICK_WORKERS or WEB_CONCURRENCY, default 2 × CPUs + 1, at most 9): each request
is short, so processes beat threads for the GIL. Several processes with per-process storage (``-w 4`` or
WEB_CONCURRENCY=4 with ``memory://``) refuse to start, naming the fix (``on_starting`` below).
"""

import multiprocessing
import os

from oneclick.config import limits_problem, server_settings, storage_is_shared

_settings = server_settings()
# Several processes are fine when the counters are shared, or when rate limiting is off altogether.
_shared = storage_is_shared(_settings) or not _settings.get("RATELIMIT_ENABLED", True)
_cpus = multiprocessing.cpu_count()

bind = os.environ.get("ONECLICK_BIND", "127.0.0.1:8000")
_requested = os.environ.get("ONECLICK_WORKERS") or os.environ.get("WEB_CONCURRENCY")
# Several processes only when the counters are shared; on_starting refuses several without it.
_default_workers = min(2 * _cpus + 1, 9) if _shared else 1
workers = int(_requested) if _requested else _default_workers
if _shared:
    worker_class = "sync"
    threads = int(os.environ.get("ONECLICK_THREADS", 1))
else:
    # One process serves every request, so it takes them on threads (the app's caches and tallies are thread-safe).
    worker_class = "gthread"
    threads = int(os.environ.get("ONECLICK_THREADS", min(4 * _cpus, 16)))
timeout = 30
graceful_timeout = 20
keepalive = 5
# Workers are not recycled. Recycling after 20,000 ± 2,000 requests restarted every worker of an evenly loaded
# server within a second of each other, and for that moment nothing served (p99 of the click path jumped from
# ~20 ms to 255-794 ms in 3 of 6 benchmark runs), while resident memory stays flat at ~80-90 MB per worker after
# more than 100,000 mixed requests (BENCHMARKS.md). With memory:// a recycled worker would also forget the rate
# limits. ONECLICK_MAX_REQUESTS=N turns recycling on for a deployment that needs it, staggered: the jitter is
# half of N, so the workers' restarts spread over N/2 requests instead of coinciding.
max_requests = int(os.environ.get("ONECLICK_MAX_REQUESTS", 0)) if _shared else 0
max_requests_jitter = max_requests // 2
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


def on_starting(server):
    """Refuse several processes when the rate-limit counters are per process; tell the app its bind."""
    problem = limits_problem(_settings, server.cfg.workers)
    if problem:
        raise RuntimeError(problem)  # gunicorn prints "Error: <problem>" and exits with status 1
    # Without a configured PUBLIC_URL the app's links follow the bind in effect (-b included): the workers
    # inherit this variable, and oneclick.config.default_public_url reads it.
    os.environ["ONECLICK_BIND"] = server.cfg.bind[0]


# --- The embedded queue consumer ------------------------------------------------------------------------------
# On the embedded default (QUEUE_URL unset: a SQLite queue in instance/) the server starts one queue consumer as
# its child, so `scripts/run` is all there is to start; it stops with the server (on_exit below, and the consumer
# itself watches its parent, so even a SIGKILLed master leaves no consumer behind). With Redis (QUEUE_URL=redis://)
# run consumers yourself (`python -m oneclick.consumer`), or set QUEUE_CONSUMER=on to keep one per server.
_consumer = None


def _wants_consumer(settings) -> bool:
    choice = str(settings.get("QUEUE_CONSUMER", "auto")).lower()
    if choice in ("on", "true", "1", "yes"):
        return True
    if choice in ("off", "false", "0", "no"):
        return False
    url = str(settings.get("QUEUE_URL") or "")
    return url == "" or url.startswith("sqlite:///")


def when_ready(server):
    """Start the embedded queue consumer once the server listens (its mails carry the bind's links)."""
    global _consumer
    if not _wants_consumer(_settings):
        return
    import subprocess
    import sys
    import threading

    # Our own interpreter and module, with our pid: no outside input reaches the command line.
    command = [sys.executable, "-m", "oneclick.consumer", "--parent", str(os.getpid())]
    _consumer = subprocess.Popen(command)  # noqa: S603  # nosec B603
    server.log.info("Started the queue consumer (pid: %s)", _consumer.pid)
    threading.Thread(target=_watch_consumer, args=(server, command), name="consumer-watch", daemon=True).start()


_stopping = False


def _watch_consumer(server, command) -> None:
    """Start the consumer again when it dies (a crash or a kill), waiting 1, 2, 4 … 60 s between quick deaths."""
    import subprocess
    import time

    global _consumer
    delay = 1.0
    while not _stopping:
        time.sleep(0.5)
        if _stopping or _consumer.poll() is None:
            continue
        server.log.warning("The queue consumer (pid %s) exited with %s: starting another in %.0f s",
                           _consumer.pid, _consumer.returncode, delay)
        time.sleep(delay)
        if _stopping:
            return
        started = time.monotonic()
        _consumer = subprocess.Popen(command)  # noqa: S603  # nosec B603
        server.log.info("Started the queue consumer (pid: %s)", _consumer.pid)
        while not _stopping and _consumer.poll() is None and time.monotonic() - started < 60:
            time.sleep(0.5)
        delay = 1.0 if _consumer.poll() is None else min(delay * 2, 60.0)


def on_exit(server):
    """Stop the embedded consumer gracefully (running deliveries finish), then for good."""
    import signal
    import subprocess

    global _stopping
    _stopping = True
    if _consumer is None or _consumer.poll() is not None:
        return
    _consumer.send_signal(signal.SIGINT)
    try:
        _consumer.wait(10)
    except subprocess.TimeoutExpired:
        _consumer.kill()
        _consumer.wait(5)

"""Run a queue consumer: ``python -m oneclick.consumer [--workers N] [--no-periodic]``.

It reads the same settings as the app (instance/config.py, ONECLICK_*), creates the app once and runs
Huey's consumer on the queue QUEUE_URL names, with worker threads (mail delivery waits on the network) and,
unless ``--no-periodic``, the scheduler of the periodic tasks (``oneclick.tasks``).

With ``--parent PID`` (gunicorn.conf.py passes the gunicorn master's) it also stops when that process is gone,
even if it died by SIGKILL and could not tell anyone: a consumer never outlives the server it was started with.
SIGINT stops it gracefully (running tasks finish), SIGTERM at once (a mail being sent is sent again once its
claim runs out: see ``oneclick.mailqueue``).
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import threading
import time


def _watch_parent(parent: int, interval: float = 0.5) -> None:
    """Stop this consumer (gracefully, SIGINT) once ``parent`` is no longer our parent process."""

    def watch():
        while os.getppid() == parent:
            time.sleep(interval)
        logging.getLogger(__name__).warning("the server (pid %s) is gone: stopping the consumer", parent)
        os.kill(os.getpid(), signal.SIGINT)  # graceful: running deliveries finish
        time.sleep(15)
        os._exit(1)  # still here (stuck, or the signal came before any handler): stop for good

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m oneclick.consumer", description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=None, help="worker threads (default: QUEUE_WORKERS)")
    parser.add_argument("--no-periodic", action="store_true",
                        help="don't schedule the periodic tasks here (another consumer does)")
    parser.add_argument("--parent", type=int, default=None, help="stop when this process is gone")
    args = parser.parse_args(argv)
    # A background job of a shell starts with SIGINT ignored: take it back, so a stop request is never lost.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s [consumer %(process)d] %(levelname)s %(message)s")

    from . import create_app
    from .tasks import huey

    app = create_app()
    if huey.immediate:
        raise SystemExit("QUEUE_URL=immediate runs tasks inline: there is nothing to consume")
    if args.parent:
        _watch_parent(args.parent)
    consumer = huey.create_consumer(
        workers=args.workers or int(app.config["QUEUE_WORKERS"]), worker_type="thread",
        periodic=not args.no_periodic, initial_delay=0.1, backoff=1.15, max_delay=1.0, check_worker_health=True,
    )
    consumer.run()


if __name__ == "__main__":
    main()

"""Helpers shared by the race tests."""

from __future__ import annotations

import threading

from sqlalchemy import select

from oneclick.extensions import db


def at_once(app, n: int, fn, *, request_context: bool = False, timeout: float = 30) -> list:
    """Run ``fn(i)`` in ``n`` threads released together, each in its own app (or request) context.

    Returns the results in order and re-raises the first error. Each thread opens its pooled connection
    before the barrier, so the race starts at the barrier, not at connect.
    """
    barrier = threading.Barrier(n)
    results: list = [None] * n
    errors: list[BaseException] = []

    def run(i: int) -> None:
        with app.test_request_context() if request_context else app.app_context():
            try:
                db.session.execute(select(1))
                db.session.commit()
                barrier.wait(timeout=timeout)
                results[i] = fn(i)
            except Exception as exc:  # noqa: BLE001 - re-raised below, in the test's thread
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout * 4)
    if errors:
        raise errors[0]
    return results


def activate_account(client, token: str, password: str):
    """Open an activation link and type the pending password, as its owner would (CSRF token included)."""
    import re

    path = token if token.startswith("/") else f"/activate/{token}"
    page = client.get(path).get_data(as_text=True)
    csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    assert csrf, "no activation form on " + path
    return client.post(path, data={"csrf_token": csrf.group(1), "password": password})

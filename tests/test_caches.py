"""The per-worker caches: created once in create_app, thread-safe under gthread workers, on an injectable clock."""

from __future__ import annotations

import random
import sys
import threading

import pytest
from cachetools import LRUCache, TTLCache

from oneclick import caches, qr


class FakeTimer:
    def __init__(self):
        self.now = 50.0

    def __call__(self) -> float:
        return self.now


def test_the_caches_exist_as_soon_as_the_app_does(app):
    assert isinstance(app.extensions["oneclick.qr_cache"], qr.QrCache)
    assert len(app.extensions["oneclick.landing_cache"]) == 0
    assert app.extensions["oneclick.link_cache"] is None  # the suite runs with LINK_CACHE_SECONDS = 0
    assert app.extensions["oneclick.qr_cache"].max_bytes == app.config["QR_CACHE_MAX_BYTES"]


@pytest.mark.config(LINK_CACHE_SECONDS=2)
def test_link_snapshots_live_for_the_setting_on_the_injected_clock(app):
    timer = FakeTimer()
    caches.init_app(app, timer=timer)
    cache = app.extensions["oneclick.link_cache"]
    cache.put("abc", None)  # an unknown id is remembered too
    cache.put("def", "snapshot")
    timer.now += 1.99
    assert cache.get("def") == "snapshot" and cache.get("abc", "missing") is None
    timer.now += 0.02
    assert cache.get("def") is None and cache.get("abc", "missing") == "missing"


@pytest.fixture
def tiny_switch_interval():
    """Switch threads as often as possible, so an unguarded cache corrupts within a few thousand operations."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(before)


def hammer(step, threads: int = 8, rounds: int = 20_000) -> list[BaseException]:
    """Run ``step(rng)`` ``rounds`` times in each of ``threads`` threads; return the errors they met."""
    errors: list[BaseException] = []

    def run(seed: int) -> None:
        rng = random.Random(seed)
        try:
            for _ in range(rounds):
                step(rng)
        except BaseException as exc:  # noqa: BLE001 - reported in the test's thread
            errors.append(exc)

    workers = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return errors


@pytest.mark.parametrize("make", [lambda: LRUCache(16), lambda: TTLCache(16, 100)], ids=["lru", "ttl"])
def test_locked_caches_hold_under_many_threads(make, tiny_switch_interval):
    cache = caches.Locked(make())

    def step(rng):
        key = rng.randrange(64)
        if rng.random() < 0.5:
            cache.put(key, key)
        else:
            assert cache.get(key) in (None, key)

    assert hammer(step) == [] and len(cache) <= 16


def test_the_qr_cache_holds_under_many_threads(tiny_switch_interval):
    item = qr.Rendered(b"x" * 100, "etag", "image/png")
    cache = qr.QrCache(max_bytes=1600)  # 16 renderings

    def step(rng):
        key, pick = (rng.randrange(64), "png"), rng.random()
        if pick < 0.5:
            cache.put(key, item)
        elif pick < 0.75:
            assert cache.get(key) in (None, item)
        else:
            assert cache.peek(key) in (None, item)

    assert hammer(step) == [] and len(cache) <= 16
    assert cache.hits + cache.misses > 0

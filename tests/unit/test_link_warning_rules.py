"""oneclick.notifications.rules: when a link is warned about and what the warning says (pure, table-tested)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from oneclick.notifications import rules

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
T = rules.Thresholds(expiry_hours=24, requests_percent=80)


@pytest.mark.parametrize(("left", "due"), [
    (timedelta(hours=20), True), (timedelta(hours=24), True), (timedelta(hours=24, seconds=1), False),
    (timedelta(seconds=1), True), (timedelta(0), False), (timedelta(hours=-1), False), (None, False),
])
def test_expiry_due_inside_the_window_only(left, due):
    assert rules.expiry_due(None if left is None else NOW + left, NOW, T) is due


@pytest.mark.parametrize(("used", "limit", "due"), [
    (7, 10, False), (8, 10, True), (10, 10, True), (12, 10, True), (0, 1, False), (1, 1, True),
    (3, 3, True), (2, 3, False), (79, 99, False), (80, 99, True), (5, None, False),
])
def test_requests_due_from_80_percent_rounded_up(used, limit, due):
    assert rules.requests_due(used, limit, T) is due


@pytest.mark.parametrize(("left", "text"), [
    (timedelta(hours=20), "Expires in 20 hours"), (timedelta(hours=20, minutes=59), "Expires in 20 hours"),
    (timedelta(hours=1), "Expires in 1 hour"), (timedelta(minutes=30), "Expires in 30 minutes"),
    (timedelta(minutes=1, seconds=30), "Expires in 1 minute"), (timedelta(seconds=20), "Expires in less than a minute"),
    (timedelta(days=3, hours=2), "Expires in 3 days"),
])
def test_expires_in_text(left, text):
    assert rules.expires_in(NOW + left, NOW) == text


def test_requests_used_text():
    assert rules.requests_used(8, 10) == "8 of 10 requests used"
    assert rules.requests_used(1, 1) == "1 of 1 request used"
    assert rules.requests_used(12, 10) == "10 of 10 requests used"  # a lowered limit never shows "12 of 10"


def test_paused_and_expired_links_get_no_warning():
    soon = NOW + timedelta(hours=2)
    assert [w.kind for w in rules.warnings(active=True, expires_at=soon, max_requests=10, used=9, now=NOW, t=T)] == [
        "expiring", "requests"]
    assert rules.warnings(active=False, expires_at=soon, max_requests=10, used=9, now=NOW, t=T) == []
    assert rules.warnings(active=True, expires_at=NOW, max_requests=10, used=9, now=NOW, t=T) == []


def test_what_a_warning_is_fired_for():
    at = NOW + timedelta(hours=3)
    assert rules.fired_for("expiring", at, None) == "2026-12-01T15:00:00+00:00"
    assert rules.fired_for("requests", None, 10) == "10"
    with pytest.raises(ValueError):
        rules.fired_for("other", None, None)


def test_thresholds_come_from_config():
    t = rules.Thresholds.from_config({"LINK_WARN_EXPIRY_HOURS": 48, "LINK_WARN_REQUESTS_PERCENT": 50})
    assert (t.expiry_hours, t.requests_percent) == (48, 50)
    assert rules.requests_due(5, 10, t) and not rules.requests_due(4, 10, t)

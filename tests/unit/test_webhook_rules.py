"""The pure webhook rules: which URLs and addresses may receive deliveries, the back-off, when to disable."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from oneclick.webhooks import rules

BLOCKED = {
    "127.0.0.1": "loopback", "127.8.9.10": "loopback", "::1": "loopback", "::ffff:127.0.0.1": "loopback",
    "10.0.0.5": "private", "172.16.3.4": "private", "192.168.1.1": "private", "fd12::1": "private",
    "169.254.169.254": "link_local", "fe80::1": "link_local", "fe80::1%eth0": "link_local",
    "fd00:ec2::254": "metadata", "100.100.100.200": "metadata",
    "224.0.0.251": "multicast", "ff02::1": "multicast",
    "0.0.0.0": "private",  # noqa: S104 - an address we refuse, not one we bind
    "240.0.0.1": "private", "100.64.0.1": "reserved", "192.0.2.10": "private",
    "::": "reserved", "not-an-ip": "reserved",
}


@pytest.mark.parametrize("address", sorted(BLOCKED))
def test_non_public_addresses_are_refused(address):
    decision = rules.check_address(address, allow_loopback=False)
    assert not decision.allowed and decision.reason in rules.MESSAGES


@pytest.mark.parametrize("address", ["127.0.0.1", "::1"])
def test_loopback_only_with_the_test_switch(address):
    assert rules.check_address(address, allow_loopback=True).allowed


@pytest.mark.parametrize("address", ["10.0.0.1", "169.254.169.254", "192.168.0.1", "fd00:ec2::254"])
def test_the_test_switch_allows_loopback_and_nothing_else(address):
    assert not rules.check_address(address, allow_loopback=True).allowed


@pytest.mark.parametrize("address", ["93.184.215.14", "8.8.8.8", "2606:4700:4700::1111"])
def test_public_addresses_are_allowed(address):
    assert rules.check_address(address, allow_loopback=False).allowed


@pytest.mark.parametrize(("url", "reason"), [
    ("", "empty"), ("   ", "empty"), ("ftp://example.com/", "not_a_url"), ("example.com/hook", "not_a_url"),
    ("https:///path", "not_a_url"), ("http://example.com/", "scheme"), ("https://u:p@example.com/", "credentials"),
    ("https://example.com:99999/", "port"), ("https://example.com:0/", "port"), ("https://exa mple.com/", "not_a_url"),
    ("https://example.com/\x00", "not_a_url"), ("https://example.com/" + "a" * 600, "too_long"),
])
def test_bad_urls_are_refused_with_a_reason(url, reason):
    decision, target = rules.check_url(url, allow_http=False, max_length=500)
    assert (decision.allowed, decision.reason, target) == (False, reason, None)


def test_a_good_url_gives_its_target():
    decision, target = rules.check_url("https://hooks.example.com/in?x=1", allow_http=False, max_length=500)
    assert decision.allowed and target == rules.Target("https", "hooks.example.com", 443, "/in?x=1")
    decision, target = rules.check_url("http://[::1]:8080", allow_http=True, max_length=500)
    assert decision.allowed and target == rules.Target("http", "::1", 8080, "/")


def test_events():
    assert rules.check_events(["link.paused"]).allowed
    assert rules.check_events([]).reason == "no_events"
    assert rules.check_events(["link.deleted"]).reason == "unknown_event"


def test_backoff_doubles_up_to_the_cap():
    assert [rules.backoff(n, 30, 300) for n in range(1, 7)] == [30, 60, 120, 240, 300, 300]
    assert rules.backoff(10_000, 30, 300) == 300


def test_disable_after_the_window_of_consecutive_failures():
    start = datetime(2030, 1, 1, tzinfo=UTC)
    window = 3 * 24 * 3600
    assert not rules.should_disable(None, start, window)
    assert not rules.should_disable(start, start + timedelta(days=3) - timedelta(seconds=1), window)
    assert rules.should_disable(start, start + timedelta(days=3), window)

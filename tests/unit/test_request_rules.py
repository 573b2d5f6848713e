"""Table-driven tests of the pure inbound request rules (oneclick/inbox/rules.py): every rule, every boundary."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from oneclick.inbox import rules
from oneclick.inbox.rules import Decision, Facts, Limits, Placement

LIMITS = Limits(daily_cap_per_link=3)
FRESH = Facts()


def test_limits_from_config():
    assert Limits.from_config({"REQUEST_DAILY_CAP_PER_LINK": "7"}) == Limits(daily_cap_per_link=7)
    assert Limits().daily_cap_per_link == 500  # the config's default


@pytest.mark.parametrize(("facts", "expected"), [
    (FRESH, Decision(True, "ok")),
    (Facts(own_link=True), Decision(False, "own_link")),
    # Own link wins over everything else the service read.
    (Facts(own_link=True, connected=True, open_request=True, sent_today=99), Decision(False, "own_link")),
    (Facts(connected=True), Decision(False, "already_connected")),
    (Facts(connected=True, open_request=True, sent_today=99), Decision(False, "already_connected")),
    (Facts(open_request=True), Decision(False, "already_pending")),
    (Facts(open_request=True, sent_today=99), Decision(False, "already_pending")),
    # The daily cap: the cap-th request of the day is the last one accepted.
    (Facts(sent_today=2), Decision(True, "ok")),
    (Facts(sent_today=3), Decision(False, "daily_cap")),
    (Facts(sent_today=4), Decision(False, "daily_cap")),
    # A block is never a refusal: the request is placed (declined, see below).
    (Facts(blocked=True), Decision(True, "ok")),
    (Facts(blocked=True, sent_today=3), Decision(False, "daily_cap")),
    (Facts(blocked=True, open_request=True), Decision(False, "already_pending")),
    (Facts(auto_accept=True, notify_instant=True), Decision(True, "ok")),
])
def test_can_send(facts, expected):
    assert rules.can_send(facts, LIMITS) == expected


def test_a_cap_of_zero_refuses_everything():
    assert rules.can_send(FRESH, Limits(daily_cap_per_link=0)) == Decision(False, "daily_cap")


@pytest.mark.parametrize(("facts", "expected"), [
    (FRESH, Placement("pending", "sent", connect=False, notify=False)),
    (Facts(notify_instant=True), Placement("pending", "sent", connect=False, notify=True)),
    (Facts(auto_accept=True), Placement("accepted", "connected", connect=True, notify=False)),
    (Facts(auto_accept=True, notify_instant=True), Placement("accepted", "connected", connect=True, notify=True)),
    # Blocked: stored declined, never announced, never connected, and the sender is told "sent".
    (Facts(blocked=True), Placement("declined", "sent", connect=False, notify=False)),
    (Facts(blocked=True, notify_instant=True), Placement("declined", "sent", connect=False, notify=False)),
    (Facts(blocked=True, auto_accept=True, notify_instant=True), Placement("declined", "sent", connect=False,
                                                                           notify=False)),
])
def test_place(facts, expected):
    assert rules.place(facts) == expected


@pytest.mark.parametrize(("now", "start"), [
    (datetime(2024, 3, 1, 0, 0, tzinfo=UTC), datetime(2024, 3, 1, tzinfo=UTC)),
    (datetime(2024, 3, 1, 23, 59, 59, 999999, tzinfo=UTC), datetime(2024, 3, 1, tzinfo=UTC)),
    (datetime(2024, 3, 2, 0, 0, 0, 1, tzinfo=UTC), datetime(2024, 3, 2, tzinfo=UTC)),
])
def test_day_start(now, start):
    assert rules.day_start(now) == start


@pytest.mark.parametrize(("email", "owner_email", "expected"), [
    ("ada@example.com", "ada@example.com", Decision(False, "own_address")),
    ("  Ada@Example.COM ", "ada@example.com", Decision(False, "own_address")),
    ("ada@example.com", "Ada@example.com", Decision(False, "own_address")),
    ("ada@example.org", "ada@example.com", Decision(True, "ok")),
    ("ada+x@example.com", "ada@example.com", Decision(True, "ok")),
])
def test_can_start_guest_request(email, owner_email, expected):
    assert rules.can_start_guest_request(email, owner_email) == expected


def test_rules_are_pure():
    import ast
    import sys
    from pathlib import Path

    tree = ast.parse(Path(rules.__file__).read_text())
    imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(tree)
                 if isinstance(node, ast.ImportFrom) and node.module and node.level == 0}
    assert imported <= set(sys.stdlib_module_names) | {"__future__"}, imported

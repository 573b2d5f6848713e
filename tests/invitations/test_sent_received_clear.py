"""Sent and received invitations say what can happen and when (issue 12): resend date, confirmed withdraw, how known."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from oneclick.clock import utcnow
from oneclick.invitations import rules
from oneclick.invitations.rules import Settings, Status

from .conftest import post_form
from .test_invitations_lists import invite, status_of

S = Settings()
T0 = datetime(2026, 3, 1, 12, 0)


@pytest.mark.parametrize("status,resent_at,expected", [
    (Status.PENDING, None, T0 + timedelta(days=7)),
    (Status.PENDING, T0 + timedelta(days=9), T0 + timedelta(days=16)),
    (Status.IGNORED, None, None),
    (Status.ACCEPTED, None, None),
    (Status.WITHDRAWN, None, None),
])
def test_resend_possible_at_is_one_interval_after_the_last_send(status, resent_at, expected):
    assert rules.resend_possible_at(status, T0, resent_at, S) == expected
    if expected is not None:  # and can_resend agrees with it, to the second
        assert not rules.can_resend(status, T0, resent_at, expected - timedelta(seconds=1), S).allowed
        assert rules.can_resend(status, T0, resent_at, expected, S).allowed


def test_relationship_label_names_the_choice_or_nothing():
    assert rules.relationship_label("colleague", "Bob") == "Colleague"
    assert rules.relationship_label("business", "Bob") == "We've done business together"
    assert rules.relationship_label("nonsense", "Bob") is None and rules.relationship_label(None, "Bob") is None


def test_a_fresh_invitation_shows_when_it_can_be_resent_instead_of_the_button(app, client, people, as_member):
    created = utcnow() - timedelta(days=2)
    fresh = invite(app, people.ada, people.bob, created_at=created)
    old = invite(app, people.ada, people.cy, created_at=utcnow() - timedelta(days=8))
    as_member(people.ada)
    page = client.get("/invitations/sent").get_data(as_text=True)
    assert f"/invitations/sent/{fresh}/resend" not in page
    when = (created + timedelta(days=7, seconds=59)).replace(second=0, microsecond=0)
    assert f'Can be resent from <time datetime="{when:%Y-%m-%dT%H:%MZ}">{when:%-d %b %Y, %H:%M} UTC</time>' in page
    assert f"/invitations/sent/{old}/resend" in page  # a week old: the button is back
    # The route still refuses (the page isn't the only guard).
    response = post_form(client, f"/invitations/sent/{fresh}/resend", follow_redirects=True)
    assert "once a week" in response.get_data(as_text=True)


def test_withdraw_asks_first_and_says_it_does_not_give_the_invitation_back(app, client, people, as_member):
    pid = invite(app, people.ada, people.bob)
    as_member(people.ada)
    page = client.get("/invitations/sent").get_data(as_text=True)
    confirm = page[page.index('<details class="confirm-withdraw">'):]
    confirm = confirm[:confirm.index("</details>")]
    assert f'action="/invitations/sent/{pid}/withdraw' in confirm  # the button sits inside the question
    assert "doesn&#39;t give the invitation back" in confirm or "doesn't give the invitation back" in confirm
    assert status_of(app, pid) == Status.PENDING  # viewing asked nothing of the server
    post_form(client, f"/invitations/sent/{pid}/withdraw", token_from="/invitations/sent")
    assert status_of(app, pid) == Status.WITHDRAWN


def test_withdraw_without_csrf_is_refused(app, client, people, as_member):
    pid = invite(app, people.ada, people.bob)
    as_member(people.ada)
    response = client.post(f"/invitations/sent/{pid}/withdraw")
    assert response.status_code == 400
    assert status_of(app, pid) == Status.PENDING


def test_the_recipient_sees_how_the_sender_said_they_know_them(app, client, people, as_member):
    invite(app, people.ada, people.bob, how_known="classmate")
    as_member(people.bob)
    page = client.get("/invitations/received").get_data(as_text=True)
    assert "How Ada Lovelace knows you: <strong>Classmate</strong>" in page

"""A new member's dashboard and the restriction page say nothing about restrictions that never were (issue 12)."""

from __future__ import annotations

import html

from .conftest import post_form
from .test_invitations_restriction import restrict
from .test_support_console import quota


def _text(client, path) -> str:
    return html.unescape(client.get(path).get_data(as_text=True))


def test_a_brand_new_members_dashboard_mentions_no_last_restriction(client, people, as_member):
    as_member(people.ada)
    for path in ("/dashboard", "/invitations/restriction"):
        page = _text(client, path)
        assert "last restriction" not in page and "restriction was lifted" not in page, path
        assert "“I don't know you” answers so far" in page, path


def test_after_a_lift_the_meter_counts_from_the_lift(app, client, people, as_member):
    quota(app, people.ada, restricted=False, restrictions=1, declines_since_lift=2)
    as_member(people.ada)
    assert "“I don't know you” answers since your restriction was lifted" in _text(client, "/dashboard")


def test_a_first_restriction_counts_from_the_start(app, client, people, as_member):
    restrict(app, people.ada)
    as_member(people.ada)
    page = _text(client, "/dashboard")
    assert "answers so far" in page and "since your last restriction" not in page


def test_the_self_lift_button_says_what_it_does(app, client, people, as_member):
    restrict(app, people.ada)
    as_member(people.ada)
    page = _text(client, "/invitations/restriction")
    assert 'value="Lift my restriction"' in page and 'value="OK"' not in page
    response = post_form(client, "/invitations/restriction/lift", {"agree": "y"}, follow_redirects=True)
    assert "Restriction lifted." in response.get_data(as_text=True)

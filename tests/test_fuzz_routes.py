"""Every HTML route answers odd query strings and form posts without a server error (Hypothesis).

Routes are discovered from ``app.url_map`` (everything but the JSON API, which schemathesis fuzzes, and static
files), so a new page is covered without touching this file. Each route set (one blueprint) is fuzzed signed
in as a member and as a support admin, with a valid CSRF token so the form handlers really run; field names
come from the page's own form plus names used across the app, values from a list of known troublemakers
(Unicode digits, 65-bit numbers, year 9999, control characters, huge strings) and random text.
Run on SQLite and, with ONECLICK_TEST_DATABASE_URL, on PostgreSQL.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.routing.converters import AnyConverter

from oneclick import create_app
from oneclick.extensions import db
from oneclick.models import User

from .conftest import CSRF_RE
from .factories import make_api_token, make_invite_link, make_request, make_user

SKIP_ENDPOINTS = {"static", "auth.logout"}  # signing out would only end the session being fuzzed
NAME_RE = re.compile(r'<(?:input|textarea|select)[^>]*\bname="([^"]+)"')
COMMON_NAMES = ["after", "q", "status", "link", "source", "next", "page", "cursor", "email", "name", "password",
                "note", "message", "label", "channel", "expires_on", "max_requests", "amount", "headline", "handle",
                "expires_preset", "expires_custom", "tz", "max_requests_preset", "slug", "share_stable",
                "text", "qr", "qr_size", "qr_ecc", "qr_border", "download", "ids", "action", "enabled", "captcha_id",
                "captcha_answer", "how_known", "notify_mode", "token", "kind", "format", "reason"]
TROUBLE = ["", " ", "0", "-1", "1", "²-1", "1-²", "٣", "１２", "1-" + str(2**64), str(2**64), str(2**63), "1e309",
           "nan", "inf", "9999-12-31", "0001-01-01", "0000-00-00", "2026-02-30", "10000-01-01", "\x00", "a\r\nb",
           "9999-12-31T23:59", "0001-01-01T00:00", "Pacific/Kiritimati", "Etc/GMT+12", "custom", "keep", "stable",
           "a\u2028b", "\x85", "%", "%00", "' OR 1=1 --", "<script>x</script>", "y", "on", "true", "false",
           "x" * 5000, "1" * 40, "accept", "block", "pending", "instant", "email", "link", "//evil.example",
           "https://evil.example/", "javascript:alert(1)", "\ud7ff", "😀" * 50]
STATS: list = []  # (route set, method, status) of every example: shows the handlers are reached
VALUES = st.one_of(st.sampled_from(TROUBLE), st.text(max_size=40), st.integers().map(str))


def _route_sets() -> list[str]:
    """Blueprints with HTML routes, read from a throwaway app's URL map at collection time."""
    app = create_app({"TESTING": True, "SECRET_KEY": "collect-only-secret-key", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    return sorted({rule.endpoint.partition(".")[0] for rule in app.url_map.iter_rules() if _fuzzed(rule)})


def _fuzzed(rule) -> bool:
    return rule.endpoint not in SKIP_ENDPOINTS and not rule.rule.startswith("/api/v1")


class World:
    """A member with a link, a request, an API token and an invitation target; a support admin."""

    def __init__(self, app):
        with app.app_context():
            ada = make_user(email="ada@example.com", name="Ada Lovelace", handle="ada")
            bob = make_user(email="bob@example.com", name="Bob Babbage", handle="bobb")
            make_user(email="root@example.com", name="Root Support", is_admin=True)
            link, token = make_invite_link(ada, label="Email signature")
            request_row = make_request(ada, link, name="Grace Hopper", requester_email="grace@example.com")
            make_api_token(ada)
            from oneclick.models import ApiToken

            self.path_values = {
                "link_id": str(link.id), "request_id": str(request_row.id), "token": token, "handle": "ada",
                "public_id": bob.public_id,
                "token_id": str(db.session.scalar(db.select(ApiToken.id).where(ApiToken.user_id == ada.id))),
            }
            self.admin_public_id = db.session.scalar(db.select(User.public_id).where(User.is_admin))

    def path(self, rule, endpoint_admin: bool) -> str:
        """Build the rule's URL from real ids where the world has them ("1" elsewhere)."""
        values = {}
        for name, converter in rule._converters.items():
            if isinstance(converter, AnyConverter):
                values[name] = sorted(converter.items)[0]
            elif name == "public_id" and endpoint_admin:
                values[name] = self.path_values["public_id"]
            else:
                values[name] = self.path_values.get(name, "1")
        try:
            return rule.build(values, append_unknown=False)[1]
        except Exception:  # noqa: BLE001 - a converter that refuses "1": leave the route to its own tests
            return ""


@pytest.fixture
def world(app):
    return World(app)


def _signed_in(client, email: str) -> None:
    page = client.get("/login").get_data(as_text=True)
    token = CSRF_RE.search(page).group(1)
    response = client.post("/login", data={"csrf_token": token, "email": email, "password": "correct horse battery"})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]


def _csrf(client) -> str:
    match = CSRF_RE.search(client.get("/settings").get_data(as_text=True))
    return match.group(1) if match else ""


@pytest.mark.config(RATELIMIT_ENABLED=False, REQUEST_MIN_FILL_SECONDS=0)
@pytest.mark.parametrize("role", ["member", "admin"])
@pytest.mark.parametrize("route_set", _route_sets())
def test_html_routes_never_answer_500(app, client, world, role, route_set):
    _signed_in(client, "root@example.com" if role == "admin" else "ada@example.com")
    targets = []
    for rule in app.url_map.iter_rules():
        if not _fuzzed(rule) or rule.endpoint.partition(".")[0] != route_set:
            continue
        path = world.path(rule, endpoint_admin=True)
        if not path:
            continue
        names = set(COMMON_NAMES)
        if "GET" in rule.methods:
            names |= set(NAME_RE.findall(client.get(path).get_data().decode(errors="replace")))
        for method in sorted(rule.methods & {"GET", "POST"}):
            targets.append((method, path, sorted(names)))
    if not targets:
        pytest.skip(f"no routes to fuzz in {route_set}")
    every_name = sorted({name for _, _, names in targets for name in names})

    @settings(max_examples=12 * min(len(targets), 5), deadline=None, derandomize=False, database=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    @given(data=st.data())
    def fuzz(data):
        method, path, names = data.draw(st.sampled_from(targets), label="route")
        keys = st.one_of(st.sampled_from(names), st.sampled_from(every_name), st.text(min_size=1, max_size=12))
        query = data.draw(st.dictionaries(keys, st.lists(VALUES, min_size=1, max_size=2), max_size=4), label="query")
        if method == "GET":
            response = client.get(path, query_string=query)
        else:
            form = data.draw(st.dictionaries(keys, st.lists(VALUES, min_size=1, max_size=2), max_size=8),
                             label="form")
            form["csrf_token"] = [_csrf(client)]
            response = client.post(path, query_string=query if data.draw(st.booleans()) else None, data=form)
        assert response.status_code < 500, (method, path, query, response.status_code)
        STATS.append((route_set, method, response.status_code))

    fuzz()

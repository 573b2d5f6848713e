"""The link form: expiry and request-limit presets, the owner's time zone, an untouched expiry staying put,
and the stable short path (slug) with its share choice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

import pytest

from oneclick.clock import utcnow
from oneclick.extensions import db
from oneclick.links import services
from oneclick.models import InviteLink, User

from ..factories import make_invite_link, make_user


class FormValues(HTMLParser):
    """What a browser sends for the link form (``data-link-form``) of a page when nothing is touched."""

    def __init__(self):
        super().__init__()
        self.values: dict[str, str] = {}
        self._select = self._textarea = None
        self._in_form = self._done = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if self._done:
            return
        if tag == "form" and "data-link-form" in a:
            self._in_form = True
        if not self._in_form:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self.values[name] = a.get("value", "on")
            elif kind != "submit":
                self.values[name] = a.get("value") or ""
        elif tag == "select":
            self._select = name
        elif tag == "option" and self._select:
            if "selected" in a or self._select not in self.values:
                self.values[self._select] = a.get("value", "")
        elif tag == "textarea":
            self._textarea = name
            self.values[name] = ""

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "form" and self._in_form:
            self._in_form, self._done = False, True

    def handle_data(self, data):
        if self._textarea:
            self.values[self._textarea] += data.removeprefix("\n") if not self.values[self._textarea] else data


def form_values(html: str) -> dict[str, str]:
    parser = FormValues()
    parser.feed(html)
    return parser.values


@pytest.fixture
def owner(app, auth, user):
    auth.login()
    with app.app_context():
        ada = db.session.get(User, user["id"])
        ada.handle = "ada-lovelace"
        db.session.commit()
    return user


def new_link(app, owner_id: int, **columns) -> int:
    with app.app_context():
        link, _ = make_invite_link(db.session.get(User, owner_id), **columns)
        return link.id


def get_link(app, link_id: int) -> InviteLink:
    with app.app_context():
        link = db.session.get(InviteLink, link_id)
        db.session.expunge(link)
        return link


def save_unchanged(client, link_id: int, **changes):
    """Open the edit form and send it back as the browser would, with only ``changes`` made."""
    page = client.get(f"/links/{link_id}/edit")
    assert page.status_code == 200
    data = {**form_values(page.get_data(as_text=True)), **changes}
    return client.post(f"/links/{link_id}/edit", data=data)


# --- Expiry ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("zone", [None, "Europe/Berlin", "Pacific/Kiritimati"])
def test_an_untouched_expiry_survives_a_save(app, client, owner, zone):
    """The issue's case: an expiry set to 15:05 became midnight after a save that didn't touch it."""
    if zone:
        client.set_cookie("tz", zone)
    expires = datetime(2099, 5, 6, 15, 5, 37, 123456, tzinfo=UTC)
    link_id = new_link(app, owner["id"], expires_at=expires, max_requests=37)
    response = save_unchanged(client, link_id)
    assert response.status_code == 302, response.get_data(as_text=True)
    link = get_link(app, link_id)
    assert link.expires_at == expires  # to the microsecond
    assert link.max_requests == 37  # a custom limit is kept too
    # Changing only the label keeps them as well.
    assert save_unchanged(client, link_id, label="Renamed").status_code == 302
    link = get_link(app, link_id)
    assert (link.label, link.expires_at, link.max_requests) == ("Renamed", expires, 37)


def test_the_edit_form_shows_the_expiry_in_the_owners_zone(app, client, owner):
    link_id = new_link(app, owner["id"], expires_at=datetime(2099, 7, 1, 13, 5, tzinfo=UTC))
    assert "Keep: 1 Jul 2099, 13:05 UTC" in client.get(f"/links/{link_id}/edit").get_data(as_text=True)
    client.set_cookie("tz", "Europe/Berlin")
    html = client.get(f"/links/{link_id}/edit").get_data(as_text=True)
    assert "Keep: 1 Jul 2099, 15:05 CEST" in html and 'name="tz" type="hidden" value="Europe/Berlin"' in html
    client.set_cookie("tz", "../../etc/passwd")  # not a zone: UTC
    assert "Keep: 1 Jul 2099, 13:05 UTC" in client.get(f"/links/{link_id}/edit").get_data(as_text=True)


@pytest.mark.parametrize("preset,delta", [("1h", timedelta(hours=1)), ("1d", timedelta(days=1)),
                                          ("1w", timedelta(weeks=1)), ("30d", timedelta(days=30))])
def test_expiry_presets_count_from_the_save(app, auth, owner, preset, delta):
    before = utcnow()
    response = auth.post("/links/new", {"label": "Talk", "channel": "slides", "expires_preset": preset})
    after = utcnow()
    assert response.status_code == 302
    link = get_link(app, int(response.location.rsplit("/", 1)[1]))
    assert before + delta <= link.expires_at <= after + delta


def test_custom_expiry_is_read_in_the_browsers_zone(app, auth, client, owner):
    response = auth.post("/links/new", {"label": "Talk", "channel": "slides", "expires_preset": "custom",
                                        "expires_custom": "2099-07-01T15:05", "tz": "Europe/Berlin"})
    link_id = int(response.location.rsplit("/", 1)[1])
    assert get_link(app, link_id).expires_at == datetime(2099, 7, 1, 13, 5, tzinfo=UTC)
    # An unknown zone falls back to UTC; a typed time with the preset left alone means that time.
    response = auth.post(f"/links/{link_id}/edit", {"label": "Talk", "channel": "slides", "expires_preset": "keep",
                                                    "expires_custom": "2099-07-01T15:05", "tz": "Mars/Olympus"},
                         token_from=f"/links/{link_id}/edit")
    assert response.status_code == 302
    assert get_link(app, link_id).expires_at == datetime(2099, 7, 1, 15, 5, tzinfo=UTC)
    # "Never" clears it.
    auth.post(f"/links/{link_id}/edit", {"label": "Talk", "channel": "slides", "expires_preset": "never"},
              token_from=f"/links/{link_id}/edit")
    assert get_link(app, link_id).expires_at is None


# --- Request limit ---------------------------------------------------------------------------------


@pytest.mark.parametrize("preset,expected", [("1", 1), ("10", 10), ("50", 50), ("100", 100), ("none", None)])
def test_request_limit_presets(app, auth, client, owner, preset, expected):
    response = auth.post("/links/new", {"label": "Talk", "channel": "slides", "max_requests_preset": preset})
    link_id = int(response.location.rsplit("/", 1)[1])
    assert get_link(app, link_id).max_requests == expected
    values = form_values(client.get(f"/links/{link_id}/edit").get_data(as_text=True))
    assert values["max_requests_preset"] == preset and values["max_requests"] == ""


def test_a_custom_request_limit_is_shown_and_kept(app, auth, client, owner):
    link_id = new_link(app, owner["id"], max_requests=37)
    values = form_values(client.get(f"/links/{link_id}/edit").get_data(as_text=True))
    assert values["max_requests_preset"] == "custom" and values["max_requests"] == "37"
    assert save_unchanged(client, link_id, max_requests_preset="10").status_code == 302
    assert get_link(app, link_id).max_requests == 10  # a preset chosen over the old number
    response = auth.post("/links/new", {"label": "T", "channel": "other", "max_requests": "250"})
    assert get_link(app, int(response.location.rsplit("/", 1)[1])).max_requests == 250  # typed, preset left alone


@pytest.mark.parametrize("preset", ["", "7", "lots"])
def test_a_request_limit_preset_that_is_not_offered_is_refused_with_a_message(app, auth, owner, preset):
    response = auth.post("/links/new", {"label": "Talk", "channel": "slides", "max_requests_preset": preset})
    assert response.status_code == 200  # the form again, never a 500
    assert "Not a valid choice" in response.get_data(as_text=True)


# --- Stable short path -----------------------------------------------------------------------------


def test_a_slug_is_saved_and_shared_when_chosen(app, auth, client, owner):
    response = auth.post("/links/new", {"label": "Talk", "channel": "slides", "slug": "PyCon-2026",
                                        "share_stable": "stable"})
    assert response.status_code == 302
    link_id = int(response.location.rsplit("/", 1)[1])
    link = get_link(app, link_id)
    assert (link.slug, link.share_stable) == ("pycon-2026", True)
    html = client.get(f"/links/{link_id}").get_data(as_text=True)
    assert "http://oneclick.test/@ada-lovelace/pycon-2026" in html
    assert client.get("/@ada-lovelace/pycon-2026").status_code == 302
    # Back to the token URL: the slug stays, the share URL is the token one.
    assert save_unchanged(client, link_id, share_stable="token").status_code == 302
    with app.app_context():
        link = db.session.get(InviteLink, link_id)
        assert link.slug == "pycon-2026" and services.share_url(link) == services.link_url(link)


@pytest.mark.parametrize(
    "slug,error",
    [
        ("admin", "That word is reserved"),
        ("present", "That word is reserved"),
        ("two words", "lowercase letters, digits and hyphens"),
        ("-edge", "lowercase letters, digits and hyphens"),
        ("a--b", "lowercase letters, digits and hyphens"),
        ("ümlaut", "lowercase letters, digits and hyphens"),
        ("x\x00y", "lowercase letters, digits and hyphens"),
        ("x" * 41, "40 characters"),
    ],
)
def test_bad_slugs_are_refused_with_a_message(app, auth, owner, slug, error):
    response = auth.post("/links/new", {"label": "Talk", "channel": "slides", "slug": slug})
    assert response.status_code == 200 and error in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.query(InviteLink).count() == 0


def test_a_duplicate_slug_is_refused_but_another_owner_may_use_it(app, auth, client, owner):
    link_id = new_link(app, owner["id"], slug="talk")
    other_id = new_link(app, owner["id"])
    response = auth.post("/links/new", {"label": "Again", "channel": "slides", "slug": "talk"})
    assert response.status_code == 200 and "You already use this short path" in response.get_data(as_text=True)
    response = save_unchanged(client, other_id, slug="talk")
    assert response.status_code == 200 and "You already use this short path" in response.get_data(as_text=True)
    assert get_link(app, other_id).slug is None
    assert save_unchanged(client, link_id).status_code == 302  # its own slug is no conflict
    with app.app_context():
        mallory = make_user(email="mallory@example.com", handle="mallory")
        services.create_link(mallory, services.LinkFields(label="M", slug="talk"))
        with pytest.raises(services.SlugTaken):
            services.create_link(mallory, services.LinkFields(label="M2", slug="talk"))


def test_a_slug_needs_a_handle_and_sharing_it_needs_a_slug(app, auth, client, owner):
    response = auth.post("/links/new", {"label": "Talk", "channel": "slides", "share_stable": "stable"})
    assert response.status_code == 200 and "Choose a short path first" in response.get_data(as_text=True)
    with app.app_context():
        db.session.get(User, owner["id"]).handle = None
        db.session.commit()
    page = client.get("/links/new").get_data(as_text=True)
    assert "Choose a public handle in settings first" in page
    response = auth.post("/links/new", {"label": "Talk", "channel": "slides", "slug": "talk"})
    assert response.status_code == 200 and "Choose a public handle in settings first" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.query(InviteLink).count() == 0


def test_someone_elses_link_cannot_be_edited(app, auth, client, owner):
    with app.app_context():
        mallory = make_user(email="mallory@example.com", handle="mallory")
        link, _ = make_invite_link(mallory, slug="talk", expires_at=datetime(2099, 1, 1, tzinfo=UTC))
        link_id = link.id
    assert client.get(f"/links/{link_id}/edit").status_code == 404
    response = auth.post(f"/links/{link_id}/edit", {"label": "Mine", "channel": "other", "slug": "mine",
                                                    "expires_preset": "never"}, token_from="/links/new")
    assert response.status_code == 404
    link = get_link(app, link_id)
    assert (link.label != "Mine", link.slug, link.expires_at) == (True, "talk", datetime(2099, 1, 1, tzinfo=UTC))


@pytest.mark.parametrize(
    "custom,zone,expected",
    [
        ("9999-12-31T23:59", "Etc/GMT+12", datetime.max.replace(tzinfo=UTC)),  # past 9999 in UTC: the last moment
        ("9999-12-31T23:59", "Pacific/Kiritimati", datetime(9999, 12, 31, 9, 59, tzinfo=UTC)),
        ("0001-01-01T00:00", "Pacific/Kiritimati", None),  # before year 1 in UTC: the past
    ],
)
def test_custom_expiry_at_the_ends_of_time(app, auth, owner, custom, zone, expected):
    response = auth.post("/links/new", {"label": "Edge", "channel": "other", "expires_preset": "custom",
                                        "expires_custom": custom, "tz": zone})
    if expected is None:
        assert response.status_code == 200 and "a time in the future" in response.get_data(as_text=True)
        return
    assert response.status_code == 302
    assert get_link(app, int(response.location.rsplit("/", 1)[1])).expires_at == expected


def test_concurrent_saves_of_one_slug_give_it_to_one_link(app, owner):
    """Six links of one owner claim the same slug at once: the unique constraint lets one win, the rest are told."""
    from ..helpers import at_once

    ids = [new_link(app, owner["id"]) for _ in range(6)]

    def claim(i):
        ada = db.session.get(User, owner["id"])
        try:
            return services.save_link(ada, ids[i], {"slug": "talk", "share_stable": True})
        except services.SlugTaken:
            return "taken"

    results = at_once(app, 6, claim)
    assert results.count(True) == 1 and results.count("taken") == 5, results
    with app.app_context():
        assert db.session.query(InviteLink).filter_by(slug="talk").count() == 1

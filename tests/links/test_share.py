"""What an owner shares: the links list (URL, Copy, QR, Present, state, expiry, limit), the share URL on the
link page, its QR codes and snippets, and present mode's typeable URL."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta

import pytest
import zxingcpp
from PIL import Image

from oneclick.clock import utcnow
from oneclick.extensions import db
from oneclick.links import services
from oneclick.models import InviteLink, User

from ..conftest import body
from ..factories import make_invite_link, make_request, make_user

UA = {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"}


@pytest.fixture
def owner(app, auth, user):
    auth.login()
    with app.app_context():
        ada = db.session.get(User, user["id"])
        ada.handle = "ada-lovelace"
        db.session.commit()
    return user


def new_link(app, owner_id: int, **columns) -> tuple[int, str]:
    with app.app_context():
        link, token = make_invite_link(db.session.get(User, owner_id), **columns)
        return link.id, token


def decode_png(data: bytes) -> str:
    return zxingcpp.read_barcodes(Image.open(io.BytesIO(data)))[0].text


def test_the_empty_list_offers_the_first_link(client, owner):
    html = body(client.get("/links"))
    assert re.search(r'<a class="button button-large" href="/links/new">Make your first link</a>', html)
    assert client.get("/links/new").status_code == 200


def test_the_list_shows_url_copy_qr_present_state_expiry_and_limit(app, client, owner):
    client.set_cookie("tz", "Europe/Berlin")
    primary, token = new_link(app, owner["id"], label="Slides", is_primary=True, slug="slides", share_stable=True,
                              expires_at=datetime(2099, 7, 1, 13, 5, tzinfo=UTC), max_requests=10)
    other, other_token = new_link(app, owner["id"], label="Bio")
    paused, _ = new_link(app, owner["id"], label="Old talk", active=False)
    expired, _ = new_link(app, owner["id"], label="Past", expires_at=utcnow() - timedelta(hours=1))
    full, _ = new_link(app, owner["id"], label="Tiny", max_requests=1)
    with app.app_context():
        make_request(db.session.get(User, owner["id"]), db.session.get(InviteLink, full))
        make_request(db.session.get(User, owner["id"]), db.session.get(InviteLink, primary))
    html = body(client.get("/links"))
    card = html[html.index(f'id="link-{primary}"'):html.index(f'id="link-{other}"')]
    assert f'<code id="link-url-{primary}" class="link-url">http://oneclick.test/@ada-lovelace/slides</code>' in card
    assert f'data-copy="#link-url-{primary}"' in card and f'href="/links/{primary}#qr-title"' in card
    assert f'href="/c/{token}/present"' in card and ">Active<" in card
    assert "Expires 1 Jul 2099, 15:05 CEST" in card and "1 of 10 requests used" in card
    card = html[html.index(f'id="link-{other}"'):]
    assert f"http://oneclick.test/c/{other_token}" in card and "Never expires" in card and "No request limit" in card
    for link_id, label in ((paused, "Paused"), (expired, "Expired"), (full, "Limit reached")):
        card = html[html.index(f'id="link-{link_id}"'):]
        card = card[:card.index("</li>")]
        assert f">{label}<" in card and "/present" not in card, label  # a closed link can't be presented


def test_the_list_never_shows_someone_elses_link(app, client, owner):
    with app.app_context():
        make_invite_link(make_user(email="mallory@example.com", handle="mallory"), label="Mallory's", slug="x")
    assert "Mallory" not in body(client.get("/links"))


def test_link_page_qr_and_snippets_use_the_stable_path_when_chosen(app, client, owner):
    link_id, token = new_link(app, owner["id"], slug="slides", share_stable=True)
    html = body(client.get(f"/links/{link_id}?qr=y"))
    assert 'value="http://oneclick.test/@ada-lovelace/slides"' in html
    assert 'src="/@ada-lovelace/slides/qr.svg?' in html and 'href="/@ada-lovelace/slides/qr.png?' in html
    assert "[Connect with me](http://oneclick.test/@ada-lovelace/slides)" in html
    assert "http://oneclick.test/@ada-lovelace/slides/qr.png?size=144" in html  # the signature's small QR code
    assert f"http://oneclick.test/c/{token}" in html  # the token URL is named too
    png = client.get("/@ada-lovelace/slides/qr.png?size=300")
    assert png.status_code == 200 and png.mimetype == "image/png"
    assert decode_png(png.data) == "http://oneclick.test/@ada-lovelace/slides"
    download = client.get("/@ada-lovelace/slides/qr.svg?download=1")
    assert download.status_code == 200 and "attachment" in download.headers["Content-Disposition"]
    again = client.get("/@ada-lovelace/slides/qr.png?size=300", headers={"If-None-Match": png.headers["ETag"]})
    assert again.status_code == 304
    # The same code after a rotation: it encodes the path, not the token.
    with app.app_context():
        services.rotate_link(db.session.get(User, owner["id"]), link_id)
    assert decode_png(client.get("/@ada-lovelace/slides/qr.png?size=300").data) == \
        "http://oneclick.test/@ada-lovelace/slides"


def test_link_page_shares_the_token_url_by_default(app, client, owner):
    link_id, token = new_link(app, owner["id"], slug="slides")
    html = body(client.get(f"/links/{link_id}"))
    assert f'value="http://oneclick.test/c/{token}"' in html and f'src="/c/{token}/qr.svg?' in html
    assert "The short path <code>http://oneclick.test/@ada-lovelace/slides</code> leads here too" in html


def test_stable_qr_bad_input(app, client, owner):
    new_link(app, owner["id"], slug="slides")
    assert client.get("/@ada-lovelace/nothing/qr.svg").status_code == 404
    assert client.get("/@ada-lovelace/BAD!/qr.svg").status_code == 404
    assert client.get("/@ada-lovelace/slides/qr.svg?size=99999").status_code == 400
    assert client.get("/@ada-lovelace/slides/qr.gif").status_code == 404
    assert client.post("/@ada-lovelace/slides/qr.svg").status_code == 405


def test_present_shows_a_typeable_url(app, client, owner):
    stable_id, stable_token = new_link(app, owner["id"], slug="slides", share_stable=True)
    html = body(client.get(f"/c/{stable_token}/present"))
    assert 'src="/@ada-lovelace/slides/qr.svg?' in html
    assert re.search(r">oneclick\.test/<wbr>@ada-lovelace/<wbr>slides</a>", html)
    primary_id, primary_token = new_link(app, owner["id"], is_primary=True)
    html = body(client.get(f"/c/{primary_token}/present"))
    assert re.search(r">oneclick\.test/<wbr>@ada-lovelace</a>", html)  # the /@handle for the primary link
    _, token = new_link(app, owner["id"])
    html = body(client.get(f"/c/{token}/present"))
    shown = re.search(r'<p class="present-url">.*?<a href="[^"]+">(.*?)</a>', html, re.S).group(1)
    public_id, rest = token.split("~")
    version, signature = rest.split(".")
    # The token URL breaks only between its parts, never inside one.
    assert shown.split("<wbr>") == ["oneclick.test/", "c/", f"{public_id}~", f"{version}.", signature]
    assert "present-long" in html

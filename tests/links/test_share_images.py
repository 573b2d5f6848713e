"""The owner's slide and video-call background: owner only, 1920x1080, a QR code that scans to the shared URL."""

from __future__ import annotations

import io
import re

import pytest
import zxingcpp
from PIL import Image

from oneclick import cards
from oneclick.extensions import db
from oneclick.links import services
from oneclick.models import InviteLink, User

from ..conftest import body, csrf_from
from ..factories import make_invite_link, make_user

KINDS = ("background", "slide")


@pytest.fixture
def signed_in(auth, user):
    auth.login()
    return user


def new_link(app, owner_id: int, **columns) -> tuple[int, str]:
    with app.app_context():
        link, token = make_invite_link(db.session.get(User, owner_id), **columns)
        return link.id, token


def decode(image: Image.Image) -> list[str]:
    return [r.text for r in zxingcpp.read_barcodes(image)]


def image_of(response) -> Image.Image:
    image = Image.open(io.BytesIO(response.data))
    assert image.format == "PNG"
    return image


@pytest.mark.parametrize("kind", KINDS)
def test_owner_downloads_a_1080p_png_whose_qr_scans_to_the_link(app, client, signed_in, kind):
    link_id, token = new_link(app, signed_in["id"], channel="slides")
    response = client.get(f"/links/{link_id}/{kind}.png")
    assert response.status_code == 200 and response.mimetype == "image/png"
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="oneclick-ada-lovelace-slides-{kind}.png"')
    image = image_of(response)
    assert image.size == (1920, 1080)
    url = f"http://oneclick.test/c/{token}"
    assert decode(image) == [url]
    # Back of the room: the picture shrunk to 640x360 (a third of 1080p) still scans.
    assert decode(image.resize((640, 360), Image.Resampling.LANCZOS)) == [url]


def test_images_are_cached_with_a_strong_etag_and_304(app, client, signed_in):
    link_id, _ = new_link(app, signed_in["id"])
    first = client.get(f"/links/{link_id}/slide.png")
    etag = first.headers["ETag"]
    assert re.fullmatch(r'"[0-9a-f]{32}"', etag)
    assert first.headers["Cache-Control"] == "private, no-cache"
    cache = app.extensions["oneclick.qr_cache"]
    hits = cache.hits
    again = client.get(f"/links/{link_id}/slide.png", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b"" and cache.hits == hits + 1
    assert client.get(f"/links/{link_id}/background.png").headers["ETag"] != etag


def test_a_rotation_makes_a_new_picture_with_the_new_url(app, client, auth, signed_in):
    link_id, token = new_link(app, signed_in["id"])
    before = client.get(f"/links/{link_id}/slide.png")
    auth.post(f"/links/{link_id}/rotate")
    after = client.get(f"/links/{link_id}/slide.png", headers={"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200 and after.headers["ETag"] != before.headers["ETag"]
    with app.app_context():
        new_token = services.link_token(db.session.get(InviteLink, link_id))
    assert new_token != token
    assert decode(image_of(after)) == [f"http://oneclick.test/c/{new_token}"]


def test_a_stable_path_link_encodes_the_stable_path(app, client, signed_in):
    with app.app_context():
        owner = db.session.get(User, signed_in["id"])
        owner.handle, owner.vanity_enabled = "ada", True
        db.session.commit()
    link_id, _ = new_link(app, signed_in["id"], slug="talk", share_stable=True)
    for kind in KINDS:
        image = image_of(client.get(f"/links/{link_id}/{kind}.png"))
        assert decode(image) == ["http://oneclick.test/@ada/talk"]
    # A short URL is a smaller code: bigger modules on the slide.
    page = body(client.get(f"/links/{link_id}"))
    assert f"{cards.slide_module_px('http://oneclick.test/@ada/talk')} pixels per module" in page


def test_text_on_the_pictures_is_the_short_address_for_the_primary_link(app, signed_in):
    from oneclick.links.images import text_url

    with app.app_context():
        owner = db.session.get(User, signed_in["id"])
        owner.handle, owner.vanity_enabled = "ada", True
        db.session.commit()
        link, _ = make_invite_link(owner, is_primary=True)
        other, _ = make_invite_link(owner, is_primary=False)
        assert text_url(link, services.share_url(link)) == "http://oneclick.test/@ada"
        assert text_url(other, services.share_url(other)) == services.link_url(other)


def test_the_link_page_offers_the_downloads_and_states_the_module_size(app, client, signed_in):
    link_id, token = new_link(app, signed_in["id"])
    page = body(client.get(f"/links/{link_id}"))
    assert f'href="/links/{link_id}/slide.png"' in page and f'href="/links/{link_id}/background.png"' in page
    # A token URL (73 characters here: version 5, 45 modules with the quiet zone) gets 21 px per module at 1080p.
    assert cards.qr_modules(f"http://oneclick.test/c/{token}") == 45
    assert "21 pixels per module" in page


# --- Access control and bad input ------------------------------------------------------------------


def test_signed_out_is_sent_to_sign_in(app, client, user):
    link_id, _ = new_link(app, user["id"])
    for kind in KINDS:
        response = client.get(f"/links/{link_id}/{kind}.png")
        assert response.status_code == 302 and response.location.startswith("/login")


def test_someone_elses_link_and_bad_ids_are_404(app, client, signed_in):
    with app.app_context():
        mallory = make_user(email="mallory@example.com", name="Mallory")
        _, _ = make_invite_link(mallory)
        theirs = db.session.query(InviteLink).filter_by(owner_id=mallory.id).one().id
    for kind in KINDS:
        response = client.get(f"/links/{theirs}/{kind}.png")
        assert response.status_code == 404 and "Mallory" not in body(response)
        for bad in ("999999", "0", "2147483648", "99999999999999999999", "-1", "abc"):
            assert client.get(f"/links/{bad}/{kind}.png").status_code == 404, bad
    mine, _ = new_link(app, signed_in["id"])
    for path in ("poster.png", "slide.jpg", "slide.PNG", "slide", "slide.png/x"):
        assert client.get(f"/links/{mine}/{path}").status_code == 404, path


def test_the_routes_only_read_so_a_post_is_refused(app, client, signed_in):
    # GET-only and without side effects, so no CSRF token is involved; a POST (with or without one) is 405.
    link_id, _ = new_link(app, signed_in["id"])
    token = csrf_from(client.get("/links/new").get_data(as_text=True))
    for kind in KINDS:
        assert client.post(f"/links/{link_id}/{kind}.png").status_code == 405
        assert client.post(f"/links/{link_id}/{kind}.png", data={"csrf_token": token}).status_code == 405


@pytest.mark.config(QR_RENDER_LIMIT_PER_IP="2 per minute")
def test_renders_are_rate_limited_but_cached_copies_are_free(app, client, signed_in):
    link_id, _ = new_link(app, signed_in["id"])
    assert client.get(f"/links/{link_id}/slide.png").status_code == 200
    for _ in range(4):
        assert client.get(f"/links/{link_id}/slide.png").status_code == 200
    assert client.get(f"/links/{link_id}/background.png").status_code == 200
    other, _ = new_link(app, signed_in["id"])
    assert client.get(f"/links/{other}/slide.png").status_code == 429

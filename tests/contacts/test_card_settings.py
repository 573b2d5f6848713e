"""The contact card in Settings: access, CSRF, bad input, and the photo (re-encoded, size-limited, checked)."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from PIL import Image

from oneclick.extensions import db
from oneclick.models import ContactCard, User

from ..conftest import body, csrf_from
from .helpers import ADA_CARD, png, world


@pytest.mark.parametrize("path", ["/settings/card"])
def test_card_page_needs_sign_in(client, path):
    response = client.get(path)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize("path", ["/settings/card", "/settings/card/photo", "/settings/card/photo/delete"])
def test_card_posts_need_sign_in(client, path):
    response = client.post(path, data={})
    assert response.status_code in (302, 400)
    assert response.status_code == 400 or "/login" in response.headers["Location"]


def test_card_saves_and_shows_in_the_settings_nav(client, auth, app):
    world(app)
    auth.login("grace@example.com")
    page = client.get("/settings/card")
    assert page.status_code == 200
    assert 'href="/settings/card" aria-current="page">Contact card' in page.get_data(as_text=True)
    assert "grace@example.com" in body(page)  # the verified account address is named as such
    saved = auth.post("/settings/card", {**ADA_CARD})
    assert saved.status_code == 302
    with app.app_context():
        card = db.session.get(ContactCard, db.session.query(User.id).filter_by(email="grace@example.com").scalar())
        assert card.linkedin == ADA_CARD["linkedin"] and card.phone == ADA_CARD["phone"]


def test_card_post_without_csrf_is_refused(client, auth, app):
    world(app)
    auth.login("grace@example.com")
    response = client.post("/settings/card", data={"organisation": "Evil"})
    assert response.status_code == 400


@pytest.mark.parametrize("field, value, message", [
    ("website", "javascript:alert(1)", "https://"),
    ("website", "https://exa mple.com", "no spaces"),
    ("linkedin", "https://evil.example/in/ada", "linkedin.com"),
    ("github", "https://user:pw@github.com/ada", "user name"),
    ("x", "ftp://x.com/ada", "https://"),
    ("phone", "call me maybe", "digits"),
    ("work_email", "not-an-address", "valid email"),
    ("organisation", "x" * 101, "100"),
    ("website", "https://example.com/" + "a" * 300, "300"),
])
def test_card_bad_input_gets_a_message_and_saves_nothing(client, auth, app, field, value, message):
    world(app)
    auth.login("grace@example.com")
    response = auth.post("/settings/card", {**ADA_CARD, field: value})
    assert response.status_code == 200
    assert message in body(response)
    with app.app_context():
        card = db.session.query(ContactCard).join(User, User.id == ContactCard.user_id).filter(
            User.email == "grace@example.com").one()
        assert card.organisation == "US Navy"  # the card as it was


def _upload(client, auth, data: bytes, name="photo.png"):
    token = csrf_from(client.get("/settings/card").get_data(as_text=True))
    response = client.post("/settings/card/photo", data={"csrf_token": token, "photo": (io.BytesIO(data), name)},
                           content_type="multipart/form-data")
    response.get_data()
    response.close()  # closes the test client's temporary file holding a large upload
    return response


def _stored(app, email="grace@example.com") -> tuple[bytes | None, str | None]:
    with app.app_context():
        user = db.session.query(User).filter_by(email=email).one()
        card = db.session.get(ContactCard, user.id)
        return (card.photo if card else None), user.photo_etag


def test_photo_is_cropped_reencoded_and_stripped_of_exif(client, auth, app):
    world(app)
    auth.login("grace@example.com")
    original = png((800, 600), exif=True)
    assert b"SecretCamera" in original
    response = _upload(client, auth, original, "me.jpg")
    assert response.status_code == 302
    jpeg, etag = _stored(app)
    assert jpeg[:3] == b"\xff\xd8\xff" and b"SecretCamera" not in jpeg and b"Exif" not in jpeg
    image = Image.open(io.BytesIO(jpeg))
    assert image.size == (512, 512) and image.format == "JPEG" and not image.getexif()
    # Served with its version as ETag; a revalidation is a 304.
    with app.app_context():
        public_id = db.session.query(User.public_id).filter_by(email="grace@example.com").scalar()
    served = client.get(f"/people/{public_id}/photo/{etag}.jpg")
    assert served.status_code == 200 and served.data == jpeg and served.headers["ETag"] == f'"{etag}"'
    assert served.mimetype == "image/jpeg" and served.headers["X-Content-Type-Options"] == "nosniff"
    again = client.get(f"/people/{public_id}/photo/{etag}.jpg", headers={"If-None-Match": f'"{etag}"'})
    assert again.status_code == 304
    assert client.get(f"/people/{public_id}/photo/{'0' * 16}.jpg").status_code == 404  # an old version
    assert client.get(f"/people/{public_id}/photo/nothex.jpg").status_code == 404


def test_transparent_png_is_flattened(client, auth, app):
    world(app)
    auth.login("grace@example.com")
    assert _upload(client, auth, png((100, 100), mode="RGBA")).status_code == 302
    jpeg, _ = _stored(app)
    assert Image.open(io.BytesIO(jpeg)).mode == "RGB"


@pytest.mark.parametrize("tail", [b"PK\x03\x04" + b"zipzipzip" * 50 + b"PK\x05\x06" + b"\0" * 18,
                                  b"<html><script>alert(document.cookie)</script></html>"])
def test_polyglot_png_is_reencoded_without_the_appended_bytes(client, auth, app, tail):
    world(app)
    auth.login("grace@example.com")
    assert _upload(client, auth, png((300, 300)) + tail).status_code == 302
    jpeg, _ = _stored(app)
    assert b"PK\x03\x04" not in jpeg and b"<html" not in jpeg and b"script" not in jpeg
    assert jpeg.endswith(b"\xff\xd9")  # ends where the JPEG ends


@pytest.mark.parametrize("data, name, message", [
    (b"<html><body>not a picture</body></html>", "x.png", "isn't a photo"),
    (b"%PDF-1.4\n" + b"0" * 100, "x.pdf", "isn't a photo"),
    (b"GIF89a<svg onload=alert(1)>", "x.gif", "damaged|isn't a photo"),
    (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "x.svg", "isn't a photo"),
    (b"", "x.png", "Choose a photo"),
])
def test_non_images_are_refused_with_a_message(client, auth, app, data, name, message):
    world(app)
    auth.login("grace@example.com")
    response = _upload(client, auth, data, name)
    assert response.status_code == 400
    assert any(m in body(response) for m in message.split("|"))
    assert _stored(app) == (None, None)


def _bomb_png(width: int, height: int) -> bytes:
    """A tiny PNG file that claims a huge picture (a decompression bomb)."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    raw = zlib.compress(b"\0" * 1000)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


@pytest.mark.parametrize("size", [(10_000, 10_000), (60_000, 60_000)])
def test_decompression_bombs_are_refused(client, auth, app, size):
    world(app)
    auth.login("grace@example.com")
    response = _upload(client, auth, _bomb_png(*size))
    assert response.status_code == 400
    assert "pixels" in body(response) or "isn't a photo" in body(response)
    assert _stored(app) == (None, None)


@pytest.mark.config(CARD_PHOTO_MAX_BYTES=256 * 1024)
def test_oversized_upload_is_refused_with_a_message(client, auth, app):
    # (Uploads stay under the test client's 500 KB spill-to-disk size: the setting is what is tested.)
    world(app)
    auth.login("grace@example.com")
    response = _upload(client, auth, png((10, 10)) + b"\0" * (450 * 1024))  # refused by its Content-Length
    assert response.status_code == 413
    assert "larger than 256 KB" in body(response)
    response = _upload(client, auth, png((10, 10)) + b"\0" * (300 * 1024))  # within the framing allowance: read
    assert response.status_code == 413
    assert "larger than 256 KB" in body(response)
    assert _stored(app) == (None, None)
    # Under the limit is taken: the limit is the setting's, above MAX_CONTENT_LENGTH (256 KB for other forms).
    assert app.config["MAX_CONTENT_LENGTH"] <= 256 * 1024
    ok = _upload(client, auth, png((10, 10)) + b"\0" * (250 * 1024))
    assert ok.status_code == 302


def test_photo_without_csrf_is_refused_and_delete_works(client, auth, app):
    world(app)
    auth.login("grace@example.com")
    refused = client.post("/settings/card/photo", data={"photo": (io.BytesIO(png()), "p.png")},
                          content_type="multipart/form-data")
    assert refused.status_code == 400 and _stored(app) == (None, None)
    assert _upload(client, auth, png()).status_code == 302
    assert client.post("/settings/card/photo/delete", data={}).status_code == 400  # no CSRF token
    assert _stored(app)[1] is not None
    assert auth.post("/settings/card/photo/delete", {}, token_from="/settings/card").status_code == 302
    assert _stored(app) == (None, None)


def test_landing_page_shows_the_photo_instead_of_the_initial(client, auth, app):
    ids = world(app)
    page = client.get(f"/c/{ids['token']}").get_data(as_text=True)
    assert 'class="landing-avatar" aria-hidden="true">A<' in page
    auth.login("ada@example.com")
    assert _upload(client, auth, png()).status_code == 302
    _, etag = _stored(app, "ada@example.com")
    auth.logout()
    page = client.get(f"/c/{ids['token']}").get_data(as_text=True)
    assert f"/photo/{etag}.jpg" in page and 'aria-hidden="true">A<' not in page

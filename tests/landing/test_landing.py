"""The public side of a link: landing page states, click counting, QR codes, present mode and /@handle."""

from __future__ import annotations

import io
import re
import string
import threading
from datetime import timedelta

import pytest
import zxingcpp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from itsdangerous import Signer
from PIL import Image
from sqlalchemy import select

from oneclick import tokens
from oneclick.clock import utcnow
from oneclick.extensions import db
from oneclick.links import services
from oneclick.models import InviteLink, LinkDailyStat, User

from ..factories import make_invite_link, make_request, make_user
from .helpers import UA, new_link

OLD_KEY = "test-secret-key-that-is-long-enough"  # the key the app fixture uses
NEW_KEY = "a-brand-new-secret-key-after-rotation"


@pytest.fixture
def owner(app, user):
    with app.app_context():
        return db.session.get(User, user["id"])


def clicks(app, link_id: int) -> int:
    with app.app_context():
        return sum(db.session.scalars(select(LinkDailyStat.clicks).where(LinkDailyStat.link_id == link_id)))


def stat_rows(app, link_id: int) -> int:
    with app.app_context():
        return len(db.session.scalars(select(LinkDailyStat).where(LinkDailyStat.link_id == link_id)).all())


# --- States ----------------------------------------------------------------------------------------


def test_active_link_shows_the_owner_and_message(app, client, user):
    link_id, token = new_link(app, user["id"], message="Happy to meet people from the talk!")
    response = client.get(f"/c/{token}", headers=UA)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Ada Lovelace" in html and "Happy to meet people from the talk!" in html
    assert 'id="request"' in html  # the include point of the request form
    assert response.headers["Cache-Control"] == "no-store"
    assert "noindex" in response.headers["X-Robots-Tag"]


def test_message_is_escaped(app, client, user):
    _, token = new_link(app, user["id"], message="<script>alert(1)</script>")
    html = client.get(f"/c/{token}", headers=UA).get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html


def test_paused_link_is_410(app, client, user):
    _, token = new_link(app, user["id"], active=False)
    response = client.get(f"/c/{token}", headers=UA)
    assert response.status_code == 410
    assert "This link is paused" in response.get_data(as_text=True)


def test_expired_link_is_410(app, client, user):
    _, token = new_link(app, user["id"], expires_at=utcnow() - timedelta(seconds=1))
    response = client.get(f"/c/{token}", headers=UA)
    assert response.status_code == 410
    assert "This link has expired" in response.get_data(as_text=True)


def test_link_expiring_later_is_open(app, client, user):
    _, token = new_link(app, user["id"], expires_at=utcnow() + timedelta(minutes=5))
    assert client.get(f"/c/{token}", headers=UA).status_code == 200


def test_full_link_is_410_counting_requests_of_any_status(app, client, owner):
    with app.app_context():
        owner = db.session.get(User, owner.id)
        link, token = make_invite_link(owner, max_requests=2)
        make_request(owner, link, status="declined")
        assert client.get(f"/c/{token}", headers=UA).status_code == 200
        make_request(owner, link, status="accepted")
    response = client.get(f"/c/{token}", headers=UA)
    assert response.status_code == 410
    assert "This link is full" in response.get_data(as_text=True)


def test_rotated_link_says_it_was_replaced(app, client, user):
    link_id, old = new_link(app, user["id"])
    with app.app_context():
        assert services.rotate_link(db.session.get(User, user["id"]), link_id)
        new = services.link_token(db.session.get(InviteLink, link_id))
    response = client.get(f"/c/{old}", headers=UA)
    assert response.status_code == 410
    assert "This link was replaced" in response.get_data(as_text=True)
    assert client.get(f"/c/{new}", headers=UA).status_code == 200
    assert new != old


def test_tampered_token_is_404(app, client, user):
    _, token = new_link(app, user["id"])
    public_id, version = token.split(".")[0].split("~")
    forged_version = f"{public_id}~2." + token.split(".")[1]
    for bad in (token[:-2] + "xx", token + "a", token[1:], forged_version, "nope", "a.b", "~.", "x" * 300):
        response = client.get(f"/c/{bad}", headers=UA)
        assert response.status_code == 404, bad
        assert "find this link" in response.get_data(as_text=True)


def test_future_version_and_deleted_link_are_404(app, client, user):
    link_id, token = new_link(app, user["id"])
    with app.app_context():
        link = db.session.get(InviteLink, link_id)
        future = tokens.sign_link(link.public_id, link.version + 1)
        assert services.delete_link(db.session.get(User, user["id"]), link_id)
    assert client.get(f"/c/{future}", headers=UA).status_code == 404
    assert client.get(f"/c/{token}", headers=UA).status_code == 404


def test_resolve_token_states(app, user):
    """The contract the request form builds on: Resolution(link, state)."""
    link_id, token = new_link(app, user["id"], max_requests=1)
    with app.app_context():
        now = utcnow()
        res = services.resolve_token(token, now)
        assert res.state == "ok" and res.ok and res.link.id == link_id and res.link.owner.name == "Ada Lovelace"
        assert services.resolve_token("garbage", now) == services.Resolution(None, "not_found")
        owner = db.session.get(User, user["id"])
        make_request(owner, db.session.get(InviteLink, link_id), status="pending")
        assert services.resolve_token(token, now).state == "full"
        services.set_active(owner, link_id, False)
        assert services.resolve_token(token, now).state == "paused"
        services.set_active(owner, link_id, True)
        services.rotate_link(owner, link_id)
        res = services.resolve_token(token, now)
        assert res.state == "replaced" and res.link.id == link_id


ALPHABET = string.ascii_letters + string.digits + "-_.~%!$&'()*+,;=:@ " + "éß☃\u200b"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(garbage=st.text(alphabet=ALPHABET, min_size=1, max_size=250))
def test_random_tokens_are_never_a_server_error(client, garbage):
    response = client.get("/c/" + garbage.replace("%", "%25").replace(" ", "%20"), headers=UA)
    assert response.status_code in (404, 410), garbage


@st.composite
def mutations(draw, token_strategy):
    token = draw(token_strategy)
    ops = draw(st.lists(st.sampled_from(["replace", "delete", "insert", "swapcase", "truncate", "dup"]), min_size=1,
                        max_size=4))
    for op in ops:
        i = draw(st.integers(min_value=0, max_value=max(len(token) - 1, 0)))
        ch = draw(st.sampled_from(string.ascii_letters + string.digits + "-_.~"))
        if op == "replace" and token:
            token = token[:i] + ch + token[i + 1 :]
        elif op == "delete" and token:
            token = token[:i] + token[i + 1 :]
        elif op == "insert":
            token = token[:i] + ch + token[i:]
        elif op == "swapcase":
            token = token.swapcase()
        elif op == "truncate":
            token = token[:i]
        elif op == "dup":
            token = token + token
    return token


@pytest.fixture
def live_token(app, user):
    return new_link(app, user["id"])[1]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_mutated_tokens_are_404_unless_unchanged(client, live_token, data):
    mutated = data.draw(mutations(st.just(live_token)))
    response = client.get("/c/" + mutated, headers=UA) if mutated else None
    if not mutated:
        return
    expected = 200 if mutated == live_token else 404
    assert response.status_code == expected, mutated
    for suffix in ("/qr.svg", "/qr.png", "/present"):
        assert client.get(f"/c/{mutated}{suffix}").status_code == expected, (mutated, suffix)


# --- Secret key rotation ---------------------------------------------------------------------------


def _old_token(public_id: str, version: int) -> str:
    return Signer([OLD_KEY], salt=tokens.LINK_SALT, sep=".").sign(f"{public_id}~{version:x}").decode()


@pytest.mark.config(SECRET_KEY=NEW_KEY, SECRET_KEY_FALLBACKS=[OLD_KEY])
def test_old_key_in_fallbacks_keeps_printed_links_working(app, client, user):
    link_id, current = new_link(app, user["id"])
    with app.app_context():
        link = db.session.get(InviteLink, link_id)
        printed = _old_token(link.public_id, link.version)
    assert printed != current
    assert client.get(f"/c/{printed}", headers=UA).status_code == 200
    assert client.get(f"/c/{printed}/qr.png").status_code == 200
    assert client.get(f"/c/{current}", headers=UA).status_code == 200
    assert clicks(app, link_id) == 2


@pytest.mark.config(SECRET_KEY=NEW_KEY)
def test_old_key_without_fallback_is_404(app, client, user):
    link_id, _ = new_link(app, user["id"])
    with app.app_context():
        link = db.session.get(InviteLink, link_id)
        printed = _old_token(link.public_id, link.version)
    assert client.get(f"/c/{printed}", headers=UA).status_code == 404


# --- Click counting --------------------------------------------------------------------------------


def test_clicks_are_counted_in_one_daily_row(app, client, user):
    link_id, token = new_link(app, user["id"])
    for _ in range(3):
        assert client.get(f"/c/{token}", headers=UA).status_code == 200
    assert clicks(app, link_id) == 3
    assert stat_rows(app, link_id) == 1
    with app.app_context():
        row = db.session.scalar(select(LinkDailyStat).where(LinkDailyStat.link_id == link_id))
        assert row.day == utcnow().date()


def test_head_bots_prefetch_and_closed_links_are_not_counted(app, client, user):
    link_id, token = new_link(app, user["id"])
    assert client.head(f"/c/{token}", headers=UA).status_code == 200
    for ua in ("", "curl/8.5.0", "Slackbot-LinkExpanding 1.0", "Mozilla/5.0 (compatible; Googlebot/2.1)",
               "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17126; Pro)"):
        assert client.get(f"/c/{token}", headers={"User-Agent": ua}).status_code == 200
    assert client.get(f"/c/{token}", headers={**UA, "Sec-Purpose": "prefetch"}).status_code == 200
    assert clicks(app, link_id) == 0
    paused_id, paused = new_link(app, user["id"], active=False)
    client.get(f"/c/{paused}", headers=UA)
    assert clicks(app, paused_id) == 0


def test_owner_visits_are_not_counted_but_others_are(app, client, auth, user):
    link_id, token = new_link(app, user["id"])
    auth.login()
    html = client.get(f"/c/{token}", headers=UA).get_data(as_text=True)
    assert "This is your own link" in html
    assert clicks(app, link_id) == 0
    with app.app_context():
        make_user(email="bob@example.com")
    auth.logout()
    auth.login("bob@example.com")
    assert client.get(f"/c/{token}", headers=UA).status_code == 200
    assert clicks(app, link_id) == 1


def test_concurrent_clicks_all_count(app, user):
    link_id, token = new_link(app, user["id"])
    n, errors = 12, []
    barrier = threading.Barrier(n)

    def click():
        try:
            c = app.test_client()
            barrier.wait(5)
            assert c.get(f"/c/{token}", headers=UA).status_code == 200
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=click) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors
    assert clicks(app, link_id) == n
    assert stat_rows(app, link_id) == 1


# --- QR codes --------------------------------------------------------------------------------------


def test_qr_png_encodes_the_public_url_not_the_host(app, client, user):
    link_id, token = new_link(app, user["id"])
    response = client.get(f"/c/{token}/qr.png?size=256", headers={"Host": "evil.example"})
    assert response.status_code == 200 and response.mimetype == "image/png"
    image = Image.open(io.BytesIO(response.data))
    assert image.size == (256, 256)
    assert [r.text for r in zxingcpp.read_barcodes(image)] == [f"http://oneclick.test/c/{token}"]


def test_qr_svg_headers_etag_and_304(app, client, user):
    _, token = new_link(app, user["id"])
    response = client.get(f"/c/{token}/qr.svg")
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    assert response.data.startswith(b"<?xml") and b'width="512"' in response.data
    etag = response.headers["ETag"]
    assert re.fullmatch(r'"[0-9a-f]{32}"', etag)  # strong: no W/ prefix
    assert response.headers["Cache-Control"] == "public, max-age=604800"
    assert "Content-Disposition" not in response.headers
    again = client.get(f"/c/{token}/qr.svg", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    assert again.headers["ETag"] == etag
    other = client.get(f"/c/{token}/qr.svg?size=600", headers={"If-None-Match": etag})
    assert other.status_code == 200 and other.headers["ETag"] != etag


def test_qr_download_names(app, client, user):
    _, token = new_link(app, user["id"], channel="slides")
    response = client.get(f"/c/{token}/qr.png?size=1024&download=1")
    assert response.headers["Content-Disposition"] == 'attachment; filename="oneclick-ada-lovelace-slides-qr-1024.png"'
    response = client.get(f"/c/{token}/qr.svg?download=1")
    assert response.headers["Content-Disposition"] == 'attachment; filename="oneclick-ada-lovelace-slides-qr-512.svg"'


@pytest.mark.parametrize(
    "query", ["size=127", "size=2049", "size=big", "size=1e3", "ecc=Z", "border=17", "border=-1", "size=%00"]
)
def test_qr_options_out_of_bounds_are_400(app, client, user, query):
    _, token = new_link(app, user["id"])
    for fmt in ("svg", "png"):
        response = client.get(f"/c/{token}/qr.{fmt}?{query}")
        assert response.status_code == 400
        assert "QR code" in response.get_data(as_text=True)


def test_qr_bounds_are_inclusive(app, client, user):
    _, token = new_link(app, user["id"])
    assert client.get(f"/c/{token}/qr.png?size=128&border=0&ecc=L").status_code == 200
    big = client.get(f"/c/{token}/qr.png?size=2048&border=16&ecc=H")
    assert big.status_code == 200 and Image.open(io.BytesIO(big.data)).size == (2048, 2048)


def test_qr_states(app, client, user):
    link_id, token = new_link(app, user["id"])
    _, paused = new_link(app, user["id"], active=False)
    assert client.get(f"/c/{token[:-3]}abc/qr.svg").status_code == 404
    # A paused link's QR still renders: the owner may print it before opening the link.
    assert client.get(f"/c/{paused}/qr.svg").status_code == 200
    with app.app_context():
        services.rotate_link(db.session.get(User, user["id"]), link_id)
    assert client.get(f"/c/{token}/qr.png").status_code == 410
    assert client.get(f"/c/{token}/qr.gif").status_code == 404


def test_hot_qr_comes_from_the_cache(app, client, user):
    _, token = new_link(app, user["id"])
    first = client.get(f"/c/{token}/qr.png?size=300")
    cache = app.extensions["oneclick.qr_cache"]
    hits = cache.hits
    second = client.get(f"/c/{token}/qr.png?size=300")
    assert cache.hits == hits + 1 and second.data == first.data


@pytest.mark.config(QR_RENDER_LIMIT_PER_IP="2 per minute")
def test_qr_renders_are_rate_limited_but_cache_hits_are_free(app, client, user):
    _, token = new_link(app, user["id"])
    assert client.get(f"/c/{token}/qr.png?size=200").status_code == 200
    for _ in range(5):
        assert client.get(f"/c/{token}/qr.png?size=200").status_code == 200
    assert client.get(f"/c/{token}/qr.png?size=201").status_code == 200
    assert client.get(f"/c/{token}/qr.png?size=202").status_code == 429


# --- Present mode and /@handle ---------------------------------------------------------------------


def test_present_mode(app, client, user):
    _, token = new_link(app, user["id"])
    response = client.get(f"/c/{token}/present")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Ada Lovelace" in html and f"/c/{token}/qr.svg" in html
    assert f"oneclick.test/c/{token}" in html  # the URL in large type, without the scheme
    assert 'class="site-header"' not in html  # nothing but the QR, the name and the URL


def test_present_mode_shows_the_short_address_for_the_primary_link(app, client, user):
    with app.app_context():
        owner = db.session.get(User, user["id"])
        owner.handle = "ada"
        db.session.commit()
        link, token = make_invite_link(owner, is_primary=True)
    html = client.get(f"/c/{token}/present").get_data(as_text=True)
    assert "oneclick.test/@ada" in html


def test_present_mode_of_a_closed_link_is_410(app, client, user):
    _, token = new_link(app, user["id"], active=False)
    assert client.get(f"/c/{token}/present").status_code == 410
    assert client.get("/c/nonsense/present").status_code == 404


def test_vanity_url_follows_the_primary_link_through_rotation(app, client, user):
    with app.app_context():
        owner = db.session.get(User, user["id"])
        owner.handle = "ada"
        db.session.commit()
        first, first_token = make_invite_link(owner, is_primary=True)
        second, second_token = make_invite_link(owner)
        first_id, second_id = first.id, second.id
    response = client.get("/@ada")
    assert response.status_code == 302 and response.location == f"/c/{first_token}"
    assert response.headers["Cache-Control"] == "no-cache"
    assert client.get("/@ADA").location == f"/c/{first_token}"
    with app.app_context():
        owner = db.session.get(User, user["id"])
        services.rotate_link(owner, first_id)
        rotated = services.link_token(db.session.get(InviteLink, first_id))
    assert client.get("/@ada").location == f"/c/{rotated}"
    with app.app_context():
        services.set_primary(db.session.get(User, user["id"]), second_id)
    assert client.get("/@ada").location == f"/c/{second_token}"
    with app.app_context():
        services.set_vanity(db.session.get(User, user["id"]), False)
    assert client.get("/@ada").status_code == 404


def test_vanity_url_404s(app, client, user):
    assert client.get("/@nobody").status_code == 404
    assert client.get("/@" + "x" * 200).status_code == 404
    with app.app_context():
        owner = db.session.get(User, user["id"])
        owner.handle = "ada"
        db.session.commit()
        make_invite_link(owner)  # not primary
    assert client.get("/@ada").status_code == 404

"""Helpers for the contact card tests: members with cards, a link sharing chosen fields, and requests."""

from __future__ import annotations

import io

from PIL import Image

from oneclick.contacts import services as contacts
from oneclick.extensions import db
from oneclick.models import User

from ..conftest import csrf_from
from ..factories import make_invite_link, make_user

ADA_CARD = {"organisation": "Analytical Engines Ltd", "work_email": "ada@engines.example",
            "personal_email": "ada.private@example.net", "phone": "+44 20 7946 0001",
            "website": "https://ada.example", "linkedin": "https://www.linkedin.com/in/ada",
            "mastodon": "https://mastodon.example/@ada", "github": "https://github.com/ada", "x": "https://x.com/ada"}
GRACE_CARD = {"organisation": "US Navy", "work_email": "grace@navy.example", "personal_email": "grace@home.example",
              "phone": "+1 555 0100", "website": "", "linkedin": "", "mastodon": "", "github": "https://github.com/grace",
              "x": ""}


def world(app, card_fields="work_email,linkedin", public_fields=""):
    """Ada (a card, one link sharing ``card_fields``), Grace (a card) and Bob (an outsider)."""
    with app.app_context():
        ada = make_user(email="ada@example.com", name="Ada Lovelace", headline="Mathematician")
        grace = make_user(email="grace@example.com", name="Grace Hopper")
        bob = make_user(email="bob@example.com", name="Bob Outsider")
        contacts.save_card(ada, ADA_CARD)
        contacts.save_card(db.session.get(User, grace.id), GRACE_CARD)
        link, token = make_invite_link(db.session.get(User, ada.id), label="Slides", card_fields=card_fields,
                                       public_fields=public_fields)
        return {"ada": ada.id, "grace": grace.id, "bob": bob.id, "link": link.id, "token": token}


def member_request(client, auth, token: str, email: str, share: list[str]):
    """Sign in as ``email`` and press Connect on the link's page, sharing ``share`` back."""
    auth.login(email)
    page = client.get(f"/c/{token}").get_data(as_text=True)
    response = client.post(f"/c/{token}/request", data={"csrf_token": csrf_from(page), "share": share})
    assert response.status_code == 302, response.status_code
    return page


def png(size=(64, 48), color=(200, 30, 30), exif: bool = False, mode="RGB") -> bytes:
    image = Image.new(mode, size, color if mode == "RGB" else (*color, 128))
    out = io.BytesIO()
    if exif:
        data = Image.Exif()
        data[0x010F] = "SecretCamera"  # Make
        data[0x8825] = {2: (51.0, 30.0, 0.0)}  # GPSInfo: latitude
        image.save(out, "JPEG", exif=data.tobytes())
    else:
        image.save(out, "PNG")
    return out.getvalue()

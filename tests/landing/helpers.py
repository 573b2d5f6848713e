"""What the landing-page tests share: a browser's User-Agent and a quick way to make a link."""

from __future__ import annotations

from oneclick.extensions import db
from oneclick.models import User

from ..factories import make_invite_link

BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
UA = {"User-Agent": BROWSER}


def new_link(app, owner_id: int, **columns) -> tuple[int, str]:
    """Create a link and return (id, token)."""
    with app.app_context():
        link, token = make_invite_link(db.session.get(User, owner_id), **columns)
        return link.id, token

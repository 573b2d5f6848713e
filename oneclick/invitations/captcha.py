"""Self-hosted captchas: an image of six digits, or the same kind of challenge read aloud.

The answer is never stored or sent in clear: only an HMAC (keyed with SECRET_KEY, salted with the captcha id)
is kept server-side, next to the rendered challenge. A captcha belongs to one member, expires after
CAPTCHA_TTL_SECONDS and is used up by the first answer, right or wrong.

A member has at most one live (unanswered) captcha per purpose, enforced by the partial unique index
``uq_captchas_live``: page views and refusals show that one again instead of rendering and storing another, and
a new one is minted only once it was answered or expired. ``purge`` deletes the spent and expired rows.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from captcha.audio import AudioCaptcha
from captcha.image import ImageCaptcha
from flask import current_app
from PIL.Image import Resampling, new
from PIL.ImageDraw import Draw
from PIL.ImageFilter import SMOOTH
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import Captcha

DIGITS = 6
KINDS = {"image": "image/png", "audio": "audio/wav"}


def _hash(captcha_id: str, answer: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"{captcha_id}:{answer}".encode(), hashlib.sha256).hexdigest()


def _normalise(answer: str | None) -> str:
    return "".join(ch for ch in (answer or "") if ch.isdigit())[:DIGITS * 2]


#: The picture's size (the templates' <img width/height> match it).
IMAGE_WIDTH, IMAGE_HEIGHT = 330, 100
#: Room left between two digits' slots, and above and below them, in pixels.
DIGIT_GAP, DIGIT_MARGIN = 10, 8


def digit_slots(count: int, width: int = IMAGE_WIDTH, height: int = IMAGE_HEIGHT,
                gap: int = DIGIT_GAP, margin: int = DIGIT_MARGIN) -> list[tuple[int, int, int, int]]:
    """Return one ``(left, top, right, bottom)`` box per digit: side by side, ``gap`` pixels apart, never touching.

    Each digit is drawn inside its own box only, so no two digits overlap (the old picture let them run into each
    other, and one in two people read one wrong).
    """
    slot = (width - 2 * margin - (count - 1) * gap) // count
    return [(margin + i * (slot + gap), margin, margin + i * (slot + gap) + slot, height - margin)
            for i in range(count)]


class SpacedCaptcha(ImageCaptcha):
    """The ``captcha`` package's distorted digits, each alone in its slot, larger, less rotated, in a dark colour."""

    character_rotate = (-12, 12)
    character_warp_dx = (0.05, 0.12)
    character_warp_dy = (0.05, 0.12)

    def __init__(self):
        super().__init__(width=IMAGE_WIDTH, height=IMAGE_HEIGHT, font_sizes=(62, 68, 74))
        #: Where each digit's ink landed in the last picture (for the tests): ``(left, top, right, bottom)``.
        self.drawn: list[tuple[int, int, int, int]] = []

    def create_captcha_image(self, chars, color, background):
        image = new("RGB", (self._width, self._height), background)
        draw = Draw(image)
        self.drawn = []
        slots = digit_slots(len(chars), self._width, self._height)
        for char, (left, top, right, bottom) in zip(chars, slots, strict=True):
            glyph = self._draw_character(char, draw, color)
            glyph = glyph.crop(glyph.getbbox() or (0, 0, 1, 1))
            glyph.thumbnail((right - left, bottom - top), Resampling.LANCZOS)  # shrinks only, keeps the shape
            w, h = glyph.size
            x, y = left + (right - left - w) // 2, top + (bottom - top - h) // 2
            image.paste(glyph, (x, y), glyph)
            self.drawn.append((x, y, x + w, y + h))
        return image

    def generate_image(self, chars, bg_color=None, fg_color=None):
        image = self.create_captcha_image(chars, fg_color or (25, 35, 60), bg_color or (250, 250, 245))
        noise = (150, 160, 175)  # lighter than the digits: it blurs nothing
        self.create_noise_dots(image, noise, width=2, number=20)
        self.create_noise_curve(image, noise)
        return image.filter(SMOOTH)


def has_answer(answer: str | None) -> bool:
    """Return True when ``answer`` holds anything to check (an empty one leaves the captcha unused)."""
    return bool((answer or "").strip())


def _render(kind: str, answer: str) -> bytes:
    if kind == "audio":
        return bytes(AudioCaptcha().generate(answer))
    return SpacedCaptcha().generate(answer).getvalue()


def create(user_id: int | None, now: datetime, kind: str = "image", purpose: str = "invite") -> Captcha:
    """Add a fresh captcha for ``user_id`` to the session (the caller commits); old ones of theirs are swept.

    ``user_id=None`` makes a sign-in captcha (``purpose="login"``): it belongs to the visitor whose session keeps its
    id, and the sweep then clears every spent or expired sign-in captcha. A member's captcha is never minted twice:
    this returns their live one (see ``issue``).
    """
    if user_id is not None:
        return issue(user_id, now, kind, purpose)
    return _mint(user_id, now, kind, purpose)


def _live(user_id: int, purpose: str, now: datetime) -> Captcha | None:
    return db.session.scalar(
        select(Captcha)
        .where(Captcha.user_id == user_id, Captcha.purpose == purpose, Captcha.used_at.is_(None),
               Captcha.expires_at > now)
        .execution_options(populate_existing=True)
    )


def issue(user_id: int, now: datetime, kind: str | None = None, purpose: str = "invite") -> Captcha:
    """Return the member's live captcha for ``purpose``, minting one only when there is none (the caller commits).

    ``kind=None`` takes the live one whatever its kind; asking for the other kind replaces it (still one row).
    Two requests at once end up with the same row: the loser of the insert race gets the winner's.
    """
    row = _live(user_id, purpose, now)
    if row is not None and kind in (None, row.kind):
        return row
    if row is not None:  # switching between picture and audio: the unanswered one goes, its answer with it
        db.session.execute(delete(Captcha).where(Captcha.id == row.id))
    try:
        with db.session.begin_nested():
            return _mint(user_id, now, kind or "image", purpose, flush=True)
    except IntegrityError:  # another request minted theirs meanwhile (uq_captchas_live)
        row = _live(user_id, purpose, now)
        if row is None:  # pragma: no cover - the winner's row is committed before our insert fails
            raise
        return row


def _mint(user_id: int | None, now: datetime, kind: str, purpose: str, flush: bool = False) -> Captcha:
    kind = kind if kind in KINDS else "image"
    db.session.execute(
        delete(Captcha).where(Captcha.user_id == user_id, (Captcha.expires_at <= now) | Captcha.used_at.is_not(None))
    )
    answer = "".join(secrets.choice("0123456789") for _ in range(DIGITS))
    captcha_id = secrets.token_urlsafe(18)
    row = Captcha(
        id=captcha_id,
        user_id=user_id,
        purpose=purpose,
        kind=kind,
        answer_hash=_hash(captcha_id, answer),
        challenge=_render(kind, answer),
        created_at=now,
        expires_at=now + timedelta(seconds=int(current_app.config["CAPTCHA_TTL_SECONDS"])),
    )
    db.session.add(row)
    if flush:
        db.session.flush()
    return row


def purge(now: datetime) -> int:
    """Delete every answered or expired captcha (both purposes) and return how many (the caller commits)."""
    result = db.session.execute(
        delete(Captcha)
        .where((Captcha.expires_at <= now) | Captcha.used_at.is_not(None))
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


def challenge(user_id: int, captcha_id: str, now: datetime) -> Captcha | None:
    """Return the member's own live captcha (for its image or audio), or None."""
    row = db.session.scalar(select(Captcha).where(Captcha.id == captcha_id[:32], Captcha.user_id == user_id))
    if row is None or row.used_at is not None or row.expires_at <= now:
        return None
    return row


def consume(user_id: int, captcha_id: str | None, answer: str | None, now: datetime) -> bool:
    """Use up the captcha and return True when ``answer`` solves it (in the caller's transaction)."""
    if not captcha_id:
        return False
    row = db.session.scalar(select(Captcha).where(Captcha.id == captcha_id[:32], Captcha.user_id == user_id))
    if row is None:
        return False
    used = db.session.execute(
        update(Captcha)
        .where(Captcha.id == row.id, Captcha.used_at.is_(None), Captcha.expires_at > now)
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if used.rowcount != 1:
        return False
    return hmac.compare_digest(row.answer_hash, _hash(row.id, _normalise(answer)))

"""Pictures of a link for sharing: the 1200x630 unfurl card, a 1920x1080 video-call background and a slide.

Pure functions: plain text in, PNG bytes out (Pillow). The text is drawn with DejaVu Sans, shipped in
``static/fonts/`` (it covers Latin with every accent, Greek and Cyrillic; scripts it lacks, such as CJK,
come out as boxes, never as an error), and every piece of text is wrapped and, past its line budget,
ellipsised, so nothing overflows the picture. QR codes are the same matrices as ``oneclick.qr`` draws
(error correction M, the standard four-module quiet zone), scaled by a whole number of pixels per module.

Renders are cached like QR codes (``cached``: the per-worker byte-bounded ``QrCache``, strong ETag).
"""

from __future__ import annotations

import hashlib
import io
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont, ImageOps

from . import qr

FONT_DIR = Path(__file__).resolve().parent.parent / "static" / "fonts"
REGULAR, BOLD = "DejaVuSans.ttf", "DejaVuSans-Bold.ttf"

# The product's look (static/css/app.css).
FG = (0x1B, 0x1F, 0x24)
MUTED = (0x57, 0x60, 0x6A)
PANEL = (0xF6, 0xF8, 0xFA)
LINE = (0xD0, 0xD7, 0xDE)
ACCENT = (0x0A, 0x58, 0xCA)
ACCENT_DARK = (0x07, 0x3A, 0x86)
ACCENT_SOFT = (0xE7, 0xF0, 0xFF)
WHITE = (0xFF, 0xFF, 0xFF)

CARD_SIZE = (1200, 630)
SLIDE_SIZE = BACKGROUND_SIZE = (1920, 1080)
#: Pixels the QR code (quiet zone included) may take on the slide and on the background.
SLIDE_QR_BOX = 960
BACKGROUND_QR_BOX = 400
QR_ECC = "M"
QR_BORDER = 4
#: How long browsers and unfurlers may keep a card before asking again (an edited headline shows within this).
CARD_MAX_AGE = 3600
ELLIPSIS = "\u2026"


@lru_cache(maxsize=64)
def font(name: str, size: int) -> ImageFont.FreeTypeFont:
    """Return the shipped font ``name`` at ``size`` pixels (Pillow's built-in font if the file is missing)."""
    try:
        return ImageFont.truetype(str(FONT_DIR / name), size)
    except OSError:
        return ImageFont.load_default(size)


def clean(text: str | None) -> str:
    """Return ``text`` on one line: control and format characters dropped, runs of whitespace made one space."""
    kept = (" " if ch.isspace() else ch for ch in text or "")
    return " ".join("".join(ch for ch in kept if unicodedata.category(ch)[0] != "C").split())


def display_url(url: str) -> str:
    """Return ``url`` as people type it: without ``https://`` or ``http://``."""
    for scheme in ("https://", "http://"):
        if url.startswith(scheme):
            return url[len(scheme):]
    return url


def initial(name: str) -> str:
    """Return the first letter of a name, upper-cased (what the landing page shows in its round avatar)."""
    name = clean(name)
    return name[:1].upper() if name else "?"


def _width(text: str, face: ImageFont.FreeTypeFont) -> float:
    return face.getlength(text)


def _break_word(word: str, face, width: float) -> list[str]:
    """Split a word wider than ``width`` into pieces that fit (URLs, CJK text without spaces)."""
    pieces, current = [], ""
    for ch in word:
        if current and _width(current + ch, face) > width:
            pieces.append(current)
            current = ch
        else:
            current += ch
    if current:
        pieces.append(current)
    return pieces


def wrap(text: str, face, width: float) -> list[str]:
    """Return ``text`` broken into lines no wider than ``width`` (at spaces, inside a word only when it must)."""
    lines: list[str] = []
    current = ""
    for word in clean(text).split(" "):
        if not word:
            continue
        candidate = f"{current} {word}" if current else word
        if _width(candidate, face) <= width:
            current = candidate
            continue
        if current:
            lines.append(current)
        pieces = _break_word(word, face, width) if _width(word, face) > width else [word]
        lines.extend(pieces[:-1])
        current = pieces[-1]
    if current:
        lines.append(current)
    return lines


def ellipsise(line: str, face, width: float) -> str:
    """Return ``line`` cut so that it and a trailing ellipsis fit in ``width``."""
    while line and _width(line.rstrip() + ELLIPSIS, face) > width:
        line = line[:-1]
    return line.rstrip() + ELLIPSIS


@dataclass(frozen=True, slots=True)
class Block:
    """Wrapped text at the size it fits: the font, its pixel size and the lines."""

    face: ImageFont.FreeTypeFont
    size: int
    lines: tuple[str, ...]

    @property
    def line_height(self) -> int:
        return round(self.size * 1.25)

    @property
    def height(self) -> int:
        return self.line_height * len(self.lines)


def fit(text: str, name: str, sizes: range | tuple[int, ...], width: float, max_lines: int) -> Block:
    """Return ``text`` at the largest size in ``sizes`` that fits ``max_lines`` lines of ``width``.

    When even the smallest size needs more lines, the last one kept ends with an ellipsis.
    """
    sizes = sorted(sizes, reverse=True)
    for size in sizes:
        face = font(name, size)
        lines = wrap(text, face, width)
        if len(lines) <= max_lines:
            return Block(face, size, tuple(lines))
    size = sizes[-1]
    face = font(name, size)
    lines = wrap(text, face, width)[:max_lines]
    lines[-1] = ellipsise(lines[-1], face, width)
    return Block(face, size, tuple(lines))


def _draw_block(draw: ImageDraw.ImageDraw, block: Block, x: int, y: int, fill) -> int:
    """Draw the lines of ``block`` from (x, y) down; return the y below the last line."""
    for line in block.lines:
        draw.text((x, y), line, font=block.face, fill=fill)
        y += block.line_height
    return y


def _avatar(draw: ImageDraw.ImageDraw, name: str, x: int, y: int, diameter: int) -> None:
    """The round accent avatar with the owner's initial (as on the landing page)."""
    draw.ellipse((x, y, x + diameter, y + diameter), fill=ACCENT)
    face = font(BOLD, diameter // 2)
    draw.text((x + diameter / 2, y + diameter / 2), initial(name), font=face, fill=WHITE, anchor="mm")


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG", compress_level=6)
    return out.getvalue()


# --- QR codes --------------------------------------------------------------------------------------


@lru_cache(maxsize=1024)
def qr_modules(url: str) -> int:
    """Return the side of ``url``'s QR code in modules, quiet zone included."""
    return qr.make_matrix(url, QR_ECC, QR_BORDER).modules_count + 2 * QR_BORDER


def module_px(url: str, box: int) -> int:
    """Return the whole pixels per QR module when ``url``'s code (quiet zone included) fits in ``box``."""
    return max(1, box // qr_modules(url))


def slide_module_px(url: str) -> int:
    """Pixels per QR module on the 1920x1080 slide (what the link page and the README state)."""
    return module_px(url, SLIDE_QR_BOX)


def background_module_px(url: str) -> int:
    """Pixels per QR module on the 1920x1080 background."""
    return module_px(url, BACKGROUND_QR_BOX)


def qr_image(url: str, box: int) -> Image.Image:
    """Return ``url``'s QR code, quiet zone included, at whole pixels per module, no larger than ``box``."""
    matrix = qr.make_matrix(url, QR_ECC, QR_BORDER).get_matrix()  # the quiet zone is part of the matrix
    side = len(matrix)
    small = Image.new("L", (side, side), 255)
    small.putdata([0 if dark else 255 for row in matrix for dark in row])
    scale = max(1, box // side)
    return small.resize((side * scale, side * scale), Image.Resampling.NEAREST).convert("RGB")


# --- The pictures ----------------------------------------------------------------------------------


def render_card(name: str, headline: str, site: str) -> bytes:
    """Return the 1200x630 PNG a chat or social site shows when the link is pasted (Open Graph image).

    ``headline`` is what the card says under the name (the owner's headline or the link's message);
    ``site`` the host the link lives on.
    """
    width, height = CARD_SIZE
    image = Image.new("RGB", CARD_SIZE, PANEL)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, width, 14), fill=ACCENT)
    margin, avatar = 72, 200
    draw.rounded_rectangle((40, 54, width - 40, height - 110), radius=24, fill=WHITE, outline=LINE, width=2)
    _avatar(draw, name, margin, 54 + (height - 164 - avatar) // 2, avatar)
    text_x = margin + avatar + 56
    text_w = width - 40 - 48 - text_x
    title = fit(name, BOLD, range(72, 39, -4), text_w, 2)
    lead = fit(headline, REGULAR, range(40, 27, -2), text_w, 3) if clean(headline) else None
    block_h = title.height + (24 + lead.height if lead else 0)
    y = 54 + (height - 164 - block_h) // 2
    y = _draw_block(draw, title, text_x, y, FG)
    if lead:
        _draw_block(draw, lead, text_x, y + 24, MUTED)
    brand = font(BOLD, 34)
    draw.ellipse((margin, height - 78, margin + 34, height - 44), fill=ACCENT)
    draw.ellipse((margin + 11, height - 67, margin + 23, height - 55), fill=WHITE)
    draw.text((margin + 50, height - 61), "oneclick", font=brand, fill=FG, anchor="lm")
    footer = fit(f"Connect in one click \u00b7 {site}", REGULAR, (28, 24, 20), width - 2 * margin - 260, 1)
    draw.text((width - margin, height - 61), footer.lines[0], font=footer.face, fill=MUTED, anchor="rm")
    return _png(image)


def render_slide(name: str, headline: str, qr_url: str, short_url: str) -> bytes:
    """Return a 1920x1080 slide: the QR code of ``qr_url`` as large as the height allows, the name and URL beside.

    The code takes ``SLIDE_QR_BOX`` pixels (quiet zone included) on the right; ``slide_module_px`` says how
    large one module comes out.
    """
    width, height = SLIDE_SIZE
    image = Image.new("RGB", SLIDE_SIZE, WHITE)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, 24, height), fill=ACCENT)
    code = qr_image(qr_url, SLIDE_QR_BOX)
    qr_x = width - 60 - code.width
    image.paste(code, (qr_x, (height - code.height) // 2))
    left, text_w = 120, qr_x - 120 - 60
    ask = fit("Scan to connect with", REGULAR, (48,), text_w, 1)
    title = fit(name, BOLD, range(112, 55, -8), text_w, 3)
    lead = fit(headline, REGULAR, range(52, 35, -4), text_w, 3) if clean(headline) else None
    url = fit(display_url(short_url), BOLD, range(48, 27, -2), text_w, 3)
    parts = [ask.height, 16, title.height, (32 + lead.height) if lead else 0, 72, url.height]
    y = (height - sum(parts)) // 2
    y = _draw_block(draw, ask, left, y, MUTED) + 16
    y = _draw_block(draw, title, left, y, FG)
    if lead:
        y = _draw_block(draw, lead, left, y + 32, MUTED)
    y += 72 - 24
    draw.rectangle((left, y, left + 96, y + 8), fill=ACCENT)
    _draw_block(draw, url, left, y + 24, ACCENT)
    return _png(image)


def render_background(name: str, headline: str, qr_url: str, short_url: str) -> bytes:
    """Return a 1920x1080 video-call background with a card in the upper right corner.

    The card (name, headline, the QR code of ``qr_url``, ``short_url`` as text) sits right of and above
    where a centred speaker's head and shoulders are, so the camera picture doesn't cover it. Video apps
    mirror only your own preview: the others see the text the right way round.
    """
    width, height = BACKGROUND_SIZE
    ramp = Image.linear_gradient("L").resize((1, height))  # a calm vertical gradient in the accent colour
    image = ImageOps.colorize(ramp, ACCENT, ACCENT_DARK).resize(BACKGROUND_SIZE, Image.Resampling.NEAREST)
    draw = ImageDraw.Draw(image)
    code = qr_image(qr_url, BACKGROUND_QR_BOX)
    card_w, pad = code.width + 2 * 40, 40
    text_w = card_w - 2 * pad
    title = fit(name, BOLD, range(48, 27, -4), text_w, 2)
    lead = fit(headline, REGULAR, range(30, 21, -2), text_w, 2) if clean(headline) else None
    url = fit(display_url(short_url), BOLD, range(28, 17, -2), text_w, 3)
    card_h = pad + title.height + ((12 + lead.height) if lead else 0) + 24 + code.height + 16 + url.height + pad
    x0, y0 = width - 64 - card_w, 64
    draw.rounded_rectangle((x0, y0, x0 + card_w, y0 + card_h), radius=28, fill=WHITE)
    y = _draw_block(draw, title, x0 + pad, y0 + pad, FG)
    if lead:
        y = _draw_block(draw, lead, x0 + pad, y + 12, MUTED)
    image.paste(code, (x0 + (card_w - code.width) // 2, y + 24))
    _draw_block(draw, url, x0 + pad, y + 24 + code.height + 16, ACCENT)
    return _png(image)


# --- Caching ---------------------------------------------------------------------------------------


def cached(cache: qr.QrCache | None, key: tuple, render: Callable[[], bytes]) -> tuple[qr.Rendered, bool]:
    """Return the PNG cached under ``key`` in the QR cache (rendering and storing it first) and whether it was a hit.

    ``key`` must hold everything the picture shows, so an edited name or a rotated link makes a new one.
    """
    if cache is not None:
        hit = cache.get(key)
        if hit is not None:
            return hit, True
    body = render()
    item = qr.Rendered(body, hashlib.sha256(body).hexdigest()[:32], "image/png")
    if cache is not None:
        cache.put(key, item)
    return item, False

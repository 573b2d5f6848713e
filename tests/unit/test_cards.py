"""The share pictures (oneclick.cards): sizes, QR codes that scan (also shrunk), text that never overflows."""

from __future__ import annotations

import io

import pytest
import zxingcpp
from PIL import Image

from oneclick import cards, qr

URL = "https://oneclick.example.com/c/a32ApwSXqgwW~1.9wPyzTBKQd964B1jDHiNaSkAEI4"  # a typical 73-character link
SHORT = "https://oneclick.example.com/@ada"
LONG_NAME = "Zoë Łukasiewicz-Ödönfalvi de la Montaña y Bartholomew-Featherstonehaugh " * 4
CJK_NAME = "李小龍" * 30
LONG_WORD = "x" * 500


def image_of(png: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    return image


def decode(image: Image.Image) -> list[str]:
    return [r.text for r in zxingcpp.read_barcodes(image)]


def test_the_shipped_fonts_are_found():
    # A missing file would fall back to Pillow's font, which has no accents: the card would show boxes.
    assert (cards.FONT_DIR / cards.REGULAR).is_file() and (cards.FONT_DIR / cards.BOLD).is_file()
    assert cards.font(cards.BOLD, 40).getname() == ("DejaVu Sans", "Bold")


def test_card_is_1200_by_630():
    image = image_of(cards.render_card("Ada Lovelace", "Analyst of engines", "oneclick.example.com"))
    assert image.size == (1200, 630) and image.mode == "RGB"
    assert image.getpixel((600, 5)) == cards.ACCENT  # the product's accent band along the top


@pytest.mark.parametrize("name,headline", [
    ("Ada Lovelace", ""),
    ("Zoë Ødegård-Müller", "Ingeniería · Straße · Ελληνικά · Русский"),
    ("李小龍", "武術家 · 俳優"),
    (LONG_NAME, CJK_NAME),
    (LONG_WORD, LONG_WORD),
    ("\u200b", "tab\tand\nline\r\nbreaks\x00"),
])
def test_any_text_renders_every_picture(name, headline):
    assert image_of(cards.render_card(name, headline, "oneclick.example.com")).size == (1200, 630)
    assert image_of(cards.render_slide(name, headline, URL, URL)).size == (1920, 1080)
    assert image_of(cards.render_background(name, headline, URL, SHORT)).size == (1920, 1080)


@pytest.mark.parametrize("text", [LONG_NAME, CJK_NAME, LONG_WORD, URL, "short"])
def test_fitted_text_stays_inside_its_width_and_line_budget(text):
    block = cards.fit(text, cards.BOLD, range(72, 39, -4), 700, 2)
    assert 1 <= len(block.lines) <= 2
    for line in block.lines:
        assert block.face.getlength(line) <= 700
    if text == "short":
        assert block.lines == ("short",) and block.size == 72
    else:
        assert block.size == 40 or text == URL
    if text in (LONG_NAME, CJK_NAME, LONG_WORD):
        assert block.lines[-1].endswith(cards.ELLIPSIS)


def test_wrap_breaks_at_spaces_and_inside_words_only_when_it_must():
    face = cards.font(cards.REGULAR, 30)
    assert cards.wrap("one two three", face, 10_000) == ["one two three"]
    width = max(face.getlength("alpha beta"), face.getlength("gamma delta")) + 1
    lines = cards.wrap("alpha beta gamma delta", face, width)
    assert lines == ["alpha beta", "gamma delta"]
    pieces = cards.wrap(LONG_WORD, face, 200)
    assert "".join(pieces) == LONG_WORD and all(face.getlength(p) <= 200 for p in pieces)


def test_clean_drops_controls_and_collapses_whitespace():
    assert cards.clean(" a\tb\n\nc\x00d\u200be ") == "a b cde"
    assert cards.clean(None) == ""
    assert cards.initial("  élodie") == "É" and cards.initial("") == "?"


def test_slide_module_size_at_1080p():
    # The README's number: a 73-character link is version 5 (37 modules) + 2 x 4 quiet zone = 45 modules,
    # 960 // 45 = 21 pixels per module, 945 pixels across (88 % of the slide's height).
    assert qr.qr_version(URL) == 5
    assert cards.qr_modules(URL) == 45
    assert cards.slide_module_px(URL) == 21
    assert cards.background_module_px(URL) == 8
    assert cards.slide_module_px(SHORT) == 960 // (qr.make_matrix(SHORT).modules_count + 8)


def test_slide_qr_scans_full_size_and_from_the_back_of_the_room():
    image = image_of(cards.render_slide("Ada Lovelace", "Analyst of engines", URL, URL))
    assert decode(image) == [URL]
    # 640x360: a third of 1080p, about what a phone camera resolves of a projected slide from the back row.
    small = image.resize((640, 360), Image.Resampling.LANCZOS)
    assert decode(small) == [URL]
    # The module size measured on the scan matches the stated one: the code is 37 modules wide without its margin.
    position = zxingcpp.read_barcodes(image)[0].position
    measured = (position.top_right.x - position.top_left.x) / (cards.qr_modules(URL) - 2 * cards.QR_BORDER)
    assert round(measured) == cards.slide_module_px(URL) == 21


def test_background_qr_scans_and_sits_in_the_upper_right():
    image = image_of(cards.render_background("Ada Lovelace", "Analyst of engines", URL, SHORT))
    results = zxingcpp.read_barcodes(image)
    assert [r.text for r in results] == [URL]
    position = results[0].position
    assert position.top_left.x > 1920 * 2 / 3 and position.bottom_left.y < 1080 * 2 / 3
    assert decode(image.resize((640, 360), Image.Resampling.LANCZOS)) == [URL]


def test_cached_renders_once_and_tags_the_bytes():
    cache = qr.QrCache(1024 * 1024)
    calls = []

    def render():
        calls.append(1)
        return cards.render_card("Ada", "", "oneclick.example.com")

    first, hit = cards.cached(cache, ("card", "Ada"), render)
    again, hit_again = cards.cached(cache, ("card", "Ada"), render)
    assert (hit, hit_again, len(calls)) == (False, True, 1)
    assert again is first and first.mimetype == "image/png" and len(first.etag) == 32

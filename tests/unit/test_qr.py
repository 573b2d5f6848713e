"""QR rendering: the PNG decodes to the exact URL, options are bounded, the cache is an LRU by bytes."""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET

import pytest
import zxingcpp
from PIL import Image
from werkzeug.datastructures import MultiDict

from oneclick import qr

URL = "https://oneclick.example.com/c/a32ApwSXqgwW~1.9wPyzTBKQd964B1jDHiNaSkAEI4"


def decode(png: bytes) -> list[str]:
    return [r.text for r in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))]


@pytest.mark.parametrize("ecc", ["L", "M", "Q", "H"])
@pytest.mark.parametrize("size,border", [(128, 0), (128, 4), (512, 4), (2048, 16)])
def test_png_decodes_to_the_exact_url(ecc, size, border):
    png = qr.render_png(URL, qr.QrOptions(size=size, ecc=ecc, border=border))
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    assert image.size == (size, size)
    assert decode(png) == [URL]


def test_svg_is_a_sized_document_with_one_path():
    svg = qr.render_svg(URL, qr.QrOptions(size=300, ecc="Q", border=2))
    root = ET.fromstring(svg)  # noqa: S314 - our own output
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root.get("width") == "300" and root.get("height") == "300"
    modules = qr.make_matrix(URL, "Q", 2).modules_count + 4
    assert root.get("viewBox") == f"0 0 {modules} {modules}"
    paths = root.findall("{http://www.w3.org/2000/svg}path")
    assert len(paths) == 1


def test_svg_draws_exactly_the_dark_modules():
    # Rasterise the SVG path by hand (one "Mx,y...z" square per dark module) and compare with the matrix.
    matrix = qr.make_matrix(URL, "M", 2).get_matrix()  # includes the 2-module quiet zone
    root = ET.fromstring(qr.render_svg(URL, qr.QrOptions(size=128, ecc="M", border=2)))  # noqa: S314
    d = root.find("{http://www.w3.org/2000/svg}path").get("d")
    squares = {tuple(int(float(v)) for v in m.split(",")) for m in re.findall(r"M([\d.]+,[\d.]+)", d)}
    dark = {(x, y) for y, row in enumerate(matrix) for x, cell in enumerate(row) if cell}
    assert squares == dark


def test_typical_url_needs_a_small_version():
    assert qr.qr_version(URL, "L") <= 4
    assert qr.qr_version(URL, "M") <= 5
    assert qr.qr_version(URL, "H") <= 8


@pytest.mark.parametrize(
    "args,expected",
    [
        ({}, qr.QrOptions(512, "M", 4)),
        ({"size": "128", "ecc": "l", "border": "0"}, qr.QrOptions(128, "L", 0)),
        ({"size": "2048", "ecc": "H", "border": "16"}, qr.QrOptions(2048, "H", 16)),
        ({"size": "", "ecc": "", "border": ""}, qr.QrOptions()),
    ],
)
def test_options_within_bounds(args, expected):
    assert qr.parse_options(MultiDict(args)) == expected


@pytest.mark.parametrize(
    "args",
    [
        {"size": "127"},
        {"size": "2049"},
        {"size": "0"},
        {"size": "-5"},
        {"size": "12.5"},
        {"size": "abc"},
        {"size": "1" * 50},
        {"size": "５１２"},  # full-width digits are not ASCII digits
        {"ecc": "X"},
        {"ecc": "MM"},
        {"border": "17"},
        {"border": "-1"},
    ],
)
def test_options_out_of_bounds_are_refused_with_the_rule(args):
    with pytest.raises(qr.QrOptionError) as exc:
        qr.parse_options(MultiDict(args))
    assert any(word in str(exc.value) for word in ("from", "one of"))


def test_cache_hits_and_evicts_least_recently_used_by_bytes():
    options = qr.QrOptions(size=128)
    first, cached = qr.render(URL, "png", options, None)
    assert not cached
    cache = qr.QrCache(max_bytes=len(first.body) * 2 + 10)
    a, hit = qr.render(URL, "png", options, cache)
    assert not hit
    again, hit = qr.render(URL, "png", options, cache)
    assert hit and again is a
    b, _ = qr.render(URL + "b", "png", options, cache)
    qr.render(URL, "png", options, cache)  # touch a: b is now the oldest
    qr.render(URL + "c", "png", options, cache)  # over budget: b goes
    assert cache.get((URL, "png", options)) is not None
    assert cache.get((URL + "b", "png", options)) is None
    assert len(cache) == 2


def test_etag_is_a_hash_of_the_bytes():
    one, _ = qr.render(URL, "png", qr.QrOptions(size=256), None)
    two, _ = qr.render(URL, "png", qr.QrOptions(size=256), None)
    other, _ = qr.render(URL, "png", qr.QrOptions(size=257), None)
    assert one.etag == two.etag and one.body == two.body
    assert other.etag != one.etag

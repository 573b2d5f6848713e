"""QR codes for links: bounded options, SVG (one path) and PNG (PIL), and an in-process LRU cache of bytes.

There is deliberately no way to encode arbitrary data: callers pass the URL of a link they resolved.
"""

from __future__ import annotations

import hashlib
import io
import threading
from dataclasses import dataclass

import qrcode
from cachetools import Cache, LRUCache
from PIL import Image
from qrcode.image.pil import PilImage
from qrcode.image.svg import SvgPathFillImage

SIZE_MIN, SIZE_MAX, SIZE_DEFAULT = 128, 2048, 512
BORDER_MIN, BORDER_MAX, BORDER_DEFAULT = 0, 16, 4
ECC_LEVELS = {
    "L": qrcode.constants.ERROR_CORRECT_L,
    "M": qrcode.constants.ERROR_CORRECT_M,
    "Q": qrcode.constants.ERROR_CORRECT_Q,
    "H": qrcode.constants.ERROR_CORRECT_H,
}
ECC_DEFAULT = "M"
FORMATS = {"svg": "image/svg+xml", "png": "image/png"}


class QrOptionError(ValueError):
    """A QR option is out of bounds or malformed; the message says what is allowed."""


@dataclass(frozen=True, slots=True)
class QrOptions:
    """Rendering options, already validated: pixel size, error correction level and quiet zone in modules."""

    size: int = SIZE_DEFAULT
    ecc: str = ECC_DEFAULT
    border: int = BORDER_DEFAULT


def _bounded_int(raw: str | None, name: str, low: int, high: int, default: int) -> int:
    if raw is None or raw == "":
        return default
    if len(raw) > 6 or not raw.isascii() or not raw.isdigit():
        raise QrOptionError(f"{name} must be a whole number from {low} to {high}.")
    value = int(raw)
    if not low <= value <= high:
        raise QrOptionError(f"{name} must be a whole number from {low} to {high}.")
    return value


def parse_options(args) -> QrOptions:
    """Return validated options from query arguments (``size``, ``ecc``, ``border``), or raise QrOptionError."""
    size = _bounded_int(args.get("size"), "size", SIZE_MIN, SIZE_MAX, SIZE_DEFAULT)
    border = _bounded_int(args.get("border"), "border", BORDER_MIN, BORDER_MAX, BORDER_DEFAULT)
    ecc = (args.get("ecc") or ECC_DEFAULT).strip().upper()
    if ecc not in ECC_LEVELS:
        raise QrOptionError("ecc must be one of L, M, Q or H.")
    return QrOptions(size=size, ecc=ecc, border=border)


def make_matrix(data: str, ecc: str = ECC_DEFAULT, border: int = BORDER_DEFAULT) -> qrcode.QRCode:
    """Return a fitted QRCode (smallest version that holds ``data``) for ``data``."""
    qr = qrcode.QRCode(version=None, error_correction=ECC_LEVELS[ecc], box_size=10, border=border)
    qr.add_data(data, optimize=0)
    qr.make(fit=True)
    return qr


def qr_version(data: str, ecc: str = ECC_DEFAULT) -> int:
    """Return the QR version (1-40) needed to hold ``data`` at error correction ``ecc``."""
    return make_matrix(data, ecc).version


class _SizedSvg(SvgPathFillImage):
    """The path SVG with its display size in pixels (the viewBox keeps the modules crisp at any scale)."""

    def _svg(self, display_size: int | None = None, **kwargs):
        svg = super()._svg(**kwargs)
        if display_size:
            svg.set("width", str(display_size))
            svg.set("height", str(display_size))
        svg.set("shape-rendering", "crispEdges")
        return svg


def render_svg(data: str, options: QrOptions) -> bytes:
    """Return a standalone SVG document of the QR code for ``data``."""
    qr = make_matrix(data, options.ecc, options.border)
    image = qr.make_image(image_factory=_SizedSvg, display_size=options.size)
    out = io.BytesIO()
    image.save(out)
    return out.getvalue()


def render_png(data: str, options: QrOptions) -> bytes:
    """Return a ``size``x``size`` PNG of the QR code for ``data`` with whole-pixel modules, centred."""
    qr = make_matrix(data, options.ecc, options.border)
    total = qr.modules_count + 2 * options.border
    qr.box_size = max(1, options.size // total)
    drawn = qr.make_image(image_factory=PilImage).get_image().convert("1")
    side = max(options.size, drawn.size[0])
    canvas = Image.new("1", (side, side), 1)
    offset = (side - drawn.size[0]) // 2
    canvas.paste(drawn, (offset, offset))
    out = io.BytesIO()
    canvas.save(out, format="PNG", optimize=True)
    return out.getvalue()


RENDERERS = {"svg": render_svg, "png": render_png}


@dataclass(frozen=True, slots=True)
class Rendered:
    """Rendered bytes with their strong ETag (a hash of the bytes)."""

    body: bytes
    etag: str
    mimetype: str


class QrCache:
    """A thread-safe LRU of rendered QR codes bounded by total bytes, so a hot code costs a dict lookup."""

    def __init__(self, max_bytes: int = 16 * 1024 * 1024):
        self.max_bytes = max_bytes
        self._items: LRUCache = LRUCache(max_bytes, getsizeof=_size)
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key: tuple) -> Rendered | None:
        """Return the cached rendering for ``key`` (and mark it recently used), or None."""
        with self._lock:
            item = self._items.get(key)
            if item is None:
                self.misses += 1
            else:
                self.hits += 1
            return item

    def peek(self, key: tuple) -> Rendered | None:
        """Return the cached rendering for ``key`` without counting a hit or a miss."""
        with self._lock:
            try:
                return Cache.__getitem__(self._items, key)  # the plain lookup, without LRUCache's reordering
            except KeyError:
                return None

    def count_hit(self) -> None:
        """Count a hit served from a ``peek`` (the WSGI fast path)."""
        with self._lock:
            self.hits += 1

    def put(self, key: tuple, item: Rendered) -> None:
        """Store a rendering, evicting the least recently used ones beyond the byte budget."""
        if _size(item) > self.max_bytes:
            return
        with self._lock:
            self._items[key] = item


def _size(item: Rendered) -> int:
    return len(item.body)


def render(data: str, fmt: str, options: QrOptions, cache: QrCache | None = None,
           key: tuple | None = None) -> tuple[Rendered, bool]:
    """Return the rendering of ``data`` as ``fmt`` ("svg" or "png") and whether it came from ``cache``.

    ``key`` names the rendering in the cache (default: data, format and options).
    """
    key = key or (data, fmt, options)
    if cache is not None:
        hit = cache.get(key)
        if hit is not None:
            return hit, True
    body = RENDERERS[fmt](data, options)
    item = Rendered(body, hashlib.sha256(body).hexdigest()[:32], FORMATS[fmt])
    if cache is not None:
        cache.put(key, item)
    return item, False

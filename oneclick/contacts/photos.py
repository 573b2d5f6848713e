"""The contact card photo: an upload is opened and checked by Pillow, cropped to a square and re-encoded.

What is stored is always a JPEG this module wrote (``SIZE`` x ``SIZE``, RGB, no metadata): EXIF, ICC profiles,
comments and anything appended to the upload (a zip or HTML after a PNG's end) never survive. Files Pillow can't
read, formats other than JPEG/PNG/GIF/WebP, and decompression bombs (more than ``max_pixels``) are refused.
"""

from __future__ import annotations

import hashlib
import io
import warnings

from PIL import Image, ImageOps, UnidentifiedImageError

SIZE = 512
FORMATS = ("JPEG", "PNG", "GIF", "WEBP")


class PhotoError(ValueError):
    """An upload that is not a photo we take; ``str(error)`` is the message for the member."""


def process(data: bytes, max_pixels: int, size: int = SIZE) -> bytes:
    """Return the upload as a ``size`` px square JPEG, or raise PhotoError."""
    if not data:
        raise PhotoError("Choose a photo to upload.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=FORMATS) as probe:
                if probe.width * probe.height > max_pixels:
                    raise PhotoError("That picture has too many pixels. Use a photo under "
                                     f"{max_pixels // 1_000_000} megapixels.")
                probe.verify()
            with Image.open(io.BytesIO(data), formats=FORMATS) as image:
                image.seek(0)
                if image.format == "JPEG":  # decode at reduced scale (DCT): a 12 MP photo 314 -> 85 ms here
                    image.draft("RGB", (size * 2, size * 2))
                image.load()
                image = ImageOps.exif_transpose(image)
                if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
                    rgba = image.convert("RGBA")
                    flat = Image.new("RGB", rgba.size, "white")
                    flat.paste(rgba, mask=rgba.getchannel("A"))
                    image = flat
                else:
                    image = image.convert("RGB")
                square = ImageOps.fit(image, (size, size), Image.Resampling.LANCZOS)
    except PhotoError:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise PhotoError("That file isn't a photo we can use. Upload a JPEG, PNG, GIF or WebP picture.") from None
    except (OSError, SyntaxError, ValueError, EOFError, TypeError):
        raise PhotoError("That picture is damaged or incomplete. Try another one.") from None
    out = io.BytesIO()
    square.save(out, "JPEG", quality=85, optimize=True)  # no exif=, icc_profile=: nothing carried over
    return out.getvalue()


def etag(jpeg: bytes) -> str:
    """Return the photo's version: the first 16 hex digits of its SHA-256 (its URL and ETag)."""
    return hashlib.sha256(jpeg).hexdigest()[:16]

"""Read QR codes from photos (camera input or uploaded pictures), with zxing-cpp.

Phone photos are big (12 MP, up to ~20 MB) while a label's QR only needs a few
pixels per module, so we first read a greyscale copy whose long side is at most
``WORK_SIDE`` pixels; JPEGs are decoded straight to grey and at reduced size by
the JPEG decoder itself (``Image.draft``), which is what keeps a 12 MP photo
fast. EXIF orientation is honoured (the same table as ``ImageOps.exif_transpose``,
applied to the small grey image). Only when the fast pass finds nothing do we try
zxing's slower options, a second binarizer, then the full resolution.
"""

from __future__ import annotations

import io
import warnings
from typing import Any, Final

import zxingcpp
from PIL import Image, UnidentifiedImageError

from workshop.errors import InvalidInput

MAX_BYTES: Final = 25 * 1024 * 1024
MAX_PIXELS: Final = 100_000_000  # above any phone camera but a 200 MP mode
WORK_SIDE: Final = 1600
_QR: Final = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)

# Formats a phone or a browser hands us (Pillow's JPEG opener also returns the
# "MPO" JPEGs some phones write); refusing the rest keeps odd decoders out.
_FORMATS: Final = ("JPEG", "PNG", "WEBP", "GIF", "BMP")


def _open(data: bytes) -> Image.Image:
    """Open and check the image without decoding its pixels yet."""
    try:
        with warnings.catch_warnings():
            # Our own pixel cap below replaces Pillow's decompression-bomb warning.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=_FORMATS)
    except Image.DecompressionBombError:
        raise InvalidInput("error.scan.too_large", max_mb=MAX_BYTES // 2**20) from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        raise InvalidInput("error.scan.not_an_image") from None
    if image.width * image.height > MAX_PIXELS:
        raise InvalidInput("error.scan.too_large", max_mb=MAX_BYTES // 2**20)
    return image


# EXIF orientation -> the transpose that shows the picture the way the camera was held
# (the table ImageOps.exif_transpose uses).
_ORIENTATION: Final = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


def _load(data: bytes, max_side: int | None) -> tuple[Image.Image, bool]:
    """Decode to upright greyscale, at most `max_side` px long; also say if it was shrunk."""
    image = _open(data)
    full = max(image.size)
    try:
        orientation = image.getexif().get(0x0112, 1)
        if image.format in ("JPEG", "MPO"):
            # libjpeg decodes straight to grey (no colour conversion), and for a big
            # photo at 1/2, 1/4 or 1/8 scale: 5-10x faster than decoding 12 MP and
            # resizing. draft() never goes below the size asked for.
            ratio = min(1.0, max_side / full) if max_side else 1.0
            image.draft("L", (round(image.width * ratio), round(image.height * ratio)))
        if "A" in image.mode or "transparency" in image.info:
            # A transparent background would turn black and hide a black code.
            rgba = image.convert("RGBA")
            image = Image.new("RGBA", rgba.size, "white")
            image.alpha_composite(rgba)
        grey = image if image.mode == "L" else image.convert("L")
        grey.load()
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        # Truncated or corrupt pixel data only shows up when decoding.
        raise InvalidInput("error.scan.not_an_image") from None
    shrunk = max(grey.size) < full
    if max_side is not None and max(grey.size) > max_side:
        grey.thumbnail((max_side, max_side), Image.Resampling.BILINEAR, reducing_gap=2.0)
        shrunk = True
    if orientation in _ORIENTATION:
        grey = grey.transpose(_ORIENTATION[orientation])
    return grey, shrunk


def _read(image: Image.Image, **options: Any) -> list[str]:
    found = zxingcpp.read_barcodes(image, formats=_QR, **options)
    # dict.fromkeys: drop duplicates, keep zxing's order.
    return list(dict.fromkeys(b.text for b in found))


def decode_image(data: bytes) -> list[str]:
    """Return the texts of the QR codes in a JPEG/PNG/WebP photo ([] if none)."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise InvalidInput("error.scan.not_an_image")
    data = bytes(data)
    if len(data) > MAX_BYTES:
        raise InvalidInput(
            "error.scan.too_large", max_mb=MAX_BYTES // 2**20, size_mb=round(len(data) / 2**20, 1)
        )
    if not data:
        raise InvalidInput("error.scan.not_an_image")

    work, shrunk = _load(data, WORK_SIDE)
    # Cheapest first. Our labels are dark on light and fill a good part of the
    # frame, so inverted codes and zxing's own downscaled pyramid are only tried
    # when the plain pass finds nothing (3x faster on a 720p photo).
    texts = _read(work, try_invert=False, try_downscale=False)
    if not texts:
        texts = _read(work)
    if not texts:
        # A global threshold reads some evenly lit, low-contrast codes that the
        # local one misses (2 of the 66 reference photos).
        texts = _read(work, binarizer=zxingcpp.Binarizer.GlobalHistogram)
    if not texts and shrunk:
        # A small QR far from the camera may need every pixel.
        full, _ = _load(data, None)
        texts = _read(full)
    return texts

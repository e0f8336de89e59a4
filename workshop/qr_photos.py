"""Read QR codes from photos (camera input or uploaded pictures), with zxing-cpp.

Every uploaded picture, here and for builds' photos, is opened by `open_picture`:
JPEG, PNG or WebP only, and at most MAX_PIXELS, checked on the header before any
pixel is decoded (a small PNG can hold a picture of gigabytes).

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
# 40 MP: more than three times a phone's usual 12 MP photo, and a 40 MP PNG still
# decodes in 160 MB. A phone's 48 or 50 MP mode is refused with a word to use the
# normal one.
MAX_PIXELS: Final = 40_000_000
WORK_SIDE: Final = 1600
_QR: Final = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)

# What a phone or a browser hands us (Pillow's JPEG opener also returns the "MPO"
# JPEGs some phones write); Pillow tries no other decoder on an upload.
FORMATS: Final = ("JPEG", "PNG", "WEBP")
# Other pictures people send, known by their first bytes, to say what was sent. HEIC
# (iPhones) is not read: iOS sends JPEG when a photo is uploaded from the browser,
# and its decoders (libheif, libde265) are more native code facing the Internet.
_HEIC_BRANDS: Final = (b"heic", b"heix", b"hevc", b"heim", b"heis", b"mif1", b"msf1")
_OTHER_FORMATS: Final = (
    (b"GIF8", "GIF"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
)


def open_picture(data: bytes, unreadable: str) -> Image.Image:
    """An uploaded picture, opened but not decoded yet: JPEG, PNG or WebP, MAX_PIXELS at most.

    InvalidInput `unreadable` for what is no picture at all.
    """
    if data[4:8] == b"ftyp" and data[8:12] in _HEIC_BRANDS:
        raise InvalidInput("error.picture.heic")
    for start, name in _OTHER_FORMATS:
        if data.startswith(start):
            raise InvalidInput("error.picture.other_format", format=name)
    too_big = InvalidInput("error.picture.too_many_pixels", max_mp=MAX_PIXELS // 1_000_000)
    try:
        with warnings.catch_warnings():
            # Our own pixel cap below replaces Pillow's decompression-bomb warning.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=FORMATS)
    except Image.DecompressionBombError:  # Pillow's own cap, far above ours
        raise too_big from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        raise InvalidInput(unreadable) from None
    if image.width * image.height > MAX_PIXELS:
        raise too_big
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
    image = open_picture(data, "error.scan.not_an_image")
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
            # Laid on white: a transparent background would turn black and hide a black
            # code. In grey rather than RGBA: a quarter of the memory for a big picture
            # (each rebinding of `image` frees the pixels before it).
            image = image if image.mode == "RGBA" else image.convert("RGBA")
            alpha = image.getchannel("A")
            image = image.convert("L")
            image = Image.composite(image, Image.new("L", image.size, 255), alpha)
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

"""Drawing 1-bit pages: millimetres and points to pixels, the shipped fonts, wrapping text,
and the PDF writer.

Label sheets and badge cards are drawn as 1-bit images at 300 dpi
with Pillow. Each page is compressed with CCITT group 4 (Pillow's TIFF encoder, through
libtiff, which Pillow's wheels include) and written straight into a small PDF: that is
what Pillow's own PDF writer does for mode "1", but Pillow needs every page image in
memory at once (8.7 MB per A4 page) and stamps the current time in the file; writing the
PDF here keeps one page in memory and gives the same bytes for the same pages.

Fonts: DejaVu Sans and DejaVu Sans Bold, shipped in ``assets/fonts/`` with their
licence, so the output never depends on the fonts of the machine.
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterable
from functools import lru_cache
from typing import Final

from PIL import Image, ImageFont, TiffImagePlugin

from workshop import config

DPI: Final = 300
MM_PER_INCH: Final = 25.4
POINTS_PER_INCH: Final = 72
A4_MM: Final = (210.0, 297.0)  # width, height

FONT_DIR: Final = config.PROJECT_ROOT / "assets" / "fonts"
FONT_REGULAR: Final = FONT_DIR / "DejaVuSans.ttf"
FONT_BOLD: Final = FONT_DIR / "DejaVuSans-Bold.ttf"


def px(mm: float) -> int:
    """Millimetres as a whole number of 300 dpi pixels (nearest: within 0.05 mm)."""
    return round(mm * DPI / MM_PER_INCH)


def pt(points: float) -> int:
    """A type size or spacing in points as 300 dpi pixels, at least 1."""
    return max(1, round(points / POINTS_PER_INCH * DPI))


def blank(w_mm: float, h_mm: float) -> Image.Image:
    """A white 1-bit page (or label) of this size in millimetres, at 300 dpi."""
    return Image.new("1", (px(w_mm), px(h_mm)), 1)


@lru_cache(maxsize=128)
def font(bold: bool, size_px: int) -> ImageFont.FreeTypeFont:
    """DejaVu Sans (or Sans Bold) from ``assets/fonts/``, `size_px` pixels high."""
    return ImageFont.truetype(str(FONT_BOLD if bold else FONT_REGULAR), size_px)


def wrap(text: str, font: ImageFont.FreeTypeFont, width: int) -> list[str]:
    """Greedy word wrap of `text` to lines at most `width` pixels wide in `font`.

    A word longer than a line is cut across lines; only a single character wider
    than `width` can overflow.
    """
    lines: list[str] = []
    line = ""
    for word in text.split():
        candidate = f"{line} {word}" if line else word
        if font.getlength(candidate) <= width:
            line = candidate
            continue
        if line:
            lines.append(line)
        while len(word) > 1 and font.getlength(word) > width:
            cut = len(word) - 1
            while cut > 1 and font.getlength(word[:cut]) > width:
                cut -= 1
            lines.append(word[:cut])
            word = word[cut:]
        line = word
    if line:
        lines.append(line)
    return lines


def _g4(page: Image.Image) -> bytes:
    """The page's pixels as one CCITT group 4 stream, taken from Pillow's single-strip TIFF."""
    buf = io.BytesIO()
    page.save(buf, "TIFF", compression="group4", strip_size=math.ceil(page.width / 8) * page.height)
    buf.seek(0)
    with TiffImagePlugin.TiffImageFile(buf) as tiff:
        offsets = tiff.tag_v2[273]  # StripOffsets
        counts = tiff.tag_v2[279]  # StripByteCounts
    data = buf.getvalue()
    return b"".join(data[o : o + c] for o, c in zip(offsets, counts, strict=True))


def pdf(pages: Iterable[Image.Image], n_pages: int, page_w_mm: float, page_h_mm: float) -> bytes:
    """A minimal PDF with one full-page 1-bit image per page (G4-compressed).

    `pages` is read one page at a time, so it can be a generator that draws each page
    only when asked; `n_pages` must be its length, as the page tree comes first.
    """
    w_pt = page_w_mm / MM_PER_INCH * POINTS_PER_INCH
    h_pt = page_h_mm / MM_PER_INCH * POINTS_PER_INCH
    out = io.BytesIO()
    offsets: list[int] = []

    def obj(body: bytes, stream: bytes | None = None) -> None:
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % len(offsets))
        if stream is None:
            out.write(body + b"\nendobj\n")
        else:
            out.write(body[:-2] + b" /Length %d >>\nstream\n" % len(stream))
            out.write(stream + b"\nendstream\nendobj\n")

    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    # Objects: 1 catalog, 2 page tree, then per page: page, contents, image.
    kids = b" ".join(b"%d 0 R" % (3 + 3 * i) for i in range(n_pages))
    obj(b"<< /Type /Catalog /Pages 2 0 R >>")
    obj(b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, n_pages))
    count = 0
    for page in pages:
        page_obj = 3 + 3 * count
        obj(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %.3f %.3f] "
            b"/Resources << /ProcSet [/PDF /ImageB] /XObject << /Im0 %d 0 R >> >> "
            b"/Contents %d 0 R >>" % (w_pt, h_pt, page_obj + 2, page_obj + 1)
        )
        obj(b"<< >>", b"q %.3f 0 0 %.3f 0 0 cm /Im0 Do Q" % (w_pt, h_pt))
        # BlackIs1: libtiff codes Pillow's 1-bits (white) as fax "black" runs.
        obj(
            b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray "
            b"/BitsPerComponent 1 /Filter /CCITTFaxDecode /DecodeParms "
            b"<< /K -1 /Columns %d /Rows %d /BlackIs1 true >> >>"
            % (page.width, page.height, page.width, page.height),
            _g4(page),
        )
        count += 1
    if count != n_pages:
        raise AssertionError("page count changed while writing")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(offsets) + 1))
    out.write(b"".join(b"%010d 00000 n \n" % off for off in offsets))
    out.write(
        b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(offsets) + 1, xref)
    )
    return out.getvalue()

"""Label sheets (PDF) and thermal labels (PNG) for tag codes (DESIGN §4).

Every label carries the QR of the code's URL (error correction Q, 4-module quiet
zone), the printed code in large type, one context line and the workshop name.

Pages are 1-bit images at 300 dpi, written as PDF by `workshop.drawing` (CCITT G4, one
page in memory at a time, the same bytes for the same labels): an A4 sheet of 24 labels
weighs about 40 kB.

Geometry comes from ``workshop/data/label-templates.csv`` (millimetres; ``pitch``
is the distance from one label's left/top edge to the next); every edge is
rounded to the nearest 300 dpi pixel, i.e. placed within 0.05 mm.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, fields
from functools import lru_cache
from pathlib import Path
from typing import Any, Final, cast

import qrcode
import qrcode.constants
import zxingcpp
from PIL import Image, ImageDraw, ImageFont

from workshop import config, drawing
from workshop.codes import ALPHABET, KINDS, format_code, parse, url_for
from workshop.errors import InvalidInput

DEFAULT_TEMPLATE: Final = "a4-3x8-70x37"
THERMAL_TEMPLATE: Final = "dk11209-62x29"

TEMPLATES_CSV: Final = config.PACKAGE_DATA / "label-templates.csv"

# Layout inside a label, in millimetres. Sheet printers shift the page by up to
# about a millimetre, so text stays this far from the label's edges; the QR's
# white quiet zone may come closer, its dark modules are 3 mm further in.
_QR_INSET: Final = 1.0  # label edge to the outside of the QR's quiet zone
_TEXT_INSET: Final = 2.0  # label edges to the text
_GAP: Final = 0.5  # quiet zone to the text (the quiet zone itself stays blank)
_QR_MAX_SHARE: Final = 0.5  # the QR takes at most this share of the label's width
_QUIET_ZONE: Final = 4  # modules, as the QR standard requires

# Type sizes in points (largest tried first, shrunk to fit, never below the second).
_CODE_PT: Final = (20.0, 8.0)
_CONTEXT_PT: Final = (8.0, 5.5)
_NAME_PT: Final = (6.0, 5.0)
_CONTEXT_LINES: Final = 3
_NAME_LINES: Final = 2

_PREVIEW_WIDTH: Final = 800
_MAX_LABELS: Final = 5000  # 200+ pages: more is a mistake, not a print run


@dataclass(frozen=True)
class Label:
    """One label: a tag code in stored form and the context line printed under it."""

    code: str
    context: str = ""


@dataclass(frozen=True)
class Template:
    """Geometry of a label sheet or roll label, in millimetres."""

    id: str
    description: str
    page_w: float
    page_h: float
    cols: int
    rows: int
    label_w: float
    label_h: float
    margin_left: float
    margin_top: float
    pitch_x: float
    pitch_y: float

    @property
    def per_page(self) -> int:
        """Number of labels on one page."""
        return self.cols * self.rows

    def position_mm(self, index: int) -> tuple[float, float]:
        """Top-left corner (x, y) in mm of the label at this position on a page (row by row)."""
        row, col = divmod(index, self.cols)
        return self.margin_left + col * self.pitch_x, self.margin_top + row * self.pitch_y


@lru_cache(maxsize=1)
def _load_templates() -> dict[str, Template]:
    types = {f.name: f.type for f in fields(Template)}
    result = {}
    with TEMPLATES_CSV.open(newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            # Field types are strings under `from __future__ import annotations`.
            convert = {"str": str, "int": int, "float": float}
            values = {name: convert[str(kind)](row[name]) for name, kind in types.items()}
            template = Template(**values)
            result[template.id] = template
    return result


def templates() -> dict[str, Template]:
    """Return the label templates by id, as listed in label-templates.csv."""
    return dict(_load_templates())


def _template(template_id: str) -> Template:
    try:
        return _load_templates()[template_id]
    except KeyError:
        raise InvalidInput(
            "error.labels.unknown_template",
            template=str(template_id),
            choices=", ".join(_load_templates()),
        ) from None


def _as_label(item: Label | str) -> Label:
    label = item if isinstance(item, Label) else Label(code=item)
    format_code(label.code)  # raises InvalidCode unless it is a code in stored form
    return label


# --- QR ----------------------------------------------------------------------------


def _qr_modules(data: str) -> Image.Image:
    """The QR of `data` (EC level Q, smallest version), 1 px per module, quiet zone included."""
    if hasattr(zxingcpp, "create_barcode"):
        # zxing-cpp's encoder (C++) is ~70x faster than qrcode's pure-Python mask
        # search (0.4 ms vs 31 ms a code): 240 labels in ~1 s instead of ~8 s.
        barcode = zxingcpp.create_barcode(data, zxingcpp.BarcodeFormat.QRCode, ec_level="Q")
        view = memoryview(cast(Any, barcode.to_image(scale=1, add_quiet_zones=True)))
        height, width = view.shape or (0, 0)
        return Image.frombytes("L", (width, height), view.tobytes())
    # zxing-cpp < 2.3 has no encoder.
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_Q, border=_QUIET_ZONE)
    qr.add_data(data)
    qr.make(fit=True)
    matrix = qr.get_matrix()
    raw = bytes(0 if dark else 255 for row in matrix for dark in row)
    return Image.frombytes("L", (len(matrix), len(matrix)), raw)


def _qr(data: str, size_px: int) -> Image.Image:
    """The 1-bit QR of `data`, as many whole pixels a module as fit in `size_px` (at least 1)."""
    modules = _qr_modules(data).convert("1", dither=Image.Dither.NONE)
    module_px = max(1, size_px // modules.width)
    # Nearest-neighbour upscale keeps modules exactly square and sharp.
    return modules.resize((modules.width * module_px,) * 2, Image.Resampling.NEAREST)


# --- text --------------------------------------------------------------------------


def _fit_lines(
    text: str, bold: bool, sizes_pt: tuple[float, float], width: int, max_lines: int
) -> tuple[ImageFont.FreeTypeFont, list[str]]:
    """Largest size within `sizes_pt` at which `text` wraps into `max_lines`, else cut with …."""
    big, small = (drawing.pt(points) for points in sizes_pt)
    for size in range(big, small - 1, -1):
        font = drawing.font(bold, size)
        lines = drawing.wrap(text, font, width)
        if len(lines) <= max_lines:
            return font, lines
    font = drawing.font(bold, small)
    lines = drawing.wrap(text, font, width)[:max_lines]
    last = lines[-1]
    while last and font.getlength(last + "…") > width:
        last = last[:-1]
    lines[-1] = last.rstrip() + "…"
    return font, lines


@lru_cache(maxsize=256)
def _text_block(
    text: str, bold: bool, sizes_pt: tuple[float, float], width: int, max_lines: int
) -> Image.Image:
    """Wrapped text as a 1-bit image `width` wide (cached: context lines repeat on a sheet)."""
    font, lines = _fit_lines(text, bold, sizes_pt, width, max_lines)
    ascent, descent = font.getmetrics()
    line_h = round((ascent + descent) * 1.05)
    block = Image.new("1", (width, max(1, line_h * len(lines))), 1)
    draw = ImageDraw.Draw(block)
    for i, line in enumerate(lines):
        draw.text((0, i * line_h), line, font=font, fill=0)
    return block


@lru_cache(maxsize=16)
def _code_font(width: int, max_px: int) -> ImageFont.FreeTypeFont:
    """Largest bold font in which the widest possible printed code fits `width` pixels."""
    probe = drawing.font(True, 100)
    widest_kind = max(KINDS, key=probe.getlength)
    widest = max(ALPHABET, key=probe.getlength)
    worst = f"{widest_kind}-{widest * 5}-{widest}"
    big, small = drawing.pt(_CODE_PT[0]), drawing.pt(_CODE_PT[1])
    for size in range(min(big, max_px), small - 1, -1):
        if drawing.font(True, size).getlength(worst) <= width:
            return drawing.font(True, size)
    return drawing.font(True, small)


# --- one label ---------------------------------------------------------------------


def draw_label(canvas: Image.Image, x: int, y: int, label: Label, w_mm: float, h_mm: float) -> None:
    """Draw one label with its top-left corner at pixel (x, y) of a 1-bit canvas."""
    w, h = drawing.px(w_mm), drawing.px(h_mm)
    qr_limit = min(h - 2 * drawing.px(_QR_INSET), drawing.px(w_mm * _QR_MAX_SHARE))
    qr = _qr(url_for(label.code), qr_limit)
    qr_x = x + drawing.px(_QR_INSET)
    canvas.paste(qr, (qr_x, y + (h - qr.height) // 2))

    # Text starts after the QR as drawn (quiet zone included), never inside it.
    text_x = qr_x + qr.width + drawing.px(_GAP)
    # At least 1 px, so a template with very narrow labels degrades (cut text) instead of failing.
    text_w = max(1, x + w - drawing.px(_TEXT_INSET) - text_x)
    top, bottom = y + drawing.px(_TEXT_INSET), y + h - drawing.px(_TEXT_INSET)

    code_font = _code_font(text_w, h // 5)
    draw = ImageDraw.Draw(canvas)
    draw.text((text_x, top), format_code(label.code), font=code_font, fill=0)
    ascent, descent = code_font.getmetrics()
    cursor = top + ascent + descent + drawing.px(0.8)

    name = _text_block(config.workshop_name(), False, _NAME_PT, text_w, _NAME_LINES)
    name_y = bottom - name.height
    context_text = " ".join(label.context.split())
    if context_text:
        context = _text_block(context_text, False, _CONTEXT_PT, text_w, _CONTEXT_LINES)
        # On a very small label, crop the context rather than overlap the name.
        room = max(0, name_y - drawing.px(0.5) - cursor)
        if room:
            canvas.paste(
                context.crop((0, 0, context.width, min(context.height, room))), (text_x, cursor)
            )
    canvas.paste(name, (text_x, name_y))


# --- pages -------------------------------------------------------------------------


def _check_request(
    labels: Sequence[Label | str], template: str, skip: int
) -> tuple[list[Label], Template]:
    tmpl = _template(template)
    if isinstance(skip, bool) or not isinstance(skip, int) or not 0 <= skip < tmpl.per_page:
        raise InvalidInput("error.labels.bad_skip", skip=skip, max=tmpl.per_page - 1)
    if not labels:
        raise InvalidInput("error.labels.none")
    if len(labels) > _MAX_LABELS:
        raise InvalidInput("error.labels.too_many", count=len(labels), max=_MAX_LABELS)
    return [_as_label(item) for item in labels], tmpl


def _pages(
    labels: list[Label],
    tmpl: Template,
    skip: int,
    progress: Callable[[int, int], None] | None = None,
    max_pages: int | None = None,
) -> Iterator[Image.Image]:
    """Yield the 1-bit page images one at a time (so only one is ever in memory)."""
    n_pages = math.ceil((skip + len(labels)) / tmpl.per_page)
    if max_pages is not None:
        n_pages = min(n_pages, max_pages)
    done = 0
    for page_no in range(n_pages):
        page = drawing.blank(tmpl.page_w, tmpl.page_h)
        first = skip if page_no == 0 else 0
        for position in range(first, tmpl.per_page):
            if done == len(labels):
                break
            x_mm, y_mm = tmpl.position_mm(position)
            draw_label(
                page, drawing.px(x_mm), drawing.px(y_mm), labels[done], tmpl.label_w, tmpl.label_h
            )
            done += 1
            if progress is not None:
                progress(done, len(labels))
        yield page


def render_sheet(
    labels: Sequence[Label | str],
    template: str = DEFAULT_TEMPLATE,
    skip: int = 0,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> bytes:
    """Return a PDF of label sheets, leaving the first `skip` positions of the first page empty."""
    items, tmpl = _check_request(labels, template, skip)
    n_pages = math.ceil((skip + len(items)) / tmpl.per_page)
    return drawing.pdf(_pages(items, tmpl, skip, progress), n_pages, tmpl.page_w, tmpl.page_h)


def render_thermal(label: Label | str) -> bytes:
    """Return one 62 x 29 mm label (Brother QL DK-11209) as a 1-bit 300 dpi PNG."""
    item = _as_label(label)
    tmpl = _template(THERMAL_TEMPLATE)
    image = drawing.blank(tmpl.label_w, tmpl.label_h)
    draw_label(image, 0, 0, item, tmpl.label_w, tmpl.label_h)
    out = io.BytesIO()
    image.save(out, "PNG", dpi=(drawing.DPI, drawing.DPI), optimize=True)
    return out.getvalue()


def render_preview(
    labels: Sequence[Label | str],
    template: str = DEFAULT_TEMPLATE,
    skip: int = 0,
    *,
    width: int = _PREVIEW_WIDTH,
) -> bytes:
    """Return a PNG of the first page, `width` px wide, with label outlines and skips greyed."""
    items, tmpl = _check_request(labels, template, skip)
    page = next(_pages(items[: tmpl.per_page - skip], tmpl, skip, max_pages=1))
    scale = width / page.width
    small = page.convert("L").resize(
        (width, max(1, round(page.height * scale))), Image.Resampling.BOX
    )
    draw = ImageDraw.Draw(small)
    for position in range(tmpl.per_page):
        x_mm, y_mm = tmpl.position_mm(position)
        box = (
            drawing.px(x_mm) * scale,
            drawing.px(y_mm) * scale,
            drawing.px(x_mm + tmpl.label_w) * scale - 1,
            drawing.px(y_mm + tmpl.label_h) * scale - 1,
        )
        # The outlines are only on the preview: real sheets are pre-cut.
        draw.rectangle(box, fill=225 if position < skip else None, outline=170)
    out = io.BytesIO()
    small.save(out, "PNG", optimize=True)
    return out.getvalue()


def write_labels_cli(codes: list[str], template: str, skip: int, out: Path) -> int:
    """Write labels for typed codes to `out` (PDF, or PNG for the thermal template); return 0."""
    parsed = [Label(code=parse(text)) for text in codes]
    if not parsed:
        raise InvalidInput("error.labels.none")
    out = Path(out)
    if out.suffix.lower() == ".png":
        if template != THERMAL_TEMPLATE:
            raise InvalidInput("error.labels.png_needs_thermal", template=THERMAL_TEMPLATE)
        if skip:
            raise InvalidInput("error.labels.bad_skip", skip=skip, max=0)
        # One PNG per label (a roll printer takes one image per label).
        targets = (
            [out]
            if len(parsed) == 1
            else [out.with_name(f"{out.stem}-{i}{out.suffix}") for i in range(1, len(parsed) + 1)]
        )
        files = [
            (target, render_thermal(label)) for target, label in zip(targets, parsed, strict=True)
        ]
    else:
        files = [(out, render_sheet(parsed, template, skip))]
    for target, data in files:
        try:
            target.write_bytes(data)
        except OSError:
            raise InvalidInput("error.labels.cannot_write", path=str(target)) from None
    return 0


# --- trainee badge cards -------------------------------------------------------------

BADGE_W_MM: Final = 85.6  # ID-1, the size of a bank card
BADGE_H_MM: Final = 54.0
_BADGE_COLS, _BADGE_ROWS = 2, 5  # 10 cards on an A4 sheet, cut along the outlines


@dataclass(frozen=True)
class Badge:
    """A trainee's badge card: the badge code (B…), the display name, one context line."""

    code: str
    name: str
    context: str = ""


def _draw_badge(canvas: Image.Image, x: int, y: int, badge: Badge, outline: bool) -> None:
    w, h = drawing.px(BADGE_W_MM), drawing.px(BADGE_H_MM)
    qr = _qr(url_for(badge.code), h - 2 * drawing.px(5))
    qr_x = x + drawing.px(3)
    canvas.paste(qr, (qr_x, y + (h - qr.height) // 2))
    text_x = qr_x + qr.width + drawing.px(_GAP)
    text_w = max(1, x + w - drawing.px(4) - text_x)
    top = y + drawing.px(5)
    name = _text_block(badge.name, True, (18.0, 10.0), text_w, 2)
    canvas.paste(name, (text_x, top))
    cursor = top + name.height + drawing.px(2)
    code_font = _code_font(text_w, h // 7)
    draw = ImageDraw.Draw(canvas)
    draw.text((text_x, cursor), format_code(badge.code), font=code_font, fill=0)
    ascent, descent = code_font.getmetrics()
    cursor += ascent + descent + drawing.px(1)
    if badge.context.strip():
        context = _text_block(" ".join(badge.context.split()), False, _CONTEXT_PT, text_w, 2)
        canvas.paste(context, (text_x, cursor))
    workshop = _text_block(config.workshop_name(), False, _NAME_PT, text_w, _NAME_LINES)
    canvas.paste(workshop, (text_x, y + h - drawing.px(4) - workshop.height))
    if outline:  # where to cut on a sheet
        draw.rectangle((x, y, x + w - 1, y + h - 1), outline=0, width=1)


def _check_badges(badges: Sequence[Badge]) -> list[Badge]:
    if not badges:
        raise InvalidInput("error.labels.none")
    if len(badges) > _MAX_LABELS:
        raise InvalidInput("error.labels.too_many", count=len(badges), max=_MAX_LABELS)
    for badge in badges:
        format_code(badge.code)
    return list(badges)


def render_badge_png(badge: Badge) -> bytes:
    """One badge card, 85.6 x 54 mm at 300 dpi, as a 1-bit PNG."""
    (item,) = _check_badges([badge])
    image = drawing.blank(BADGE_W_MM, BADGE_H_MM)
    _draw_badge(image, 0, 0, item, outline=False)
    out = io.BytesIO()
    image.save(out, "PNG", dpi=(drawing.DPI, drawing.DPI), optimize=True)
    return out.getvalue()


def render_badges_pdf(badges: Sequence[Badge], *, sheet: bool = True) -> bytes:
    """Badge cards as a PDF: A4 sheets of 10 with cut outlines, or one card-sized page each."""
    items = _check_badges(badges)
    if not sheet:
        pages = []
        for badge in items:
            page = drawing.blank(BADGE_W_MM, BADGE_H_MM)
            _draw_badge(page, 0, 0, badge, outline=False)
            pages.append(page)
        return drawing.pdf(pages, len(pages), BADGE_W_MM, BADGE_H_MM)
    per_page = _BADGE_COLS * _BADGE_ROWS
    left = (drawing.A4_MM[0] - _BADGE_COLS * BADGE_W_MM) / 2
    top = (drawing.A4_MM[1] - _BADGE_ROWS * BADGE_H_MM) / 2
    n_pages = math.ceil(len(items) / per_page)

    def sheets() -> Iterator[Image.Image]:
        for page_no in range(n_pages):
            page = drawing.blank(*drawing.A4_MM)
            for i, badge in enumerate(items[page_no * per_page : (page_no + 1) * per_page]):
                row, column = divmod(i, _BADGE_COLS)
                x = drawing.px(left + column * BADGE_W_MM)
                y = drawing.px(top + row * BADGE_H_MM)
                _draw_badge(page, x, y, badge, outline=True)
            yield page

    return drawing.pdf(sheets(), n_pages, *drawing.A4_MM)

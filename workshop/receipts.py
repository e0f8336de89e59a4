"""A market's one-page monthly receipt (PDF): crates, kilos, where the wood went, CO2e, trend.

The page is drawn with Pillow as a 1-bit A4 image at 300 dpi and written by the small
PDF writer of `drawing` (CCITT G4): no PDF library to add, about 60 kB a receipt, the
same bytes for the same figures, and the fonts shipped in `assets/`. Text is not
selectable in the PDF; the figures are also on screen and in the CSV downloads.

`render` draws the page top to bottom, one section after the other; each section
starts at the height the one before reached and leaves the space below itself.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import Any

from PIL import Image, ImageDraw

from workshop import config, dates, drawing, i18n
from workshop.impact import WASTE_HIERARCHY, MarketMonth

MARGIN_MM = 18.0
_LINE_HEIGHT = 1.3  # a line of text, as a multiple of its type size
# Furniture and reuse, the best uses of the wood, get solid bars; the rest is hatched.
_SOLID_OUTCOMES = WASTE_HIERARCHY[:2]

_Box = tuple[int, int, int, int]


@dataclass
class _Page:
    """The receipt being drawn: the 1-bit page, its drawer, its language, the height reached."""

    image: Image.Image
    draw: ImageDraw.ImageDraw
    lang: str
    y: int
    left: int
    right: int

    @classmethod
    def a4(cls, lang: str) -> _Page:
        """A blank A4 page in `lang`, the height at the top margin."""
        image = drawing.blank(*drawing.A4_MM)
        margin = drawing.px(MARGIN_MM)
        return cls(image, ImageDraw.Draw(image), lang, margin, margin, image.width - margin)

    @property
    def width(self) -> int:
        """Pixels between the margins."""
        return self.right - self.left

    def t(self, key: str, **params: Any) -> str:
        """The message `key` in the receipt's language."""
        return i18n.translate(key, self.lang, **params)

    def kg(self, value: float) -> str:
        """Kilos as the receipt's language writes them."""
        return i18n.fmt_kg(value, self.lang)

    def down(self, points: float) -> None:
        """Leave `points` of blank space."""
        self.y += drawing.pt(points)

    def text(self, line: str, size: float, *, bold: bool = False) -> None:
        """Write `line` wrapped between the margins and move below it."""
        font = drawing.font(bold, drawing.pt(size))
        for part in drawing.wrap(line, font, self.width):
            self.draw.text((self.left, self.y), part, font=font, fill=0)
            self.y += round(drawing.pt(size) * _LINE_HEIGHT)

    def title(self, line: str) -> None:
        """A section's title."""
        self.text(line, 13, bold=True)

    def rule(self, thickness: int) -> None:
        """A line across the page, margin to margin, at the height reached."""
        self.draw.line([(self.left, self.y), (self.right, self.y)], fill=0, width=thickness)

    def bar(self, box: _Box, *, solid: bool, hatch_mm: float) -> None:
        """A bar: solid, or outlined and hatched every `hatch_mm` (1-bit pages have no grey)."""
        if solid:
            self.draw.rectangle(box, fill=0)
        else:
            self.draw.rectangle(box, outline=0, width=2)
            _hatch(self.draw, box, drawing.px(hatch_mm))


def _hatch(draw: ImageDraw.ImageDraw, box: _Box, step: int) -> None:
    """Diagonal hatching inside `box`, a line every `step` pixels."""
    x0, y0, x1, y1 = box
    for offset in range(-(y1 - y0), x1 - x0, step):
        a = (x0 + max(offset, 0), y0 + max(-offset, 0))
        length = min(x1 - a[0], y1 - a[1])
        if length > 0:
            draw.line([a, (a[0] + length, a[1] + length)], fill=0, width=2)


def _heading(page: _Page, month: MarketMonth) -> None:
    """The workshop, the market and the month, over a thick rule."""
    page.text(config.workshop_name(), 10)
    page.down(4)
    page.text(page.t("receipt.title", market=month.market), 20, bold=True)
    page.text(i18n.fmt_month(month.month, page.lang).capitalize(), 16)
    page.down(6)
    page.rule(3)
    page.down(10)


def _figures(page: _Page, month: MarketMonth) -> None:
    """Crates, kilos, pickups and CO2e side by side; how the kilos were found; the rank."""
    row = month.row
    figures = [
        (page.t("receipt.crates"), i18n.fmt_number(row.crates, page.lang)),
        (page.t("receipt.kg"), page.kg(row.kg)),
        (page.t("receipt.pickups"), i18n.fmt_number(month.pickups, page.lang)),
        (page.t("receipt.co2e"), page.kg(month.co2e.co2e_kg) + " CO2e"),
    ]
    column_w = page.width // len(figures)
    caption_font = drawing.font(False, drawing.pt(9))
    figure_font = drawing.font(True, drawing.pt(17))
    for i, (caption, figure) in enumerate(figures):
        x = page.left + i * column_w
        page.draw.text((x, page.y), caption, font=caption_font, fill=0)
        page.draw.text((x, page.y + drawing.pt(13)), figure, font=figure_font, fill=0)
    page.down(40)
    detail = page.t(
        "receipt.kg_detail",
        weighed=page.kg(row.weighed_kg),
        estimated=page.kg(row.estimated_kg),
        band=page.kg(row.uncertainty_kg),
    )
    page.text(detail, 9)
    if month.markets:
        page.text(page.t("receipt.rank", rank=month.rank, markets=month.markets), 9)
    page.down(10)


def _outcomes(page: _Page, month: MarketMonth) -> None:
    """Where the wood went: one bar per outcome, best use first, with its kilos and share."""
    page.title(page.t("receipt.outcomes"))
    page.down(4)
    total_kg = sum(month.outcomes.values()) or 1.0
    bar_x = page.left + drawing.px(58)
    bar_max = page.right - drawing.px(40) - bar_x
    font = drawing.font(False, drawing.pt(10))
    shares = month.shares()
    for outcome in WASTE_HIERARCHY:
        kilos = month.outcomes.get(outcome, 0.0)
        page.draw.text((page.left, page.y), page.t(f"outcome.{outcome.value}"), font=font, fill=0)
        bar = round(bar_max * kilos / total_kg)
        box = (bar_x, page.y + drawing.pt(2), bar_x + max(bar, 1), page.y + drawing.pt(11))
        page.bar(box, solid=outcome in _SOLID_OUTCOMES, hatch_mm=1.5)
        share = i18n.fmt_number(shares.get(outcome, 0), page.lang)  # as on the market page
        shown = f"{page.kg(kilos)} · {share} %"
        page.draw.text((bar_x + bar + drawing.px(2), page.y), shown, font=font, fill=0)
        page.down(16)
    page.down(8)


def _co2e(page: _Page, month: MarketMonth) -> None:
    """The CO2e avoided, the wood and the factor it comes from, and the factor's source."""
    co2e = month.co2e
    page.title(page.t("receipt.co2e_title"))
    line = page.t(
        "receipt.co2e_line",
        wood=page.kg(co2e.wood_kg),
        co2e=page.kg(co2e.co2e_kg),
        factor=i18n.fmt_number(co2e.factor * 1000, page.lang, 1),
    )
    page.text(line, 10)
    page.text(page.t("receipt.source", source=co2e.source_in(page.lang)), 8)
    page.down(10)


def _trend(page: _Page, month: MarketMonth) -> None:
    """The kilos of the 12 months up to this one as bars (this month solid), and a note."""
    page.title(page.t("receipt.trend"))
    page.down(4)
    chart_h = drawing.px(55)
    peak_kg = max((kilos for _, kilos in month.trend), default=0.0) or 1.0
    slot = page.width // max(len(month.trend), 1)
    base = page.y + chart_h
    small = drawing.font(False, drawing.pt(7))
    for i, (bar_month, kilos) in enumerate(month.trend):
        x0 = page.left + i * slot + slot // 6
        x1 = page.left + (i + 1) * slot - slot // 6
        top = base - round(chart_h * kilos / peak_kg)
        page.bar((x0, min(top, base - 1), x1, base), solid=bar_month == month.month, hatch_mm=2)
        shown_month = i18n.fmt_month(bar_month, page.lang)
        page.draw.text((x0, base + drawing.pt(3)), shown_month, font=small, fill=0)
        if kilos:
            shown_kg = i18n.fmt_number(kilos, page.lang)
            page.draw.text((x0, top - drawing.pt(9)), shown_kg, font=small, fill=0)
    page.y = base
    page.rule(2)
    page.down(20)
    page.text(page.t("receipt.trend_note"), 8)


def _footer(page: _Page, today: date) -> None:
    """A thin rule above the bottom margin, and the day the receipt was made."""
    page.y = page.image.height - drawing.px(MARGIN_MM) - drawing.pt(30)
    page.rule(1)
    page.down(5)
    page.text(page.t("receipt.footer", date=i18n.fmt_date(today, page.lang)), 8)


def render(month: MarketMonth, lang: str, *, today: date | None = None) -> bytes:
    """The receipt of `month` as a one-page PDF in `lang`."""
    page = _Page.a4(lang)
    _heading(page, month)
    _figures(page, month)
    _outcomes(page, month)
    _co2e(page, month)
    _trend(page, month)
    _footer(page, today or dates.today())
    return drawing.pdf([page.image], 1, *drawing.A4_MM)


def filename(month: MarketMonth, lang: str = "fr") -> str:
    """`recu-marche-davout-2026-03.pdf`-style name (`receipt-…` in English)."""
    plain = unicodedata.normalize("NFKD", month.market).encode("ascii", "ignore").decode()
    slug = "-".join("".join(c if c.isalnum() else " " for c in plain.lower()).split())
    prefix = "receipt" if lang == "en" else "recu"
    return f"{prefix}-{slug or 'marche'}-{month.month:%Y-%m}.pdf"

"""A market's one-page monthly receipt (PDF): crates, kilos, where the wood went, CO2e, trend.

The page is drawn with Pillow as a 1-bit A4 image at 300 dpi and written by the small
PDF writer of `labels` (CCITT G4): no PDF library to add, about 60 kB a receipt, the
same bytes for the same figures, and the fonts shipped in `assets/`. Text is not
selectable in the PDF; the figures are also on screen and in the CSV downloads.
"""

from __future__ import annotations

import unicodedata
from datetime import date

from PIL import Image, ImageDraw

from workshop import config, dates, i18n, labels
from workshop.impact import WASTE_HIERARCHY, MarketMonth

A4_MM = (210.0, 297.0)
MARGIN_MM = 18.0


def _px(mm: float) -> int:
    return round(mm * labels.DPI / labels.MM_PER_INCH)


def _pt(pt: float) -> int:
    return max(1, round(pt / 72 * labels.DPI))


def _hatch(draw: ImageDraw.ImageDraw, box: tuple[int, int, int, int], step: int) -> None:
    """Diagonal hatching inside `box` (1-bit pages have no grey)."""
    x0, y0, x1, y1 = box
    for offset in range(-(y1 - y0), x1 - x0, step):
        a = (x0 + max(offset, 0), y0 + max(-offset, 0))
        length = min(x1 - a[0], y1 - a[1])
        if length > 0:
            draw.line([a, (a[0] + length, a[1] + length)], fill=0, width=2)


def render(month: MarketMonth, lang: str, *, today: date | None = None) -> bytes:
    """The receipt of `month` as a one-page PDF in `lang`."""
    t = lambda key, **p: i18n.translate(key, lang, **p)  # noqa: E731
    kg = lambda v: i18n.fmt_kg(v, lang)  # noqa: E731
    w, h = _px(A4_MM[0]), _px(A4_MM[1])
    page = Image.new("1", (w, h), 1)
    draw = ImageDraw.Draw(page)
    left, right = _px(MARGIN_MM), w - _px(MARGIN_MM)
    width = right - left
    y = _px(MARGIN_MM)

    def text(line: str, size: float, *, bold: bool = False, x: int | None = None) -> None:
        nonlocal y
        font = labels._font(bold, _pt(size))
        for part in labels._wrap(line, font, width - ((x or left) - left)):
            draw.text((x or left, y), part, font=font, fill=0)
            y += round(_pt(size) * 1.3)

    text(config.workshop_name(), 10)
    y += _pt(4)
    text(t("receipt.title", market=month.market), 20, bold=True)
    text(i18n.fmt_month(month.month, lang).capitalize(), 16)
    y += _pt(6)
    draw.line([(left, y), (right, y)], fill=0, width=3)
    y += _pt(10)

    row = month.row
    figures = [
        (t("receipt.crates"), i18n.fmt_number(row.crates, lang)),
        (t("receipt.kg"), kg(row.kg)),
        (t("receipt.pickups"), i18n.fmt_number(month.pickups, lang)),
        (t("receipt.co2e"), kg(month.co2e.co2e_kg) + " CO2e"),
    ]
    col_w = width // len(figures)
    top = y
    for i, (label, shown) in enumerate(figures):
        draw.text((left + i * col_w, top), label, font=labels._font(False, _pt(9)), fill=0)
        draw.text(
            (left + i * col_w, top + _pt(13)), shown, font=labels._font(True, _pt(17)), fill=0
        )
    y = top + _pt(40)
    text(
        t(
            "receipt.kg_detail",
            weighed=kg(row.weighed_kg),
            estimated=kg(row.estimated_kg),
            band=kg(row.uncertainty_kg),
        ),
        9,
    )
    if month.markets:
        text(t("receipt.rank", rank=month.rank, markets=month.markets), 9)
    y += _pt(10)

    text(t("receipt.outcomes"), 13, bold=True)
    y += _pt(4)
    total = sum(month.outcomes.values()) or 1.0
    bar_x = left + _px(58)
    bar_max = right - _px(40) - bar_x
    font = labels._font(False, _pt(10))
    pct = month.shares()
    for outcome in WASTE_HIERARCHY:
        value = month.outcomes.get(outcome, 0.0)
        draw.text((left, y), t(f"outcome.{outcome.value}"), font=font, fill=0)
        bar = round(bar_max * value / total)
        box = (bar_x, y + _pt(2), bar_x + max(bar, 1), y + _pt(11))
        if outcome in (WASTE_HIERARCHY[0], WASTE_HIERARCHY[1]):
            draw.rectangle(box, fill=0)
        else:
            draw.rectangle(box, outline=0, width=2)
            _hatch(draw, box, _px(1.5))
        share = i18n.fmt_number(pct.get(outcome, 0), lang)  # as on the market page
        draw.text((bar_x + bar + _px(2), y), f"{kg(value)} · {share} %", font=font, fill=0)
        y += _pt(16)
    y += _pt(8)

    text(t("receipt.co2e_title"), 13, bold=True)
    text(
        t(
            "receipt.co2e_line",
            wood=kg(month.co2e.wood_kg),
            co2e=kg(month.co2e.co2e_kg),
            factor=i18n.fmt_number(month.co2e.factor * 1000, lang, 1),
        ),
        10,
    )
    text(t("receipt.source", source=month.co2e.source), 8)
    y += _pt(10)

    text(t("receipt.trend"), 13, bold=True)
    y += _pt(4)
    chart_h = _px(55)
    peak = max((v for _, v in month.trend), default=0.0) or 1.0
    n = max(len(month.trend), 1)
    slot = width // n
    base = y + chart_h
    small = labels._font(False, _pt(7))
    for i, (m, value) in enumerate(month.trend):
        x0 = left + i * slot + slot // 6
        x1 = left + (i + 1) * slot - slot // 6
        top_y = base - round(chart_h * value / peak)
        box = (x0, min(top_y, base - 1), x1, base)
        if m == month.month:
            draw.rectangle(box, fill=0)
        else:
            draw.rectangle(box, outline=0, width=2)
            _hatch(draw, box, _px(2))
        draw.text((x0, base + _pt(3)), i18n.fmt_month(m, lang), font=small, fill=0)
        if value:
            draw.text((x0, top_y - _pt(9)), i18n.fmt_number(value, lang), font=small, fill=0)
    draw.line([(left, base), (right, base)], fill=0, width=2)
    y = base + _pt(20)
    text(t("receipt.trend_note"), 8)

    y = h - _px(MARGIN_MM) - _pt(30)
    draw.line([(left, y), (right, y)], fill=0, width=1)
    y += _pt(5)
    text(t("receipt.footer", date=i18n.fmt_date(today or dates.today(), lang)), 8)
    return labels._pdf(iter([page]), 1, *A4_MM)


def filename(month: MarketMonth) -> str:
    """`recu-marche-davout-2026-03.pdf`-style name."""
    plain = unicodedata.normalize("NFKD", month.market).encode("ascii", "ignore").decode()
    slug = "-".join("".join(c if c.isalnum() else " " for c in plain.lower()).split())
    return f"recu-{slug or 'marche'}-{month.month:%Y-%m}.pdf"

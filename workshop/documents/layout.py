"""The page layout every document shares: A4, the shipped fonts, headings, figures, tables,
vector bar charts, the document number and the day it was made.

Documents are written with fpdf2: real text (selectable, searchable, read by screen
readers and by programs), DejaVu Sans from ``assets/fonts/`` embedded as subsets so the
file looks the same everywhere and stays small, and bars drawn as vector rectangles.
fpdf2 reads the whole font file for each document, so documents use DejaVu cut down to
the Latin scripts (``*-Latin.ttf``, made by ``assets/fonts/make_document_fonts.py``);
a text with any other character (a name in Arabic script, say) brings in the full
fonts as a fallback for that document.
The creation date written in the file is the day the document was made, so the same
figures made on the same day give the same bytes.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Sequence
from datetime import date, datetime, time
from functools import cache
from typing import Any, Final

from fontTools.ttLib import TTFont
from fpdf import FPDF
from fpdf.enums import XPos, YPos

from workshop import config, dates, i18n

FONT_DIR: Final = config.PROJECT_ROOT / "assets" / "fonts"
FAMILY: Final = "DejaVu"
FALLBACK: Final = "DejaVuFull"
FONTS: Final = {"": "DejaVuSans-Latin.ttf", "B": "DejaVuSans-Bold-Latin.ttf"}
FULL_FONTS: Final = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf"}
MARGIN_MM: Final = 18.0
INK: Final = (20, 20, 20)
MUTED: Final = (90, 90, 90)
# Bars: the best uses of the wood solid, the rest lighter (printed in grey they still differ).
STRONG: Final = (46, 110, 60)
LIGHT: Final = (170, 200, 170)
RULE: Final = (150, 150, 150)

_PT_TO_MM: Final = 25.4 / 72


@cache
def _covered() -> frozenset[int]:
    """The characters the documents' Latin fonts have (both have the same)."""
    return frozenset(TTFont(FONT_DIR / FONTS[""], lazy=True).getBestCmap())


def slug(text: str) -> str:
    """`Marché Davout` as `marche-davout`, for file names."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "-".join("".join(c if c.isalnum() else " " for c in plain.lower()).split())


def capitalised(text: str) -> str:
    """`text` with its first letter in capitals (the catalogs' outcomes are lower case)."""
    return text[:1].upper() + text[1:]


def number(kind: str, period: str, *figures: Any) -> str:
    """A document number: its kind, its period and a short checksum of what it says.

    Two documents of the same kind and period with different figures get different
    numbers; the same figures, the same number (`REC-2026-03-4F1A9C`).
    """
    digest = hashlib.sha256(repr(figures).encode("utf-8")).hexdigest()[:6].upper()
    return f"{kind}-{period}-{digest}"


class Document:
    """One document being written, in one language: a thin layer over an fpdf2 page."""

    def __init__(self, lang: str, *, title: str, doc_number: str, made: date) -> None:
        self.lang = lang
        self.doc_number = doc_number
        self.made = made
        pdf = _Pdf(self)
        pdf.set_margins(MARGIN_MM, MARGIN_MM, MARGIN_MM)
        pdf.set_auto_page_break(True, margin=MARGIN_MM + 6)
        for style, file in FONTS.items():
            pdf.add_font(FAMILY, style, str(FONT_DIR / file))
        self._fallback = False
        pdf.set_title(title)
        pdf.set_author(config.workshop_name())
        pdf.set_creator("Atelier Cagettes")
        pdf.set_lang("fr-FR" if lang == "fr" else "en-GB")
        pdf.set_creation_date(datetime.combine(made, time(12), tzinfo=dates.PARIS))
        pdf.set_text_color(*INK)
        pdf.add_page()
        self.pdf = pdf

    def covered(self, text: str) -> str:
        """`text`, once the document has fonts for each of its characters."""
        if not self._fallback and not {ord(c) for c in text if c.isprintable()} <= _covered():
            for style, file in FULL_FONTS.items():
                self.pdf.add_font(FALLBACK, style, str(FONT_DIR / file))
            self.pdf.set_fallback_fonts([FALLBACK])
            self._fallback = True
        return text

    # --- words and numbers in the document's language ---------------------------

    def t(self, key: str, **params: Any) -> str:
        """The message `key` in the document's language."""
        return i18n.translate(key, self.lang, **params)

    def kg(self, value: float) -> str:
        """Kilos as the document's language writes them."""
        return i18n.fmt_kg(value, self.lang)

    def num(self, value: float, decimals: int = 0) -> str:
        """A number as the document's language writes it."""
        return i18n.fmt_number(value, self.lang, decimals)

    # --- blocks, top to bottom -------------------------------------------------

    @property
    def width(self) -> float:
        """Millimetres between the margins."""
        return self.pdf.w - 2 * MARGIN_MM

    def down(self, mm: float) -> None:
        """Leave `mm` of blank space."""
        self.pdf.ln(mm)

    def text(self, line: str, size: float = 10, *, bold: bool = False, muted: bool = False) -> None:
        """A paragraph wrapped between the margins."""
        self.pdf.set_font(FAMILY, "B" if bold else "", size)
        self.pdf.set_text_color(*(MUTED if muted else INK))
        self.pdf.multi_cell(
            self.width, size * _PT_TO_MM * 1.35, self.covered(line), align="L", new_x=XPos.LMARGIN
        )
        self.pdf.set_text_color(*INK)

    def rule(self, thickness: float = 0.3) -> None:
        """A line across the page at the height reached."""
        y = self.pdf.get_y()
        self.pdf.set_line_width(thickness)
        self.pdf.set_draw_color(*INK)
        self.pdf.line(MARGIN_MM, y, self.pdf.w - MARGIN_MM, y)

    def heading(self, title: str, subtitle: str) -> None:
        """The workshop, the document's title and period, its number, over a thick rule."""
        self.text(config.workshop_name(), 9, muted=True)
        self.down(1)
        self.text(title, 18, bold=True)
        self.text(subtitle, 14)
        self.text(
            self.t(
                "document.number",
                number=self.doc_number,
                date=i18n.fmt_date(self.made, self.lang),
            ),
            8,
            muted=True,
        )
        self.down(2)
        self.rule(0.8)
        self.down(5)

    def section(self, title: str) -> None:
        """A section's title, on a new page when too little room is left for it."""
        if self.pdf.get_y() > self.pdf.h - MARGIN_MM - 40:
            self.pdf.add_page()
        self.down(2)
        self.text(title, 12, bold=True)
        self.down(1)

    def figures(self, pairs: Sequence[tuple[str, str]]) -> None:
        """Big figures side by side, each under its caption."""
        column = self.width / max(len(pairs), 1)
        y = self.pdf.get_y()
        for i, (caption, figure) in enumerate(pairs):
            x = MARGIN_MM + i * column
            self.pdf.set_xy(x, y)
            self.pdf.set_font(FAMILY, "", 8.5)
            self.pdf.set_text_color(*MUTED)
            self.pdf.multi_cell(column - 2, 4, self.covered(caption), align="L")
            self.pdf.set_xy(x, y + 9)
            self.pdf.set_font(FAMILY, "B", 15)
            self.pdf.set_text_color(*INK)
            self.pdf.cell(column - 2, 7, self.covered(figure))
        self.pdf.set_xy(MARGIN_MM, y + 19)

    def table(
        self,
        header: Sequence[str],
        rows: Sequence[Sequence[str]],
        widths: Sequence[float],
        *,
        size: float = 8.5,
        total: bool = False,
        text_columns: int = 1,
    ) -> None:
        """A table across the page: a bold header (repeated on a new page), the first
        `text_columns` left, the numbers right; `total` sets the last row in bold."""
        self.pdf.set_font(FAMILY, "", size)
        self.pdf.set_line_width(0.15)
        self.pdf.set_draw_color(*RULE)
        self.pdf.set_fill_color(255, 255, 255)
        align = [*(["LEFT"] * text_columns), *(["RIGHT"] * (len(header) - text_columns))]
        with self.pdf.table(
            col_widths=tuple(widths),
            text_align=tuple(align),
            line_height=size * _PT_TO_MM * 1.5,
            borders_layout="HORIZONTAL_LINES",
            first_row_as_headings=True,
            width=self.width,
        ) as table:
            for i, values in enumerate([header, *rows]):
                bold = i == 0 or (total and i == len(rows))
                row = table.row()
                for value in values:
                    self.pdf.set_font(FAMILY, "B" if bold else "", size)
                    row.cell(self.covered(value))
        self.pdf.set_font(FAMILY, "", size)
        self.down(2)

    def bars(self, items: Sequence[tuple[str, float, str, bool]], *, label_mm: float = 52) -> None:
        """Horizontal bars: label, value, the value as shown, and whether the bar is strong."""
        peak = max((value for _, value, _, _ in items), default=0.0) or 1.0
        bar_max = self.width - label_mm - 36
        pdf = self.pdf
        for label, value, shown, strong in items:
            y = pdf.get_y()
            pdf.set_font(FAMILY, "", 9)
            pdf.set_xy(MARGIN_MM, y)
            pdf.cell(label_mm - 2, 5.5, self.covered(label))
            length = max(bar_max * value / peak, 0.4)
            pdf.set_fill_color(*(STRONG if strong else LIGHT))
            pdf.rect(MARGIN_MM + label_mm, y + 1, length, 3.6, style="F")
            pdf.set_xy(MARGIN_MM + label_mm + length + 1.5, y)
            pdf.cell(34, 5.5, self.covered(shown))
            pdf.set_xy(MARGIN_MM, y + 6)
        self.down(2)

    def columns(
        self, items: Sequence[tuple[str, float, str, bool]], *, height_mm: float = 38
    ) -> None:
        """Vertical bars with a label under each and the value as shown above it."""
        pdf = self.pdf
        if pdf.get_y() + height_mm + 14 > pdf.h - MARGIN_MM - 6:
            pdf.add_page()
        peak = max((value for _, value, _, _ in items), default=0.0) or 1.0
        slot = self.width / max(len(items), 1)
        top = pdf.get_y() + 4
        base = top + height_mm
        for i, (label, value, shown, strong) in enumerate(items):
            x = MARGIN_MM + i * slot
            bar = height_mm * value / peak
            pdf.set_fill_color(*(STRONG if strong else LIGHT))
            if value > 0:
                pdf.rect(x + slot * 0.15, base - bar, slot * 0.7, bar, style="F")
                pdf.set_font(FAMILY, "", 6)
                pdf.set_xy(x, base - bar - 3.5)
                pdf.cell(slot, 3, self.covered(shown), align="C")
            pdf.set_font(FAMILY, "", 6.5)
            pdf.set_xy(x, base + 1)
            pdf.cell(slot, 3, self.covered(label), align="C")
        pdf.set_line_width(0.3)
        pdf.set_draw_color(*RULE)
        pdf.line(MARGIN_MM, base, pdf.w - MARGIN_MM, base)
        pdf.set_xy(MARGIN_MM, base + 6)

    def output(self) -> bytes:
        """The finished PDF."""
        return bytes(self.pdf.output())


class _Pdf(FPDF):
    """fpdf2's page with the documents' footer: number, day made, page n / N."""

    def __init__(self, document: Document) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self._document = document
        self.alias_nb_pages()

    def footer(self) -> None:
        """The footer of every page."""
        doc = self._document
        self.set_y(-MARGIN_MM)
        self.set_draw_color(*RULE)
        self.set_line_width(0.2)
        self.line(MARGIN_MM, self.get_y(), self.w - MARGIN_MM, self.get_y())
        self.set_font(FAMILY, "", 7)
        self.set_text_color(*MUTED)
        self.cell(
            0,
            5,
            doc.t(
                "document.footer",
                number=doc.doc_number,
                date=i18n.fmt_date(doc.made, doc.lang),
                page=str(self.page_no()),
                pages="{nb}",
            ),
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )
        self.set_text_color(*INK)

"""Drawing 1-bit pages: pixel sizes, the shipped fonts, word wrap, the PDF writer."""

from __future__ import annotations

import pytest
from PIL import Image, ImageDraw

from workshop import config, drawing

LOREM = (
    "Cagettes de pommes, de poires et de clémentines ramassées au marché Davout "
    "un samedi de novembre, triées, poncées puis assemblées en bancs"
)


def test_millimetres_and_points_to_300_dpi_pixels() -> None:
    assert drawing.px(drawing.MM_PER_INCH) == drawing.DPI == 300
    assert drawing.px(70.0) == 827  # 826.77, rounded to the nearest pixel
    assert drawing.px(0.0) == 0
    assert drawing.pt(72) == 300
    assert drawing.pt(10) == 42  # 41.67
    assert drawing.pt(0.01) == 1  # never a zero-pixel type size


def test_blank_is_a_white_1_bit_page_of_that_size() -> None:
    page = drawing.blank(70.0, 37.0)
    assert (page.mode, page.size) == ("1", (827, 437))
    assert page.getextrema() == (1, 1)  # every pixel white


def test_fonts_ship_with_their_licence() -> None:
    fonts = config.PROJECT_ROOT / "assets" / "fonts"
    assert (fonts / "DejaVuSans.ttf").is_file()
    assert (fonts / "DejaVuSans-Bold.ttf").is_file()
    assert "Bitstream" in (fonts / "LICENSE-DejaVu.txt").read_text(encoding="utf-8")
    assert drawing.FONT_REGULAR.parent == fonts
    assert drawing.FONT_BOLD.parent == fonts


def test_font_is_the_shipped_face_at_the_size_asked_and_cached() -> None:
    regular, bold = drawing.font(False, 40), drawing.font(True, 40)
    assert regular.getname() == ("DejaVu Sans", "Book")
    assert bold.getname() == ("DejaVu Sans", "Bold")
    assert regular.size == 40
    assert drawing.font(False, 40) is regular


@pytest.mark.parametrize("width", [260, 400, 900])
def test_wrap_stays_within_the_width_and_keeps_every_word(width: int) -> None:
    font = drawing.font(False, 30)
    assert max(font.getlength(word) for word in LOREM.split()) <= width  # no word to cut
    lines = drawing.wrap(LOREM, font, width)
    assert len(lines) > 1
    assert all(font.getlength(line) <= width for line in lines)
    assert " ".join(lines).split() == LOREM.split()


def test_wrap_fills_each_line_before_starting_the_next() -> None:
    font = drawing.font(False, 30)
    lines = drawing.wrap(LOREM, font, 400)
    for line, after in zip(lines, lines[1:], strict=False):
        assert font.getlength(f"{line} {after.split()[0]}") > 400


def test_wrap_breaks_a_word_longer_than_the_width() -> None:
    font = drawing.font(True, 30)
    word = "anticonstitutionnellement"
    width = round(font.getlength(word) / 3)
    lines = drawing.wrap(f"un {word} banc", font, width)
    assert lines[0] == "un"
    assert lines[-1].endswith("banc")
    assert all(font.getlength(line) <= width for line in lines)
    assert "".join(lines[1:])[: len(word)] == word
    assert len(lines) >= 4  # the word alone takes at least three lines


def test_wrap_of_blank_text_is_no_lines() -> None:
    assert drawing.wrap("  \n ", drawing.font(False, 30), 100) == []


def _page(w_mm: float, h_mm: float, black_left_half: bool) -> Image.Image:
    page = Image.new("1", (drawing.px(w_mm), drawing.px(h_mm)), 1)
    if black_left_half:
        ImageDraw.Draw(page).rectangle((0, 0, page.width // 2 - 1, page.height - 1), fill=0)
    return page


def test_pdf_opens_with_the_right_pages_and_pixels() -> None:
    pdfium = pytest.importorskip("pypdfium2")
    pages = [_page(85.6, 54.0, black_left_half=True), _page(85.6, 54.0, black_left_half=False)]
    data = drawing.pdf(iter(pages), 2, 85.6, 54.0)
    assert data.startswith(b"%PDF-1.4") and data.endswith(b"%%EOF\n")
    doc = pdfium.PdfDocument(data)
    try:
        assert len(doc) == 2
        for page in doc:
            width, height = page.get_size()  # points
            assert width == pytest.approx(85.6 / 25.4 * 72, abs=0.01)
            assert height == pytest.approx(54.0 / 25.4 * 72, abs=0.01)
        first, second = (
            page.render(scale=drawing.DPI / 72, grayscale=True).to_pil().convert("L")
            for page in doc
        )
    finally:
        doc.close()
    # Black is black and white is white (the G4 stream's BlackIs1 is right).
    quarter, three_quarters = first.width // 4, 3 * first.width // 4
    assert first.getpixel((quarter, first.height // 2)) < 64
    assert first.getpixel((three_quarters, first.height // 2)) > 192
    assert second.getextrema()[0] > 192


def test_pdf_is_the_same_bytes_for_the_same_pages() -> None:
    page = _page(210.0, 297.0, black_left_half=True)
    assert drawing.pdf([page], 1, 210.0, 297.0) == drawing.pdf([page], 1, 210.0, 297.0)


def test_pdf_refuses_a_page_count_that_does_not_match() -> None:
    page = _page(50.0, 30.0, black_left_half=False)
    with pytest.raises(AssertionError):
        drawing.pdf([page], 2, 50.0, 30.0)

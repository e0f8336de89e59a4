"""Label sheets and thermal labels: rasterised, every QR reads back, in the right place."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image

from workshop import codes, labels
from workshop.errors import InvalidCode, InvalidInput
from workshop.labels import Label, render_preview, render_sheet, render_thermal, templates

DPI = 300
PX_PER_MM = DPI / 25.4
CONTEXT = "Cagette · Marché Davout · 27 nov. 2026"


def _rasterise(pdf: bytes) -> list[Image.Image]:
    """Render every page at 300 dpi with PDFium, as a real viewer or printer driver would."""
    pdfium = pytest.importorskip("pypdfium2")
    doc = pdfium.PdfDocument(pdf)
    try:
        return [page.render(scale=DPI / 72, grayscale=True).to_pil().convert("L") for page in doc]
    finally:
        doc.close()


def _box(tmpl: labels.Template, position: int) -> tuple[int, int, int, int]:
    x, y = tmpl.position_mm(position)
    return (
        round(x * PX_PER_MM),
        round(y * PX_PER_MM),
        round((x + tmpl.label_w) * PX_PER_MM),
        round((y + tmpl.label_h) * PX_PER_MM),
    )


def _read(image: Image.Image) -> list[zxingcpp.Barcode]:
    return zxingcpp.read_barcodes(
        image, formats=zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)
    )


def _has_ink(image: Image.Image) -> bool:
    return image.getextrema()[0] < 128


def _check_pages(
    pages: list[Image.Image], tmpl: labels.Template, skip: int, items: list[Label]
) -> None:
    """Each label reads back at its own position; skipped and unused places stay blank."""
    expected: dict[tuple[int, int], str] = {}
    for i, label in enumerate(items):
        page, position = divmod(skip + i, tmpl.per_page)
        expected[page, position] = codes.url_for(label.code)
    assert len(pages) == max(page for page, _ in expected) + 1

    offsets: dict[str, set[tuple[int, int]]] = {}  # per kind: a piece's URL is shorter
    for page_no, page in enumerate(pages):
        # A4 at 300 dpi, within a pixel.
        assert abs(page.width - tmpl.page_w * PX_PER_MM) <= 1.5
        assert abs(page.height - tmpl.page_h * PX_PER_MM) <= 1.5
        outside = page.copy()
        for position in range(tmpl.per_page):
            box = _box(tmpl, position)
            crop = page.crop(box)
            outside.paste(255, box)
            want = expected.get((page_no, position))
            if want is None:
                assert not _has_ink(crop), (page_no, position)
                continue
            found = _read(crop)
            assert [b.text for b in found] == [want], (page_no, position)
            barcode = found[0]
            assert barcode.ec_level == "Q"
            assert int(barcode.extra["Version"]) <= 4
            corner = barcode.position.top_left
            offsets.setdefault(want.rsplit("/", 1)[-1][-7], set()).add((corner.x, corner.y))
        # Nothing is printed between or around the labels.
        assert not _has_ink(outside), page_no
    # The QR sits at the same place on every label, to the pixel or two: the
    # labels follow the template's pitch (0.5 mm is 6 px).
    for same_kind in offsets.values():
        xs, ys = zip(*same_kind, strict=True)
        assert max(xs) - min(xs) <= 2 and max(ys) - min(ys) <= 2


def _labels(n: int, kind: str = "C", context: str = CONTEXT) -> list[Label]:
    return [Label(codes.mint(kind), context) for _ in range(n)]


def test_templates_are_loaded_from_the_csv() -> None:
    found = templates()
    assert {"a4-3x8-70x37", "a4-3x7-63.5x38.1", "dk11209-62x29"} <= set(found)
    assert found["a4-3x8-70x37"].per_page == 24
    assert found["a4-3x7-63.5x38.1"].per_page == 21
    assert found["dk11209-62x29"].per_page == 1
    for tmpl in found.values():
        x, y = tmpl.position_mm(tmpl.per_page - 1)
        assert x + tmpl.label_w <= tmpl.page_w + 1e-6
        assert y + tmpl.label_h <= tmpl.page_h + 1e-6


def test_full_sheet_reads_back_in_place() -> None:
    items = _labels(24)
    pdf = render_sheet(items)
    assert pdf.startswith(b"%PDF-")
    _check_pages(_rasterise(pdf), templates()["a4-3x8-70x37"], 0, items)


def test_the_check_catches_a_label_off_by_more_than_half_a_millimetre(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    items = _labels(24)
    tmpl = templates()["a4-3x8-70x37"]
    true_position = labels.Template.position_mm

    def shifted(self: labels.Template, index: int) -> tuple[float, float]:
        x, y = true_position(self, index)
        return (x + 0.6, y) if index == 7 else (x, y)

    monkeypatch.setattr(labels.Template, "position_mm", shifted)
    pdf = render_sheet(items)
    monkeypatch.undo()
    with pytest.raises(AssertionError):
        _check_pages(_rasterise(pdf), tmpl, 0, items)


def test_several_pages_with_skip_on_the_l7160_template() -> None:
    items = _labels(12, "M", "Banc 3 places") + _labels(13, "L", "")
    tmpl = templates()["a4-3x7-63.5x38.1"]
    pdf = render_sheet(items, tmpl.id, skip=5)
    pages = _rasterise(pdf)
    assert len(pages) == 2  # 5 skipped + 25 labels on 21 places a page
    _check_pages(pages, tmpl, 5, items)


def test_skip_then_exactly_one_page() -> None:
    items = [c.code for c in _labels(4)]  # plain codes work too
    tmpl = templates()["a4-3x8-70x37"]
    pages = _rasterise(render_sheet(items, tmpl.id, skip=20))
    _check_pages(pages, tmpl, 20, [Label(c) for c in items])


def test_qr_keeps_its_quiet_zone() -> None:
    label = Label(codes.mint("C"), "x " * 200)  # a context far too long for the label
    tmpl = templates()["a4-3x8-70x37"]
    page = _rasterise(render_sheet([label]))[0].crop(_box(tmpl, 0))
    barcode = _read(page)[0]
    pos = barcode.position
    left, top = pos.top_left.x, pos.top_left.y
    right, bottom = pos.bottom_right.x, pos.bottom_right.y
    module = (right - left + 1) / 33  # version 4: 33 modules
    quiet = 4 * module
    zone = page.crop(
        (round(left - quiet), round(top - quiet), round(right + quiet), round(bottom + quiet))
    )
    inner = (round(quiet), round(quiet), round(quiet + right - left), round(quiet + bottom - top))
    zone.paste(255, inner)
    assert not _has_ink(zone)
    assert left - quiet >= 0 and top - quiet >= 0  # the quiet zone is on the label


def test_url_uses_the_configured_base_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WORKSHOP_BASE_URL", "https://atelier-cagettes.example.org")
    item = _labels(1)[0]
    image = Image.open(io.BytesIO(render_thermal(item)))
    assert [b.text for b in _read(image.convert("L"))] == [
        f"https://atelier-cagettes.example.org/?code={item.code}"
    ]


def test_a_piece_s_label_opens_its_passport(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WORKSHOP_BASE_URL", "https://atelier-cagettes.example.org")
    items = _labels(2, "M", "Meuble · Étagère 3 cagettes")
    pages = _rasterise(render_sheet(items, template="a4-3x8-70x37"))
    tmpl = templates()["a4-3x8-70x37"]
    read = [[b.text for b in _read(pages[0].crop(_box(tmpl, i)))] for i in range(2)]
    assert read == [[f"https://atelier-cagettes.example.org/p/{item.code}"] for item in items]


def test_pdf_is_small_and_the_same_every_time() -> None:
    items = _labels(240)
    first = render_sheet(items)
    assert first == render_sheet(items)
    assert len(re.findall(rb"/Type /Page\b", first)) == 10
    assert len(first) < 1_000_000  # 1-bit, group 4: about 65 kB a page


def test_progress_is_reported_per_label() -> None:
    seen: list[tuple[int, int]] = []
    render_sheet(_labels(30), progress=lambda done, total: seen.append((done, total)))
    assert seen == [(i, 30) for i in range(1, 31)]


def test_thermal_label() -> None:
    item = _labels(1, "B", "Badge · Awa")[0]
    image = Image.open(io.BytesIO(render_thermal(item)))
    # 62 x 29 mm at 300 dpi: 732.28 x 342.52 px, rounded.
    assert image.format == "PNG"
    assert image.size == (732, 343)
    assert image.mode == "1"
    assert [round(d) for d in image.info["dpi"]] == [300, 300]
    assert [b.text for b in _read(image.convert("L"))] == [codes.url_for(item.code)]


def test_preview_is_the_first_page_scaled_down() -> None:
    png = render_preview(_labels(30), "a4-3x8-70x37", 3)
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    assert image.width == 800
    assert abs(image.height / image.width - 297 / 210) < 0.01


@pytest.mark.parametrize(
    ("kwargs", "error", "key"),
    [
        ({"template": "a4-4x10"}, InvalidInput, "error.labels.unknown_template"),
        ({"skip": -1}, InvalidInput, "error.labels.bad_skip"),
        ({"skip": 24}, InvalidInput, "error.labels.bad_skip"),
        ({"template": "dk11209-62x29", "skip": 1}, InvalidInput, "error.labels.bad_skip"),
        ({"labels": []}, InvalidInput, "error.labels.none"),
        ({"labels": ["C-4K7XR-9"]}, InvalidCode, "error.code.invalid"),
        ({"labels": [Label("not a code")]}, InvalidCode, "error.code.invalid"),
    ],
)
def test_bad_requests(kwargs: dict[str, object], error: type[Exception], key: str) -> None:
    args: dict[str, object] = {"labels": [codes.mint("C")], **kwargs}
    with pytest.raises(error) as exc:
        render_sheet(**args)  # type: ignore[arg-type]
    assert getattr(exc.value, "key", None) == key
    with pytest.raises(error):
        render_preview(**args)  # type: ignore[arg-type]


def test_bad_code_on_thermal() -> None:
    with pytest.raises(InvalidCode):
        render_thermal("C4K7XR")


def test_cli_writes_a_pdf_from_any_typed_form(tmp_path: Path) -> None:
    a, b = codes.mint("C"), codes.mint("M")
    out = tmp_path / "labels.pdf"
    typed = [codes.format_code(a).lower(), codes.url_for(b)]
    assert labels.write_labels_cli(typed, "a4-3x8-70x37", 2, out) == 0
    page = _rasterise(out.read_bytes())[0]
    tmpl = templates()["a4-3x8-70x37"]
    assert [x.text for x in _read(page.crop(_box(tmpl, 2)))] == [codes.url_for(a)]
    assert [x.text for x in _read(page.crop(_box(tmpl, 3)))] == [codes.url_for(b)]


def test_cli_writes_thermal_pngs(tmp_path: Path) -> None:
    a, b = codes.mint("C"), codes.mint("C")
    assert labels.write_labels_cli([a], "dk11209-62x29", 0, tmp_path / "one.png") == 0
    assert Image.open(tmp_path / "one.png").size == (732, 343)
    labels.write_labels_cli([a, b], "dk11209-62x29", 0, tmp_path / "roll.png")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["one.png", "roll-1.png", "roll-2.png"]


@pytest.mark.parametrize(
    ("typed", "template", "out", "error", "key"),
    [
        (["C-4K7XR-0"], "a4-3x8-70x37", "x.pdf", InvalidCode, None),
        ([], "a4-3x8-70x37", "x.pdf", InvalidInput, "error.labels.none"),
        (["OK"], "nope", "x.pdf", InvalidInput, "error.labels.unknown_template"),
        (["OK"], "a4-3x8-70x37", "x.png", InvalidInput, "error.labels.png_needs_thermal"),
        (["OK"], "a4-3x8-70x37", "missing/dir/x.pdf", InvalidInput, "error.labels.cannot_write"),
    ],
)
def test_cli_bad_input(
    tmp_path: Path,
    typed: list[str],
    template: str,
    out: str,
    error: type[Exception],
    key: str | None,
) -> None:
    typed = [codes.mint("C") if t == "OK" else t for t in typed]
    with pytest.raises(error) as exc:
        labels.write_labels_cli(typed, template, 0, tmp_path / out)
    if key:
        assert getattr(exc.value, "key", None) == key

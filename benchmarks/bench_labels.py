"""Label sheet benchmark: 240 labels (10 A4 pages of 3 x 8) to PDF, against the bare floor.

Run: .venv/bin/python benchmarks/bench_labels.py [--repeat 5]

Measured in the same run, alternating, median of `--repeat` runs each:

- ours: `labels.render_sheet` (QR, printed code, context line, workshop name,
  1-bit pages, G4-compressed PDF);
- floor: the same 240 QR images made the plain way with `qrcode` + Pillow
  (`qrcode.make_image`, EC level Q, same module size, 4-module quiet zone), pasted
  on blank 1-bit A4 pages at the same places, saved with Pillow's PDF writer;
- encoder floor: the same, but with the QR encoder `labels` uses (zxing-cpp), to
  show what the text and layout cost on top of the bare QR images.

Goal: ours <= 1.3 x floor.
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import qrcode
import qrcode.constants
import zxingcpp
from PIL import Image
from qrcode.image.pil import PilImage

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from workshop import codes, drawing, labels  # noqa: E402

N = 240
TEMPLATE = "a4-3x8-70x37"
MODULE_PX = 10  # what labels draws on a 70 x 37 mm label at 300 dpi


def _floor(urls: list[str], make_qr: Callable[[str], Image.Image]) -> bytes:
    """QR images pasted at the template's places on 1-bit pages, saved by Pillow as PDF."""
    tmpl = labels.templates()[TEMPLATE]
    pages = []
    for start in range(0, len(urls), tmpl.per_page):
        page = Image.new("1", (drawing.px(tmpl.page_w), drawing.px(tmpl.page_h)), 1)
        for position, url in enumerate(urls[start : start + tmpl.per_page]):
            x, y = tmpl.position_mm(position)
            page.paste(make_qr(url), (drawing.px(x + 1.0), drawing.px(y + 1.0)))
        pages.append(page)
    out = io.BytesIO()
    pages[0].save(out, "PDF", save_all=True, append_images=pages[1:], resolution=300)
    return out.getvalue()


def _qrcode_plain(url: str) -> Image.Image:
    qr = qrcode.QRCode(
        error_correction=qrcode.constants.ERROR_CORRECT_Q,
        box_size=MODULE_PX,
        border=4,
        image_factory=PilImage,
    )
    qr.add_data(url)
    qr.make(fit=True)
    return qr.make_image().get_image()


def _zxing_plain(url: str) -> Image.Image:
    """The same QR from zxing-cpp, the encoder `labels` uses: no text, no layout."""
    barcode = zxingcpp.create_barcode(url, zxingcpp.BarcodeFormat.QRCode, ec_level="Q")
    view = memoryview(cast(Any, barcode.to_image(scale=MODULE_PX, add_quiet_zones=True)))
    height, width = view.shape or (0, 0)
    return Image.frombytes("L", (width, height), view.tobytes()).convert("1")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    items = [
        labels.Label(codes.mint("C"), "Cagette · Marché Davout · 27 nov. 2026") for _ in range(N)
    ]
    urls = [codes.url_for(label.code) for label in items]
    runs: dict[str, Callable[[], bytes]] = {
        "ours (render_sheet)": lambda: labels.render_sheet(items, TEMPLATE),
        "floor (qrcode + Pillow)": lambda: _floor(urls, _qrcode_plain),
        "encoder floor (zxing-cpp QR + Pillow)": lambda: _floor(urls, _zxing_plain),
    }
    for run in runs.values():  # warm up: imports, fonts, caches
        run()
    times: dict[str, list[float]] = {name: [] for name in runs}
    sizes: dict[str, int] = {}
    for _ in range(args.repeat):
        for name, run in runs.items():
            started = time.perf_counter()
            sizes[name] = len(run())
            times[name].append(time.perf_counter() - started)

    print(
        f"machine: {os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}"
    )
    print(f"{N} labels, {TEMPLATE}, 10 pages; median of {args.repeat} runs")
    medians = {name: statistics.median(t) for name, t in times.items()}
    for name in runs:
        print(
            f"  {name:40s} {medians[name]:6.2f} s  ({min(times[name]):.2f}-{max(times[name]):.2f})"
            f"  PDF {sizes[name] / 1024:6.0f} kB"
        )
    floor = medians["floor (qrcode + Pillow)"]
    encoder_floor = medians["encoder floor (zxing-cpp QR + Pillow)"]
    ours = medians["ours (render_sheet)"]
    print(f"ours / floor         = {ours / floor:.2f}  (goal <= 1.3)")
    print(f"ours / encoder floor = {ours / encoder_floor:.2f}")


if __name__ == "__main__":
    main()

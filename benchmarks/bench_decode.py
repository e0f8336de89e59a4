"""Photo decoding benchmark: read rate and time of `qr_photos.decode_image` on photos of our labels.

Run: .venv/bin/python benchmarks/bench_decode.py [--n 300] [--seed 1]

Each synthetic photo shows one of our labels (a 70 x 37 mm sheet label or a
62 x 29 mm thermal label, fresh random code) lying on a wooden crate, as a
webcam or phone would see it through `st.camera_input`:

- size: the QR symbol spans 18-50 % of the frame height (2.6-7.3 px per module at 480 p);
- pose: any rotation, perspective tilt (corners moved by up to 12 % of the label size);
- paper and ink: off-white paper (225-250), not-quite-black toner (15-60);
- light: a linear light fall-off to 45-100 %, and a soft glare spot on a third of the photos;
- optics: Gaussian blur of 0-0.25 % of the frame height (0-1.2 px at 480 p, 0-1.8 px at 720 p);
- sensor: Gaussian noise, sigma 2-8 grey levels; JPEG quality 55-90.

Timing covers everything the app does with an uploaded photo: JPEG bytes in,
texts out (JPEG decoding included). Goals: >= 99 % read at 1280 x 720, >= 95 %
at 640 x 480, median <= 10 ms per image.
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import random
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import zxingcpp
from PIL import Image, ImageFilter

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from workshop import codes, drawing, labels, qr_photos  # noqa: E402

RESOLUTIONS = [(1280, 720), (640, 480)]


def _wood(rng: random.Random, size: tuple[int, int]) -> Image.Image:
    """A pale crate-wood background: planks with grain along them."""
    w, h = size
    nrng = np.random.default_rng(rng.randrange(2**32))
    base = np.array([rng.uniform(150, 200), rng.uniform(115, 160), rng.uniform(70, 110)])
    ys = np.arange(h)[:, None]
    grain = 12 * np.sin(ys / rng.uniform(3, 9) + nrng.normal(0, 0.4, (1, w)).cumsum(axis=1) / 30)
    plank = ((ys // rng.randint(h // 5, h // 3)) % 2) * rng.uniform(-25, 25)
    img = base[None, None, :] + (grain + plank)[:, :, None] + nrng.normal(0, 6, (h, w, 1))
    return Image.fromarray(np.clip(img, 0, 255).astype(np.uint8), "RGB")


def _label_image(rng: random.Random, code: str) -> tuple[Image.Image, int]:
    """The label as printed (1-bit at 300 dpi) and the QR symbol's width in its pixels."""
    label = labels.Label(code, "Cagette · Marché Davout · 27 nov. 2026")
    if rng.random() < 0.5:
        w_mm, h_mm = 70.0, 37.0  # the A4 3x8 sheet label
        canvas = Image.new("1", (drawing.px(w_mm), drawing.px(h_mm)), 1)
        labels.draw_label(canvas, 0, 0, label, w_mm, h_mm)
    else:
        canvas = Image.open(io.BytesIO(labels.render_thermal(label))).convert("1")
    corners = zxingcpp.read_barcodes(canvas.convert("L"))[0].position
    return canvas, corners.top_right.x - corners.top_left.x + 1


def _perspective_coeffs(
    src: list[tuple[float, float]], dst: list[tuple[float, float]]
) -> list[float]:
    """Coefficients for Image.transform(PERSPECTIVE) mapping output `dst` points to input `src`."""
    rows, rhs = [], []
    for (x, y), (u, v) in zip(dst, src, strict=True):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
        rhs += [u, v]
    return [float(c) for c in np.linalg.solve(np.array(rows), np.array(rhs))]


def make_photo(rng: random.Random, size: tuple[int, int]) -> tuple[bytes, str]:
    """One realistic JPEG photo of a label and the URL its QR holds."""
    w, h = size
    code = codes.mint(rng.choice("CLMB"))
    printed, symbol_px = _label_image(rng, code)
    paper, ink = rng.uniform(225, 250), rng.uniform(15, 60)
    grey = printed.convert("L").point(lambda p: round(ink + (paper - ink) * p / 255))

    scale = rng.uniform(0.18, 0.50) * h / symbol_px
    lw, lh = printed.width * scale, printed.height * scale
    # Shrink if the label would not fit in the frame whatever its rotation.
    fit = min(1.0, 0.95 * min(w, h) / (lw**2 + lh**2) ** 0.5)
    lw, lh = lw * fit, lh * fit
    angle = rng.uniform(0, 360)
    cx = rng.uniform((lw**2 + lh**2) ** 0.5 / 2, w - (lw**2 + lh**2) ** 0.5 / 2)
    cy = rng.uniform((lw**2 + lh**2) ** 0.5 / 2, h - (lw**2 + lh**2) ** 0.5 / 2)
    cos, sin = np.cos(np.radians(angle)), np.sin(np.radians(angle))
    jitter = 0.12 * min(lw, lh)
    corners = []
    for x, y in [(-lw / 2, -lh / 2), (lw / 2, -lh / 2), (lw / 2, lh / 2), (-lw / 2, lh / 2)]:
        x += rng.uniform(-jitter, jitter)
        y += rng.uniform(-jitter, jitter)
        corners.append((cx + x * cos - y * sin, cy + x * sin + y * cos))
    src = [(0, 0), (printed.width, 0), (printed.width, printed.height), (0, printed.height)]
    coeffs = _perspective_coeffs(src, corners)
    warped = grey.transform((w, h), Image.Transform.PERSPECTIVE, coeffs, Image.Resampling.BICUBIC)
    mask = Image.new("L", printed.size, 255).transform(
        (w, h), Image.Transform.PERSPECTIVE, coeffs, Image.Resampling.BILINEAR
    )
    photo = _wood(rng, (w, h))
    photo.paste(Image.merge("RGB", [warped] * 3), (0, 0), mask)

    arr = np.asarray(photo).astype(np.float32)
    # Uneven light: linear fall-off in a random direction.
    theta = rng.uniform(0, 2 * np.pi)
    xs, ys = np.meshgrid(np.linspace(-1, 1, w), np.linspace(-1, 1, h))
    ramp = (xs * np.cos(theta) + ys * np.sin(theta) + 1.5) / 3
    low = rng.uniform(0.45, 1.0)
    arr *= (low + (1 - low) * ramp)[:, :, None]
    if rng.random() < 1 / 3:
        gx, gy, gr = rng.uniform(0, w), rng.uniform(0, h), rng.uniform(0.05, 0.2) * h
        glare = np.exp(-(((xs + 1) * w / 2 - gx) ** 2 + ((ys + 1) * h / 2 - gy) ** 2) / (2 * gr**2))
        arr += rng.uniform(20, 60) * glare[:, :, None]
    photo = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8), "RGB")
    photo = photo.filter(ImageFilter.GaussianBlur(rng.uniform(0, 0.0025) * h))
    nrng = np.random.default_rng(rng.randrange(2**32))
    arr = np.asarray(photo).astype(np.float32) + nrng.normal(0, rng.uniform(2, 8), (h, w, 1))
    photo = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8), "RGB")
    out = io.BytesIO()
    photo.save(out, "JPEG", quality=rng.randint(55, 90))
    return out.getvalue(), codes.url_for(code)


def run(n: int, seed: int, save: Path | None) -> None:
    print(
        f"machine: {os.cpu_count()} cores, {platform.processor() or platform.machine()}, "
        f"Python {platform.python_version()}"
    )
    for size in RESOLUTIONS:
        rng = random.Random(f"{seed}-{size}")
        photos = [make_photo(rng, size) for _ in range(n)]
        if save:
            save.mkdir(parents=True, exist_ok=True)
            for i, (data, _) in enumerate(photos[:20]):
                (save / f"{size[1]}p-{i:02d}.jpg").write_bytes(data)
        qr_photos.decode_image(photos[0][0])  # warm up (imports, caches)
        times, read, wrong, failed = [], 0, 0, []
        for i, (data, url) in enumerate(photos):
            started = time.perf_counter()
            texts = qr_photos.decode_image(data)
            times.append((time.perf_counter() - started) * 1000)
            if texts == [url]:
                read += 1
            elif texts:
                wrong += 1
            else:
                failed.append(i)
        times.sort()
        kb = statistics.mean(len(d) for d, _ in photos) / 1024
        print(
            f"{size[0]}x{size[1]}: read {read}/{n} = {100 * read / n:.1f} %, wrong {wrong}, "
            f"median {statistics.median(times):.1f} ms, p90 {times[int(0.9 * n)]:.1f} ms, "
            f"max {times[-1]:.1f} ms, mean JPEG {kb:.0f} kB"
        )
        if failed:
            print(f"  not read: photo #{', #'.join(map(str, failed[:20]))}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=300, help="photos per resolution")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--save", type=Path, help="also write the first 20 photos here")
    args = parser.parse_args()
    run(args.n, args.seed, args.save)


if __name__ == "__main__":
    main()

"""Passport benchmark: the plain HTTP passport against the old Streamlit one and a static floor.

Run: .venv/bin/python benchmarks/bench_passport.py [--crates 1000000] [--requests 2000]
     [--visits 10] [--old-commit 6067aa1]

Issue 18 asks, in one run, side by side:

1. **First visit in headless Chromium at 390×844** (Debian's /usr/bin/chromium, a new
   browser context per visit: empty cache, no cookie) of three pages showing the same
   finished piece with its photo:
   - *new*: `/p/{code}` of this tree, served by `streamlit run asgi.py`;
   - *old*: `/?code={code}` of the tree at `--old-commit` (the Streamlit passport page,
     before this change), extracted with `git archive` and served by `streamlit run
     app.py` on a copy of the same database (migrated back to that tree's schema);
   - *floor*: the new page's HTML and photo written to files and served by
     `python -m http.server` (no gzip, no database: the fastest this HTML can come).
   Measured per visit: bytes on the wire (the sum of Chromium's `encodedDataLength`,
   headers included, from the DevTools protocol, until the network is idle), requests,
   and the time from `page.goto` to the piece's title visible. Goals: new ≤ 60 KB and
   ≤ 4 requests; its time to title ≤ 1.5 × the floor's (median).
2. **The server's own time per passport** on the benchmark database (bench_scan.py's:
   `--crates` tagged crates, 1 000 000 by default) with `--pieces` finished pieces of
   8 crates: `--requests` GETs of `/p/{code}` of a random piece through Starlette's
   in-process client (routing, database, template, ETag; no network), after
   `--warmup`. Goal: p95 ≤ 10 ms.

Everything stays on 127.0.0.1. Not part of pytest.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_scan import build_database, load, machine, percentile  # noqa: E402
from PIL import Image, ImageDraw, ImageFilter  # noqa: E402
from sqlmodel import select  # noqa: E402

from workshop import builds, db, startup  # noqa: E402
from workshop.models import BuildStatus, Crate, Design, Outcome  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
PIECE_CRATES = 8


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def furniture_photo(rng: random.Random) -> bytes:
    """A photo of a shelf (4032×3024 JPEG): planks on a wall, grain and strong sensor noise.

    Synthetic (no photo ships in the repository): the noise is set so that the
    passport's 600 px copy weighs about 28 KB, like a real phone photo of a piece."""
    size = (2016, 1512)
    image = Image.new("RGB", size, (214, 206, 192))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 1150, size[0], size[1]), fill=(120, 100, 84))  # the floor
    for shelf in range(4):
        top = 250 + shelf * 240
        draw.rectangle((500, top, 1500, top + 60), fill=(188, 140, 92))
        for x in range(500, 1500, 7):
            tone = rng.randrange(-18, 18)
            draw.line(
                (x, top, x + rng.randrange(-3, 4), top + 60), fill=(170 + tone, 124 + tone, 80)
            )
    draw.rectangle((480, 220, 520, 1150), fill=(160, 116, 74))
    draw.rectangle((1480, 220, 1520, 1150), fill=(160, 116, 74))
    noise = Image.effect_noise(size, 96).convert("RGB")
    image = Image.blend(image, noise, 0.35).filter(ImageFilter.GaussianBlur(0.4))
    out = io.BytesIO()
    image.resize((4032, 3024)).save(out, "JPEG", quality=90)
    return out.getvalue()


def add_pieces(engine: Any, lead: Any, n: int, rng: random.Random, photo: bytes) -> list[str]:
    """`n` finished pieces of PIECE_CRATES in-stock crates each; the first has a photo."""
    with db.read_session(engine) as session:
        stock = list(
            session.exec(select(Crate.code).where(Crate.outcome == Outcome.in_stock).limit(20_000))
        )
        design = session.exec(select(Design).where(Design.crates_needed == PIECE_CRATES)).first()
        design = design or session.exec(select(Design)).first()
    rng.shuffle(stock)
    made = []
    for i in range(n):
        with db.write_session(engine) as session:
            piece = builds.create_build(session=session, actor=lead, design_id=design.id or 0)
            for code in stock[i * PIECE_CRATES : (i + 1) * PIECE_CRATES]:
                builds.attach_crate(session=session, actor=lead, build_id=piece.id or 0, text=code)
            if i == 0:
                builds.add_photo(session=session, actor=lead, build_id=piece.id or 0, data=photo)
            builds.set_status(
                session=session, actor=lead, build_id=piece.id or 0, status=BuildStatus.finished
            )
            made.append(piece.code)
    return made


def server_times(
    codes: list[str], requests: int, warmup: int, rng: random.Random
) -> tuple[list[float], list[float]]:
    """Wall and CPU milliseconds per GET /p/{code}, the ASGI app called in process.

    CPU is the process's (`time.process_time`: the event loop and the worker thread
    that reads the database), so it holds on a loaded machine where wall time does not.
    """
    import asyncio

    from starlette.applications import Starlette

    from workshop import web

    app = Starlette(routes=web.routes(), middleware=web.middleware())

    async def get(path: str) -> int:
        sent: list[dict[str, Any]] = []

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "GET",
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "root_path": "",
            "headers": [(b"host", b"127.0.0.1"), (b"accept-language", b"fr")],
            "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 80),
        }
        await app(scope, receive, send)
        return int(sent[0]["status"])

    async def run() -> tuple[list[float], list[float]]:
        wall, cpu = [], []
        for i in range(warmup + requests):
            code = rng.choice(codes)
            started, started_cpu = time.perf_counter(), time.process_time()
            status = await get(f"/p/{code}")
            elapsed = (time.perf_counter() - started) * 1000
            elapsed_cpu = (time.process_time() - started_cpu) * 1000
            assert status == 200, status
            if i >= warmup:
                wall.append(elapsed)
                cpu.append(elapsed_cpu)
        return wall, cpu

    return asyncio.run(run())


def start(cmd: list[str], cwd: Path, env: dict[str, str], url: str, log: Path) -> subprocess.Popen:
    proc = subprocess.Popen(
        cmd,
        cwd=cwd,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return proc
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError(f"{cmd} exited: {log.read_text()[-2000:]}") from None
            time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer")


def stop(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=10)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        os.killpg(proc.pid, signal.SIGKILL)


def visit(browser: Any, url: str, title: str) -> tuple[int, int, float]:
    """Bytes on the wire, requests and ms to the title visible, for a first visit of `url`."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="fr-FR")
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    sizes: dict[str, float] = {}
    started_ids: set[str] = set()
    cdp.on("Network.requestWillBeSent", lambda e: started_ids.add(e["requestId"]))
    cdp.on(
        "Network.loadingFinished",
        lambda e: sizes.__setitem__(e["requestId"], e["encodedDataLength"]),
    )
    started = time.perf_counter()
    page.goto(url, wait_until="commit")
    page.get_by_role("heading", name=title, level=1).wait_for(state="visible", timeout=60_000)
    to_title = (time.perf_counter() - started) * 1000
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(500)
    context.close()
    return int(sum(sizes.values())), len(started_ids), to_title


def old_tree(commit: str, into: Path) -> Path:
    """The tree at `commit`, extracted (the old Streamlit passport)."""
    into.mkdir()
    archive = subprocess.run(
        ["git", "archive", commit], cwd=ROOT, check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


def old_schema(db_path: Path, tree: Path) -> None:
    """Migrate a copy of the database back to the schema the old tree knows (its head)."""
    heads = sorted(p.name.split("_")[0] for p in (tree / "migrations" / "versions").glob("0*.py"))
    with sqlite3.connect(db_path) as conn:
        current = conn.execute("select version_num from alembic_version").fetchone()[0]
    if current == heads[-1]:
        return
    from alembic import command

    from workshop import schema

    engine = db.make_engine(f"sqlite:///{db_path}")
    command.downgrade(schema.alembic_config(engine), heads[-1])
    engine.dispose()


def report(name: str, runs: list[tuple[int, int, float]]) -> str:
    sizes, counts, times = zip(*runs, strict=True)
    ordered = sorted(times)
    return (
        f"| {name} | {statistics.median(sizes) / 1024:.1f} KB | {statistics.median(counts):.0f} | "
        f"{statistics.median(ordered):.0f} ms | {percentile(ordered, 95):.0f} ms |"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--crates", type=int, default=1_000_000)
    parser.add_argument("--pieces", type=int, default=200)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--visits", type=int, default=10)
    parser.add_argument("--old-commit", default="6067aa1")
    parser.add_argument("--seed", type=int, default=18)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    tmp = Path(tempfile.mkdtemp(prefix="bench-passport-", dir="/tmp"))
    procs: list[subprocess.Popen] = []
    try:
        db_path = tmp / "atelier.db"
        env = {
            **os.environ,
            "WORKSHOP_DATABASE_URL": f"sqlite:///{db_path}",
            "WORKSHOP_DATA_DIR": str(tmp / "data"),
            "PYTHONUNBUFFERED": "1",
        }
        os.environ.update(env)
        t0 = time.perf_counter()
        engine = startup.open_database(env["WORKSHOP_DATABASE_URL"])
        lead, _ = build_database(engine, args.crates, rng)
        codes = add_pieces(engine, lead, args.pieces, rng, furniture_photo(rng))
        with db.read_session(engine) as session:
            story = builds.public_passport(session=session, text=codes[0])
        engine.dispose()
        print(f"Machine: {machine()}; {load()}", flush=True)
        print(
            f"Database: {args.crates:,} crates, {args.pieces} finished pieces of "
            f"{PIECE_CRATES} crates, built in {time.perf_counter() - t0:.0f} s"
        )

        wall, cpu = server_times(codes, args.requests, args.warmup, rng)
        print(
            f"\nServer time per passport (GET /p/{{code}}, in process), {args.requests} requests:"
        )
        for name, values in (("wall", sorted(wall)), ("CPU", sorted(cpu))):
            print(
                f"{name}: median {statistics.median(values):.2f} ms, "
                f"p95 {percentile(values, 95):.2f} ms, p99 {percentile(values, 99):.2f} ms"
            )
        print("(goal: p95 ≤ 10 ms)", flush=True)

        new_port, old_port, floor_port = free_port(), free_port(), free_port()
        streamlit = str(Path(sys.executable).parent / "streamlit")
        flags = [
            "--server.headless",
            "true",
            "--server.address",
            "127.0.0.1",
            "--server.fileWatcherType",
            "none",
            "--browser.gatherUsageStats",
            "false",
        ]
        new_url = f"http://127.0.0.1:{new_port}"
        procs.append(
            start(
                [streamlit, "run", "asgi.py", "--server.port", str(new_port), *flags],
                ROOT,
                {**env, "WORKSHOP_BASE_URL": new_url},
                f"{new_url}/_stcore/health",
                tmp / "new.log",
            )
        )
        tree = old_tree(args.old_commit, tmp / "old")
        old_db = tmp / "old.db"
        shutil.copy(db_path, old_db)
        old_schema(old_db, tree)
        old_url = f"http://127.0.0.1:{old_port}"
        procs.append(
            start(
                [streamlit, "run", "app.py", "--server.port", str(old_port), *flags],
                tree,
                {
                    **env,
                    "WORKSHOP_DATABASE_URL": f"sqlite:///{old_db}",
                    "WORKSHOP_BASE_URL": old_url,
                    "PYTHONPATH": str(tree),
                },
                f"{old_url}/_stcore/health",
                tmp / "old.log",
            )
        )
        # The floor: the very HTML and photo the new server sends, as files.
        static = tmp / "static" / "p" / codes[0]
        static.mkdir(parents=True)
        for name, path in (("index.html", ""), ("photo.jpg", "/photo.jpg")):
            with urllib.request.urlopen(f"{new_url}/p/{codes[0]}{path}") as resp:
                (static / name).write_bytes(resp.read())
        floor_url = f"http://127.0.0.1:{floor_port}"
        procs.append(
            start(
                [sys.executable, "-m", "http.server", str(floor_port), "--bind", "127.0.0.1"],
                tmp / "static",
                env,
                floor_url,
                tmp / "floor.log",
            )
        )

        from playwright.sync_api import sync_playwright

        title = story.design.name
        targets = {
            "new: /p/{code}": f"{new_url}/p/{codes[0]}",
            "old: Streamlit /?code=": f"{old_url}/?code={codes[0]}",
            "floor: http.server": f"{floor_url}/p/{codes[0]}/",
        }
        runs: dict[str, list[tuple[int, int, float]]] = {name: [] for name in targets}
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
            for url in targets.values():
                visit(browser, url, title)  # servers warm (imports, caches): not counted
            for _ in range(args.visits):  # interleaved: the same machine load for all three
                for name, url in targets.items():
                    runs[name].append(visit(browser, url, title))
            browser.close()
        print(f"\nFirst visit in Chromium at 390×844, {args.visits} visits each, interleaved:")
        print("| page | bytes on the wire | requests | time to title (median) | p95 |")
        print("|---|---|---|---|---|")
        for name, measured in runs.items():
            print(report(name, measured))
        new_ms = statistics.median(t for *_, t in runs["new: /p/{code}"])
        floor_ms = statistics.median(t for *_, t in runs["floor: http.server"])
        print(f"\nnew / floor time to title: {new_ms / floor_ms:.2f} (goal ≤ 1.5)")
        print(
            f"Photo: {(static / 'photo.jpg').stat().st_size / 1024:.1f} KB, "
            f"HTML: {(static / 'index.html').stat().st_size / 1024:.1f} KB uncompressed"
        )
        print(f"After: {load()}")
    finally:
        for proc in procs:
            stop(proc)
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Load: 20 concurrent sessions scanning crates on the Scan page for 60 s.

Run: .venv/bin/python benchmarks/bench_load.py [--sessions 20] [--seconds 60] [--think 0]

What it does:

1. Seeds a temporary SQLite file (the app's migrations and seed data, one lead,
   one pickup of 2 000 crates tagged with codes), then starts the real app with
   `streamlit run app.py` on a free loopback port, on that file.
2. Opens `--sessions` websocket clients that speak Streamlit's own protocol (the
   `BackMsg` / `ForwardMsg` protobufs the browser sends and receives, from the
   installed streamlit package). Each one signs in through the sign-in form,
   opens the Scan page ("Scanner") and then, in a closed loop for `--seconds`,
   scans a random crate code into the scanner field, exactly as the browser does
   when a USB scanner types a code and Enter: the field is the scanner component
   (`workshop/ui/scanner.py`), whose JavaScript numbers each scan and sends the
   component's state `{"scans": [[number, text], ...]}` (every scan the page has
   not reported handled yet) as the component's `json_value` widget state.
3. Times each scan from sending it to receiving the confirmation: the page
   element that names the scanned crate (`Cagette C-XXXXX-X`); the rerun then
   finishes before the next scan is sent (`--think` seconds later).
4. Samples the server's resident memory (RSS of the streamlit process, from
   /proc) every second.

Why websocket clients rather than 20 Playwright pages: on the 2-core machine
the figures are measured on, 20 Chromium renderers compete with the server for
the same two cores, so the timings would measure the browsers. A real workshop's
20 scanners are 20 separate devices: what is shared is the server, and that is
what the websocket clients load (the script prints the CPU both sides used). The
end-to-end tests (tests/e2e) already drive the same page in a real Chromium.

Everything stays on 127.0.0.1; every loop is bounded by time. Not part of pytest.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import websockets  # noqa: E402
from streamlit.proto.BackMsg_pb2 import BackMsg  # noqa: E402
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg  # noqa: E402

USERNAME, PASSWORD = "bench", "bench-password"
# The Scan page's scanner field: `scanner.scanner_field("scan_field", ...)`, a
# `st.components.v2` component registered as "atelier_scanner".
SCANNER_COMPONENT = "atelier_scanner"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def seed(url: str, crates: int) -> list[str]:
    """A lead and `crates` tagged crates; returns their codes."""
    from workshop import accounts, codes, dates, db, pickups, startup
    from workshop import crates as crates_mod
    from workshop.models import Role, User

    engine = startup.open_database(url)
    with db.write_session(engine) as session:
        lead = User(
            username=USERNAME,
            display_name="Bench",
            role=Role.lead,
            password_hash=accounts.hash_password(PASSWORD),
        )
        session.add(lead)
        session.flush()
    made: list[str] = []
    kinds = None
    while len(made) < crates:
        n = min(2000, crates - len(made))
        with db.write_session(engine) as session:
            kinds = kinds or pickups.crate_kinds(session=session)
            market = pickups.markets_for_pickup(session=session, on=dates.today())[0]
            lot = pickups.log_pickup(
                session=session,
                actor=lead,
                fields=pickups.PickupFields(
                    market_id=market.id or 0,
                    pickup_date=dates.today(),
                    counts={kinds[0].id or 0: n},
                ),
            )
            tagged = crates_mod.sort_lot(
                session=session, actor=lead, lot_id=lot.id or 0, tag={kinds[0].id or 0: n}
            )
        made += [c.code for c in tagged]
    engine.dispose()
    return [codes.format_code(c) for c in made]


def rss_kb(pid: int) -> int:
    """Resident memory of a process, in kB (0 once it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Session:
    """One browser-like session: its websocket, what the last run showed, the scanner's queue."""

    ws: websockets.ClientConnection
    widgets: dict[str, list[Any]] = field(default_factory=dict)  # element type -> protos
    pages: dict[str, str] = field(default_factory=dict)  # url path -> page script hash
    page_hash: str = ""
    # The scanner component as its JavaScript keeps it (`parentElement.__scanner`):
    # the scans not reported handled yet, and the running scan number.
    queue: list[list[Any]] = field(default_factory=list)
    seq: int = 0

    def scanner(self) -> Any | None:
        """The scanner component's element in the last run (a `BidiComponent` proto)."""
        for element in self.widgets.get("bidi_component", []):
            if element.component_name.rsplit(".", 1)[-1].endswith(SCANNER_COMPONENT):
                return element
        return None

    def scan_state(self, text: str) -> Any:
        """The widget state the scanner's JavaScript sends when `text` + Enter is typed.

        As in the component: forget the scans the page reported handled (its `data`),
        number the new one `max(seq + 1, Date.now())`, send every pending scan as the
        state key "scans" (`setStateValue`), i.e. the component's `json_value`.
        """
        from streamlit.proto.WidgetStates_pb2 import WidgetState

        element = self.scanner()
        if element is None:
            raise RuntimeError("the Scan page has no scanner field")
        data = json.loads(element.json) if element.WhichOneof("data") == "json" else {}
        handled = int((data or {}).get("handled") or 0)
        self.queue = [scan for scan in self.queue if scan[0] > handled]
        self.seq = max(self.seq + 1, int(time.time() * 1000))
        self.queue.append([self.seq, text])
        # WidgetStateManager.setJsonValue: JSON.stringify of {...current, scans: queue}.
        value = json.dumps({"scans": self.queue}, separators=(",", ":"))
        return WidgetState(id=element.id, json_value=value)

    async def run(
        self, widget_states: list | None = None, page: str = "", wait_for: str = ""
    ) -> float:
        """Send one rerun, read until the script finishes; seconds until `wait_for` showed."""
        msg = BackMsg()
        state = msg.rerun_script
        state.query_string = ""
        if page:
            state.page_script_hash = self.pages.get(page, "")
            state.page_name = page
        elif self.page_hash:
            state.page_script_hash = self.page_hash
        for ws in widget_states or []:
            state.widget_states.widgets.append(ws)
        self.widgets = {}
        started = time.perf_counter()
        seen_at = 0.0
        await self.ws.send(msg.SerializeToString())
        deadline = started + 60
        while time.perf_counter() < deadline:
            raw = await asyncio.wait_for(self.ws.recv(), timeout=60)
            fwd = ForwardMsg()
            fwd.ParseFromString(raw)
            kind = fwd.WhichOneof("type")
            if kind == "delta" and fwd.delta.WhichOneof("type") == "new_element":
                element = fwd.delta.new_element
                etype = element.WhichOneof("type")
                widget = getattr(element, etype, None)
                if widget is not None and getattr(widget, "id", ""):
                    self.widgets.setdefault(etype, []).append(widget)
                if wait_for and not seen_at and etype in ("heading", "markdown"):
                    if wait_for in getattr(element, etype).body:
                        seen_at = time.perf_counter()
            elif kind == "navigation":
                for page_info in fwd.navigation.app_pages:
                    self.pages[page_info.url_pathname] = page_info.page_script_hash
                self.page_hash = fwd.navigation.page_script_hash
            elif kind == "new_session":
                self.page_hash = fwd.new_session.page_script_hash or self.page_hash
            elif kind == "script_finished":
                if fwd.script_finished == ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                    continue  # st.rerun(): another run follows
                break
        return (seen_at - started) if seen_at else float("nan")


async def open_session(url: str) -> Session:
    """Connect, sign in through the form, open the Scan page."""
    from streamlit.proto.WidgetStates_pb2 import WidgetState

    ws = await websockets.connect(
        url.replace("http", "ws") + "/_stcore/stream",
        subprotocols=["streamlit"],  # type: ignore[list-item]
        max_size=None,
        open_timeout=60,
    )
    session = Session(ws)
    await session.run()
    # The sign-in form: its two fields (told apart by their autocomplete hint) and
    # its submit button; a submitted form sends its fields' values with the trigger.
    fields = {w.autocomplete: w.id for w in session.widgets.get("text_input", [])}
    submit = [w.id for w in session.widgets.get("button", []) if w.is_form_submitter]
    if not {"username", "current-password"} <= set(fields) or not submit:
        raise RuntimeError("no sign-in form on the first page")
    await session.run(
        [
            WidgetState(id=fields["username"], string_value=USERNAME),
            WidgetState(id=fields["current-password"], string_value=PASSWORD),
            WidgetState(id=submit[0], trigger_value=True),
        ]
    )
    if "scan" not in session.pages:
        raise RuntimeError("sign-in failed: no Scan page in the navigation")
    await session.run(page="scan")
    if session.scanner() is None:
        raise RuntimeError("the Scan page has no scanner field")
    return session


async def scan_loop(
    session: Session, codes: list[str], until: float, think: float, latencies: list[float]
) -> None:
    from workshop import config, i18n

    rng = random.Random(id(session))
    lang = config.default_language()  # the sessions never pick another language
    while time.perf_counter() < until:
        code = rng.choice(codes)
        state = session.scan_state(code)
        took = await session.run([state], wait_for=i18n.translate("scan.crate", lang, code=code))
        latencies.append(took)
        if think:
            await asyncio.sleep(think)


async def drive(url: str, codes: list[str], sessions: int, seconds: float, think: float) -> dict:
    opened = []
    for _ in range(sessions):  # one after the other: sign-in is argon2, slow on purpose
        opened.append(await open_session(url))
    latencies: list[float] = []
    started = time.perf_counter()
    until = started + seconds
    await asyncio.gather(*(scan_loop(s, codes, until, think, latencies) for s in opened))
    took = time.perf_counter() - started
    for s in opened:
        await s.ws.close()
    return {"latencies": latencies, "seconds": took}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--think", type=float, default=0.0, help="pause after each scan (s)")
    parser.add_argument("--crates", type=int, default=2000)
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="bench-load-"))
    db_url = f"sqlite:///{tmp / 'atelier.db'}"
    print(f"seeding {args.crates} crates in {tmp} …", flush=True)
    codes = seed(db_url, args.crates)
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "WORKSHOP_DATABASE_URL": db_url,
        "WORKSHOP_DATA_DIR": str(tmp),
        "WORKSHOP_BASE_URL": url,
    }
    log = open(tmp / "streamlit.log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "streamlit"),
            "run",
            "app.py",
            "--server.headless=true",
            "--server.address=127.0.0.1",
            f"--server.port={port}",
            "--server.fileWatcherType=none",
            "--browser.gatherUsageStats=false",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    rss: list[int] = []
    server_cpu = 0.0
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as resp:
                    if resp.read().strip() == b"ok":
                        break
            except OSError:
                pass
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError("streamlit did not start; see " + str(tmp / "streamlit.log"))
            time.sleep(0.25)
        idle_rss = rss_kb(proc.pid)

        async def sampled() -> dict:
            async def sample() -> None:
                while True:
                    rss.append(rss_kb(proc.pid))
                    await asyncio.sleep(1)

            sampler = asyncio.create_task(sample())
            try:
                return await drive(url, codes, args.sessions, args.seconds, args.think)
            finally:
                sampler.cancel()

        print(f"app on {url} (RSS {idle_rss / 1024:.0f} MB idle); {args.sessions} sessions …")
        result = asyncio.run(sampled())
        server_cpu = cpu_seconds(proc.pid)
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=15)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()

    shutil.rmtree(tmp, ignore_errors=True)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    client_cpu = usage.ru_utime + usage.ru_stime
    lat = [x for x in result["latencies"] if x == x]  # NaN: confirmation never came
    missed = len(result["latencies"]) - len(lat)
    lat.sort()

    def pct(p: float) -> float:
        return lat[min(len(lat) - 1, int(p / 100 * len(lat)))] * 1000 if lat else float("nan")

    print(
        f"\n{args.sessions} sessions, {result['seconds']:.0f} s, think {args.think:g} s: "
        f"{len(result['latencies'])} scans, {len(result['latencies']) / result['seconds']:.1f} "
        f"scans/s sustained, {missed} without confirmation\n"
        f"scan → confirmation: median {statistics.median(lat) * 1000:.0f} ms, "
        f"p95 {pct(95):.0f} ms, p99 {pct(99):.0f} ms, max {lat[-1] * 1000:.0f} ms\n"
        f"server RSS: idle {idle_rss / 1024:.0f} MB, peak {max(rss) / 1024:.0f} MB, "
        f"end {rss[-1] / 1024:.0f} MB\n"
        f"server CPU {server_cpu:.0f} s, this client process CPU {client_cpu:.0f} s "
        f"(seeding included)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

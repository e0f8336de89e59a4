"""End-to-end fixtures: the real app (`streamlit run asgi.py`) and a headless Chromium.

The app runs once per test session on a free port with its own empty SQLite
file, so the first test sees the "create the first admin" screen. Chromium is
Debian's (/usr/bin/chromium): Playwright's own browser download is not used.
Without Chromium the tests are skipped on a laptop but fail under CI (`CI` set),
so CI never passes by skipping them.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT

CHROMIUM = Path(os.environ.get("WORKSHOP_E2E_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]
ARTIFACTS = ROOT / "test-artifacts" / "e2e"
STARTUP_TIMEOUT_S = 60
EXPECT_TIMEOUT_MS = 20_000  # a Streamlit rerun on a busy 2-core CI box can take a few seconds


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects anything
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test under tests/e2e as e2e, so `-m "not e2e"` leaves them all out."""
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.e2e)


def _unavailable(reason: str) -> None:
    """Skip on a laptop; fail under CI, where a skipped browser test would hide a broken setup."""
    if os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no"):
        pytest.fail(f"{reason} (CI is set: e2e tests must run, not skip)", pytrace=False)
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as resp:
            return resp.status == 200 and resp.read().strip() == b"ok"
    except (urllib.error.URLError, OSError):
        return False


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    # Streamlit is started in its own process group: stop it and anything it spawned.
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=10)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(timeout=10)


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Directory for screenshots and the app's log (git-ignored)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob("*.png"):
        old.unlink()
    return ARTIFACTS


@pytest.fixture(scope="session")
def app_database(tmp_path_factory: pytest.TempPathFactory) -> str:
    """URL of the empty SQLite file the app under test uses."""
    return f"sqlite:///{tmp_path_factory.mktemp('e2e-db') / 'atelier.db'}"


@pytest.fixture(scope="session")
def app_engine(app_database: str) -> Iterator[Any]:
    """An engine on the app's database, for tests that seed data with the domain functions.

    Opened like the app opens it (migrated, reference data seeded), so it can come
    before or after the app's first page view.
    """
    from workshop import startup

    engine = startup.open_database(app_database)
    try:
        yield engine
    finally:
        engine.dispose()


@contextmanager
def running_app(database_url: str, data_dir: Path, log_path: Path) -> Iterator[str]:
    """`streamlit run asgi.py` on a free port over `database_url`; yields its base URL."""
    streamlit = Path(sys.executable).parent / "streamlit"
    if not streamlit.exists():
        pytest.fail(f"{streamlit} not found: run `make dev` first", pytrace=False)
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "WORKSHOP_DATABASE_URL": database_url,
        "WORKSHOP_DATA_DIR": str(data_dir),
        "WORKSHOP_BASE_URL": url,
        "WORKSHOP_LANGUAGE": "fr",
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("WORKSHOP_TEST_POSTGRES_URL", None)
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [
                str(streamlit),
                "run",
                "asgi.py",
                "--server.headless",
                "true",
                "--server.address",
                "127.0.0.1",
                "--server.port",
                str(port),
                "--server.fileWatcherType",
                "none",
                "--browser.gatherUsageStats",
                "false",
            ],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while not _healthy(url):
            if proc.poll() is not None:
                pytest.fail(
                    f"streamlit exited with {proc.returncode}:\n{log_path.read_text()[-3000:]}",
                    pytrace=False,
                )
            if time.monotonic() > deadline:
                pytest.fail(
                    f"{url}/_stcore/health did not answer 'ok' within {STARTUP_TIMEOUT_S} s:\n"
                    f"{log_path.read_text()[-3000:]}",
                    pytrace=False,
                )
            time.sleep(0.25)
        yield url
    finally:
        _stop(proc)


@pytest.fixture(scope="session")
def app_url(
    app_database: str, artifacts: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """Base URL of `streamlit run asgi.py` on a free port, stopped at the end of the session."""
    with running_app(
        app_database, tmp_path_factory.mktemp("e2e-data"), artifacts / "streamlit.log"
    ) as url:
        yield url


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Headless Debian Chromium driven by Playwright (sync API)."""
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} not found: install Debian's `chromium` package")
    try:
        from playwright.sync_api import expect, sync_playwright
    except ImportError:
        _unavailable("the `playwright` Python package is not installed (make dev)")
    expect.set_options(timeout=EXPECT_TIMEOUT_MS)
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser: Any, app_url: str) -> Iterator[Any]:
    """A new browser session (fresh Streamlit session state) on the app's home page."""
    context = browser.new_context(
        base_url=app_url, locale="fr-FR", viewport={"width": 1280, "height": 900}
    )
    context.set_default_timeout(EXPECT_TIMEOUT_MS)
    pg = context.new_page()
    try:
        yield pg
    finally:
        context.close()


@pytest.fixture
def shot(page: Any, artifacts: Path) -> Callable[[str], Path]:
    """`shot("step")` saves test-artifacts/e2e/NN-step.png, numbered across the session."""

    def take(step: str) -> Path:
        number = len(list(artifacts.glob("*.png"))) + 1
        path = artifacts / f"{number:02d}-{step}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


# The two screens every user-facing change is tried on.
VIEWPORTS = {"laptop": (1366, 768), "phone": (390, 844)}


@pytest.fixture
def device_page(request: Any, browser: Any, app_url: str) -> Iterator[Any]:
    """A fresh French browser session with the viewport of `request.param` (laptop or
    phone, a phone touch screen), downloads allowed."""
    width, height = VIEWPORTS[request.param]
    phone = request.param == "phone"
    context = browser.new_context(
        base_url=app_url,
        locale="fr-FR",
        viewport={"width": width, "height": height},
        is_mobile=phone,
        has_touch=phone,
        device_scale_factor=2 if phone else 1,
        accept_downloads=True,
    )
    context.set_default_timeout(EXPECT_TIMEOUT_MS)
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()

"""Browser tests: a real `coop serve` on demo data, driven by Debian's chromium.

The server always runs on SQLite in its own temporary folder, even when the
rest of the suite runs against PostgreSQL (COOP_TEST_POSTGRES_URL). Chromium is
the system package at /usr/bin/chromium; Playwright never downloads a browser.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]
VIEWPORT = {"width": 360, "height": 740}
START_TIMEOUT = 20.0

if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)", allow_module_level=True)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _coop_command() -> str:
    return str(Path(sys.executable).with_name("coop"))


def _wait_healthy(url: str, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"coop serve exited with {server.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:  # refused while starting; HTTPError and URLError are OSErrors
            pass
        time.sleep(0.2)
    pytest.fail(
        f"coop serve did not answer /healthz within {START_TIMEOUT:.0f} s:\n{log.read_text()}"
    )


@pytest.fixture(scope="module")
def live_server(tmp_path_factory) -> Iterator[str]:
    """Base URL of a `coop serve` holding fresh demo data, on SQLite in a temporary folder."""
    data_dir = tmp_path_factory.mktemp("browser-server")
    env = dict(os.environ)
    env.pop("COOP_DATABASE_URL", None)
    env["COOP_DATA_DIR"] = str(data_dir)
    env.setdefault("PICCOLO_CONF", "coop.piccolo_conf")
    coop = _coop_command()
    demo = subprocess.run(
        [coop, "demo"], env=env, cwd=data_dir, capture_output=True, text=True, timeout=120
    )
    if demo.returncode != 0:
        pytest.fail(f"coop demo failed:\n{demo.stdout}\n{demo.stderr}")
    port = _free_port()
    log = data_dir / "server.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            [coop, "serve", "--port", str(port)],
            env=env,
            cwd=data_dir,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, server, log)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@pytest.fixture
def browser():
    """Chromium for one test only.

    While Playwright's sync API is open it leaves its event loop marked as running in
    this thread, so any `asyncio.run()` meanwhile fails: the suite's autouse database
    fixture (on PostgreSQL) and every asyncio test after this module. Function scope
    closes it before the next test's fixtures start.
    """
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    """A fresh browser context (no cookies) at phone size, set up like a phone in China.

    Headless chromium otherwise sends `Accept-Language: en-US`, and the app rightly
    answers in English; our users' phones ask for Chinese.
    """
    context = browser.new_context(viewport=VIEWPORT, base_url=live_server, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()

"""Browser tests: a real server process on loopback and Debian's Chromium driven by Playwright,
on a phone-sized viewport. Set VOTE_REQUIRE_BROWSER=1 (``.ci/run`` does) to fail instead of skip
when Chromium is missing.

Playwright's sync API keeps an event loop running in the main thread: to run async code (seeding the
live server's database through the services) use ``vote.lib.aio.run_sync(coro)``, never ``asyncio.run``.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from vote.config import Settings
from vote.db import migrate
from vote.demo.seed import DEMO_PASSWORD, DemoAccount, seed_demo
from vote.lib.aio import run_sync

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
PHONE = "Pixel 7"


@dataclass
class LiveServer:
    """A running ``vote serve`` with the demo community."""

    url: str
    database_url: str
    accounts: dict[str, DemoAccount]
    password: str = DEMO_PASSWORD


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """Migrate and seed a demo database, then serve it from a separate process."""
    data_dir: Path = tmp_path_factory.mktemp("live")
    database_url = f"sqlite+aiosqlite:///{data_dir / 'live.db'}"
    settings = Settings(environment="development", data_dir=data_dir, database_url=database_url, demo_mode=True)
    migrate.upgrade(settings)
    accounts = run_sync(seed_demo(settings))
    port = _free_port()
    env = {**os.environ, "VOTE_DATABASE_URL": database_url, "VOTE_DEMO": "1", "VOTE_DATA_DIR": str(data_dir),
           "VOTE_LOG_LEVEL": "WARNING"}
    log = (data_dir / "server.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "vote", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:  # noqa: S310 - loopback only
                if response.status == 200:
                    break
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError("the live server did not start:\n" + (data_dir / "server.log").read_text())
        time.sleep(0.2)
    yield LiveServer(url=url, database_url=database_url, accounts={a.login: a for a in accounts})
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
    log.close()


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Debian's Chromium, headless, through Playwright."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("VOTE_REQUIRE_BROWSER") == "1":
            pytest.fail(f"{CHROMIUM} is required but missing (apt-get install chromium fonts-noto-cjk)")
        pytest.skip("Debian chromium is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        instance._vote_devices = playwright.devices  # noqa: SLF001 - the device table travels with the browser
        yield instance
        instance.close()


@pytest.fixture
def phone(browser):  # noqa: ANN001, ANN201
    """A fresh phone-sized browser context and page; console errors and CSP violations are collected."""
    device = browser._vote_devices[PHONE]  # noqa: SLF001
    context = browser.new_context(**device, locale="zh-CN")
    page = context.new_page()
    page.console_errors = []  # type: ignore[attr-defined]
    page.on("console", lambda message: message.type == "error" and page.console_errors.append(message.text))
    yield page
    context.close()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Every test in this folder needs the browser."""
    for item in items:
        if "/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)

"""Browser tests: a real server (uvicorn) on the demo port, driven by Debian's Chromium.

A module gets its own server over a copy of one seeded SQLite database (the demo data set
and its sealed trucks), so tests in a file share a port and files do not disturb each
other. Without Chromium the tests skip with a reason; with LANDPORT_REQUIRE_SERVICES=1
(CI) they fail instead.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from landport.adapters.telemetry.embedded import EmbeddedBroker
from landport.adapters.telemetry.ingest import TelemetryIngestor
from landport.bootstrap import Services, bootstrap
from landport.demo.dataset import DEMO_PASSWORD
from landport.demo.port import seed_demo_port as seed_port
from landport.entrypoints.web.app import create_app
from landport.entrypoints.web.ui.assets import VENDOR_FILES, default_vendor_dir
from landport.seals.telemetry import signed, topic_for
from landport.settings import DatabaseSettings, Settings
from landport.shared.clock import SystemClock

REQUIRE_SERVICES = os.environ.get("LANDPORT_REQUIRE_SERVICES") == "1"
CHROMIUM = os.environ.get("LANDPORT_CHROMIUM", "/usr/bin/chromium")
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
#: One demo login per role (the demo's password for all).
LOGINS = {
    "declarant": "zj.lithium",
    "customs_officer": "officer",
    "yard_operator": "yard",
    "border_officer": "border.gyirong",
    "port_admin": "admin",
    "auditor": "auditor",
}


def _unavailable(message: str) -> None:
    if REQUIRE_SERVICES:
        pytest.fail(f"{message} and LANDPORT_REQUIRE_SERVICES=1")
    pytest.skip(message)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def seed_demo_port(url: str) -> None:
    """What `landport demo` does before serving: schema, rules, routes, demo data, trucks."""
    settings = Settings(environment="test", database=DatabaseSettings(url=url))
    seed_port(settings, SystemClock().now())


@dataclass
class LiveServer:
    """A running app: its URL, its services and the telemetry path into it."""

    base_url: str
    services: Services
    app: Any
    server: uvicorn.Server
    thread: threading.Thread
    broker: EmbeddedBroker

    def url(self, path: str) -> str:
        return self.base_url + path

    def token(self, username: str) -> str:
        response = httpx.post(
            self.url("/api/v1/auth/token"), data={"username": username, "password": DEMO_PASSWORD}
        )
        response.raise_for_status()
        token: str = response.json()["access_token"]
        return token

    def headers(self, username: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(username)}"}

    def publish_fix(self, seal_id: str, secret: str, **fields: Any) -> None:
        """A signed e-lock message through the real ingest path (as the demo's transport)."""
        body = {
            "seq": fields.pop("seq"),
            "fix_time": fields.pop("fix_time", datetime.now(UTC))
            .isoformat()
            .replace("+00:00", "Z"),
            "speed_kmh": 0.0,
            "course": 0,
            "lock_state": "locked",
            "tamper": False,
            "battery_pct": 80,
            **fields,
        }
        receipt = self.broker.publish(topic_for(seal_id), json.dumps(signed(body, secret)).encode())
        assert receipt.wait(10), "telemetry batch was not committed in time"
        assert receipt.error is None, receipt.error

    def stop(self) -> None:
        self.broker.stop()
        self.server.should_exit = True
        self.thread.join(timeout=10)


def start_server(url: str) -> LiveServer:
    services = bootstrap(Settings(environment="test", database=DatabaseSettings(url=url)))
    app = create_app(services=services)
    port = free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", timeout_graceful_shutdown=1
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="live-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the live server did not start")
        time.sleep(0.02)
    ingestor = TelemetryIngestor(services.engine, services.clock)
    broker = EmbeddedBroker(ingestor, on_report=app.state.live_events.on_ingest_report)
    return LiveServer(f"http://127.0.0.1:{port}", services, app, server, thread, broker)


@pytest.fixture(scope="session")
def demo_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("demo-port") / "demo.db"
    seed_demo_port(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="module")
def live_server(
    demo_database: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    target = tmp_path_factory.mktemp("port") / "landport.db"
    # SQLite's own backup, not a file copy: it carries whatever still sits in the WAL.
    with (
        closing(sqlite3.connect(demo_database)) as source,
        closing(sqlite3.connect(target)) as copy,
    ):
        source.backup(copy)
    server = start_server(f"sqlite:///{target}")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Per module: Playwright's sync API keeps an event loop running in this thread while it
    is open, which would break later tests (in the same worker) that call asyncio.run."""
    if not Path(CHROMIUM).exists():
        _unavailable(f"Chromium is not installed at {CHROMIUM} (set LANDPORT_CHROMIUM)")
    missing = [n for n, rel in VENDOR_FILES.items() if not (default_vendor_dir() / rel).is_file()]
    if missing:
        _unavailable(f"web UI libraries are not installed ({missing[0]}, ...): run `make assets`")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any, live_server: LiveServer) -> Iterator[Any]:
    """A fresh browser context (no cookies) on a 1920x1080 wall-display viewport."""
    context = browser.new_context(
        base_url=live_server.base_url, viewport={"width": 1920, "height": 1080}, locale="zh-CN"
    )
    context.set_default_timeout(10_000)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    yield tab
    context.close()
    assert not errors, f"script errors on the page: {errors}"


def screenshot(page: Any, name: str) -> Path:
    """Saves var/screenshots/NAME.png (kept as a test artifact)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


# -- basic accessibility checks (WCAG 2.1 AA) -------------------------------------------------

_CONTRAST = """root => {
  const rgb = c => (c.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => [r, g, b].map(v => { v /= 255;
    return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); })
    .reduce((a, v, i) => a + v * [0.2126, 0.7152, 0.0722][i], 0);
  const background = el => {
    for (let e = el; e; e = e.parentElement) {
      const c = rgb(getComputedStyle(e).backgroundColor);
      if (c.length >= 3 && (c.length < 4 || c[3] > 0.5)) return c;
    }
    return [255, 255, 255];
  };
  const failures = [];
  for (const el of document.querySelectorAll(root + ' *')) {
    const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
    const style = getComputedStyle(el);
    if (!own || !el.offsetParent || style.visibility === 'hidden') continue;
    if (el.closest('.leaflet-container canvas, svg')) continue;
    const [a, b] = [lum(rgb(style.color)), lum(background(el))];
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    const size = parseFloat(style.fontSize), bold = Number(style.fontWeight) >= 700;
    const needed = size >= 24 || (bold && size >= 18.66) ? 3 : 4.5;
    if (ratio < needed) failures.push(el.tagName + '.' + el.className + ' "' +
      el.textContent.trim().slice(0, 30) + '" ' + ratio.toFixed(2));
  }
  return failures;
}"""

_UNLABELLED = """() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
  .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
    && !el.getAttribute('aria-labelledby'))
  .map(el => el.name || el.id || el.outerHTML.slice(0, 60))"""


def contrast_failures(page: Any, root: str = "body") -> list[str]:
    """Text under `root` whose contrast with its background is below WCAG AA."""
    failures: list[str] = page.evaluate(_CONTRAST, root)
    return failures


def unlabelled_controls(page: Any) -> list[str]:
    """Form controls a screen reader could not name (no label, aria-label or -labelledby)."""
    found: list[str] = page.evaluate(_UNLABELLED)
    return found


def login(page: Any, username: str, password: str = DEMO_PASSWORD, *, next: str = "") -> None:
    """Logs in through the form as a person would; waits until the login page is left."""
    page.goto("/login" + (f"?next={next}" if next else ""))
    page.get_by_test_id("login-form").locator("#username").fill(username)
    page.locator("#password").fill(password)
    page.locator("#password").press("Enter")
    page.wait_for_url(lambda url: "/login" not in url)


def login_as(page: Any, role: str, *, next: str = "") -> str:
    """Logs in with the demo account of `role`; returns the username."""
    username = LOGINS[role]
    login(page, username, next=next)
    return username


def open_console(page: Any, role: str, *, english: bool = False) -> None:
    """Logs in as `role` and waits until the console's script has attached its handlers."""
    login_as(page, role)
    if english:
        # A link: wait on the navigation and then on a locator, both of which survive the
        # page being replaced (a script predicate can run while there is no document).
        with page.expect_navigation():
            page.get_by_test_id("lang-switch").click()
        page.locator("html[lang=en]").wait_for(state="attached")
    page.locator("body[data-ready]").wait_for(state="attached")


def tamper_where_it_stands(live_server: LiveServer, n: int) -> dict[str, Any]:
    """Demo e-lock EL-000n reports a tamper at its truck's last position; returns the trip
    as the screen lists it."""
    trips = httpx.get(
        live_server.url("/api/v1/screen/trips"), headers=live_server.headers("auditor")
    ).json()["items"]
    seal = f"EL-{n:04d}"
    trip: dict[str, Any] = next(t for t in trips if t["seal_id"] == seal)
    secret = f"demo-device-secret-{n:04d}"
    live_server.publish_fix(
        seal, secret, seq=900_000 + n, lat=trip["lat"], lon=trip["lon"], tamper=True
    )
    return trip


def lodged_and_released(live_server: LiveServer, payload: dict[str, Any]) -> dict[str, Any]:
    """The demo exporter lodges `payload`; if selectivity sent it to a check (the random floor
    picks any declaration now and then), the officer records that check as clean and releases
    it, as at the port. Returns the released declaration."""
    declarant = live_server.headers(LOGINS["declarant"])
    officer = live_server.headers(LOGINS["customs_officer"])
    lodged = httpx.post(
        live_server.url("/api/v1/declarations?submit=true"), json=payload, headers=declarant
    )
    assert lodged.status_code == 201, lodged.text
    declaration: dict[str, Any] = lodged.json()
    if declaration["status"] == "released":
        return declaration
    check = {"document_check": "document_check", "examination": "physical_examination"}
    assert declaration["status"] in check, declaration
    started = datetime.fromisoformat(declaration["created_at"])  # checked as lodged
    record = {
        "kind": check[declaration["status"]],
        "result": "conform",
        "started_at": started.isoformat(),
        "finished_at": (started + timedelta(minutes=2)).isoformat(),
        "findings": "goods and papers agree with the declaration",
    }
    path = f"/api/v1/declarations/{declaration['id']}"
    recorded = httpx.post(live_server.url(f"{path}/inspections"), json=record, headers=officer)
    assert recorded.status_code == 201, recorded.text
    released = httpx.post(live_server.url(f"{path}/release"), json={}, headers=officer)
    assert released.status_code == 200 and released.json()["status"] == "released", released.text
    out: dict[str, Any] = released.json()
    return out

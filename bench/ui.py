"""The big screen in Chromium: how fast it shows the port, and how fast an alert reaches it.

- `screen_load_ms`: navigation start to the headline figures rendered (the screen's
  `lp-figures` performance mark, its first meaningful paint), several cold loads (a new
  browser context each, so nothing is cached): median and p95. Baseline in the same run:
  the login page's DOMContentLoaded.
- `event_to_screen_p95_ms`: an e-lock reports tamper (a signed message through the real
  ingest path: verify, store, monitor, commit), until the flashing alert is in the screen's
  DOM (a MutationObserver stamps it). Baseline: the same alert read from the event stream
  by a plain HTTP client, no browser.

The server runs in this process, as in `make demo`, with the digital twin at 60x when it is
available (`"load"` says which). Prints one JSON object.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from _support import free_port, log

from landport.adapters.telemetry.embedded import EmbeddedBroker
from landport.adapters.telemetry.ingest import TelemetryIngestor
from landport.bootstrap import Services, bootstrap
from landport.demo.dataset import DEMO_PASSWORD
from landport.demo.port import seed_demo_port
from landport.entrypoints.web.app import create_app
from landport.seals.telemetry import canonical, topic_for, with_signature
from landport.settings import DatabaseSettings, Settings
from landport.shared.clock import SystemClock
from landport.shared.stats import percentile

CHROMIUM = os.environ.get("LANDPORT_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LOADS = 9
ALERTS = 25
SPEED = 60.0
SEAL, SECRET = "EL-0001", "demo-device-secret-0001"


def pct(values: list[float], q: float) -> float:
    """The platform's percentile (q as a fraction), to 0.1 ms."""
    return round(percentile(values, q * 100) or 0.0, 1)


def seed_port(url: str) -> None:
    """The port `landport demo` serves."""
    seed_demo_port(Settings(database=DatabaseSettings(url=url)), SystemClock().now())


def start_twin(url: str) -> tuple[Services, Any, str]:
    """The platform wired as `landport demo` does, with the twin at 60x if it is there."""
    settings = Settings(database=DatabaseSettings(url=url))
    try:
        from landport.demo.live import LiveTwin, live_clock
        from landport.simulation.scenario import load_scenario
    except ImportError as exc:
        log(f"digital twin not available ({exc}): alerts are injected on an idle port")
        return bootstrap(settings), None, "injected telemetry only (digital twin not available)"
    plan = load_scenario(None)
    env, clock = live_clock(SystemClock().now(), SPEED)
    services = bootstrap(settings, clock=clock)
    return services, (LiveTwin, plan, env, clock), f"digital twin at {SPEED:g}x ({plan.name})"


def serve(app: Any) -> tuple[uvicorn.Server, int]:
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, port=port, log_level="warning", timeout_graceful_shutdown=1)
    )
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.02)
    return server, port


def fix(seq: int, at: datetime, position: dict[str, Any], tamper: bool) -> bytes:
    body = {
        "seq": seq,
        "fix_time": at.isoformat().replace("+00:00", "Z"),
        "lat": position["lat"],
        "lon": position["lon"],
        "speed_kmh": 0.0,
        "course": 0,
        "lock_state": "locked",
        "tamper": tamper,
        "battery_pct": 80,
    }
    return with_signature(canonical(body), SECRET)


WATCH = """prefix => {
  window.__seen = {};
  new MutationObserver(() => {
    for (const el of document.querySelectorAll('.alert-item.flash')) {
      const id = el.dataset.alertId;
      if (id.startsWith(prefix) && !(id in window.__seen)) window.__seen[id] = Date.now();
    }
  }).observe(document.getElementById('alert-list'), {childList: true, subtree: true});
}"""


def main() -> None:
    if not Path(CHROMIUM).exists():  # `make bench` still runs the others on such a machine
        print(json.dumps({"skipped": f"Chromium not found at {CHROMIUM} (LANDPORT_CHROMIUM)"}))
        return
    from playwright.sync_api import sync_playwright

    folder = Path(tempfile.mkdtemp(prefix="landport-ui-bench-"))
    url = f"sqlite:///{folder / 'port.db'}"
    log("seeding the demo port ...")
    seed_port(url)
    services, twin_parts, load = start_twin(url)
    app = create_app(services=services)
    hub = app.state.live_events
    twin = None
    if twin_parts is not None:
        live_twin, plan, env, clock = twin_parts
        twin = live_twin(services, plan, env, clock, seed=7, on_report=hub.on_ingest_report)
        twin.start()
    server, port = serve(app)
    base = f"http://127.0.0.1:{port}"
    broker = EmbeddedBroker(
        TelemetryIngestor(services.engine, services.clock), on_report=hub.on_ingest_report
    )
    token = httpx.post(
        f"{base}/api/v1/auth/token", data={"username": "auditor", "password": DEMO_PASSWORD}
    ).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    trip = next(
        t
        for t in httpx.get(f"{base}/api/v1/screen/trips", headers=headers).json()["items"]
        if t["seal_id"] == SEAL
    )
    seq = [2_000_000]
    last = [datetime.now(UTC)]

    def raise_alert() -> float:
        """Tamper off then on: a new alert each time; returns the wall time of the publish."""
        for tamper in (False, True):
            seq[0] += 1
            last[0] = max(last[0] + timedelta(seconds=1), datetime.now(UTC))
            sent = time.time() * 1000
            receipt = broker.publish(topic_for(SEAL), fix(seq[0], last[0], trip, tamper))
        receipt.wait(10)
        return sent

    result: dict[str, Any] = {"load": load}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        login_ms, loads, paints = [], [], []
        for _ in range(LOADS):
            context = browser.new_context(viewport={"width": 1920, "height": 1080}, base_url=base)
            page = context.new_page()
            page.goto("/login")
            login_ms.append(
                page.evaluate(
                    "performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd"
                )
            )
            page.fill("#username", "auditor")
            page.fill("#password", DEMO_PASSWORD)
            page.press("#password", "Enter")
            page.wait_for_url("**/screen")
            page.wait_for_selector("body[data-loaded=true]")
            page.goto("/screen")  # measured: a fresh navigation with the session cookie
            page.wait_for_selector("body[data-loaded=true]")
            loads.append(page.evaluate("performance.getEntriesByName('lp-figures')[0].startTime"))
            fcp = page.evaluate(
                "(performance.getEntriesByName('first-contentful-paint')[0] || {}).startTime"
            )
            if fcp:
                paints.append(fcp)
            context.close()
        result.update(
            screen_load_ms=round(statistics.median(loads), 1),
            screen_load_p95_ms=pct(loads, 0.95),
            screen_first_contentful_paint_ms=round(statistics.median(paints), 1)
            if paints
            else None,
            baseline_login_page_ms=round(statistics.median(login_ms), 1),
            screen_loads=LOADS,
        )

        context = browser.new_context(viewport={"width": 1920, "height": 1080}, base_url=base)
        page = context.new_page()
        page.goto("/login")
        page.fill("#username", "auditor")
        page.fill("#password", DEMO_PASSWORD)
        page.press("#password", "Enter")
        page.wait_for_selector("#live-status[data-state=live]")
        page.evaluate(WATCH, f"{trip['trip_id']}:tamper:")
        latencies = []
        for n in range(ALERTS):
            before = page.evaluate("Object.keys(window.__seen).length")
            sent = raise_alert()
            page.wait_for_function(f"Object.keys(window.__seen).length > {before}", timeout=10_000)
            seen = page.evaluate("Math.max(...Object.values(window.__seen))")
            latencies.append(seen - sent)
            time.sleep(0.2)
            if n % 10 == 9:
                log(f"{n + 1} alerts measured")
        context.close()
        browser.close()
    result.update(
        event_to_screen_p50_ms=round(statistics.median(latencies), 1),
        event_to_screen_p95_ms=pct(latencies, 0.95),
        event_to_screen_max_ms=round(max(latencies), 1),
        alerts=ALERTS,
        baseline_event_to_stream_p95_ms=stream_baseline(base, headers, raise_alert),
        events_published=hub.stats()["published"],
        events_dropped=hub.stats()["dropped"],
    )
    broker.stop()
    if twin is not None:
        twin.stop()
    server.should_exit = True
    services.dispose()
    shutil.rmtree(folder, ignore_errors=True)
    print(json.dumps(result))


def stream_baseline(base: str, headers: dict[str, str], raise_alert: Any) -> float:
    """The same alert read off the event stream by a plain client: the server's share."""
    latencies: list[float] = []
    with httpx.stream("GET", f"{base}/api/v1/events/stream", headers=headers, timeout=30) as r:
        lines = r.iter_lines()
        for _ in range(10):
            sent = raise_alert()
            for line in lines:
                if line == "event: alert.opened":
                    latencies.append(time.time() * 1000 - sent)
                    break
    return pct(latencies, 0.95)


if __name__ == "__main__":
    main()

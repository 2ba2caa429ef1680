"""The live event stream over a real server: who hears what, and how fast."""

from __future__ import annotations

import json
import queue
import threading
import time
from typing import Any

import httpx

from browser.conftest import LiveServer
from goods import furniture_payload
from landport.demo.dataset import ENTERPRISES


class Listener:
    """Reads one event stream on a thread, as a browser's EventSource would."""

    def __init__(self, server: LiveServer, username: str) -> None:
        self.events: queue.Queue[tuple[float, str, dict[str, Any]]] = queue.Queue()
        self.connected = threading.Event()
        self._stop = False
        headers = server.headers(username)
        self._thread = threading.Thread(
            target=self._run, args=(server.url("/api/v1/events/stream"), headers), daemon=True
        )
        self._thread.start()
        assert self.connected.wait(5), "the stream did not open"

    def _run(self, url: str, headers: dict[str, str]) -> None:
        try:
            self._read(url, headers)
        except httpx.HTTPError:
            if not self._stop:  # the server going away after the test is expected
                raise

    def _read(self, url: str, headers: dict[str, str]) -> None:
        with httpx.stream("GET", url, headers=headers, timeout=30) as response:
            assert response.headers["content-type"].startswith("text/event-stream")
            self.connected.set()
            name = ""
            for line in response.iter_lines():
                if self._stop:
                    return
                if line.startswith("event: "):
                    name = line[7:]
                elif line.startswith("data: "):
                    self.events.put((time.perf_counter(), name, json.loads(line[6:])))

    def lodged(self, within: float) -> list[tuple[float, dict[str, Any]]]:
        found, deadline = [], time.monotonic() + within
        while time.monotonic() < deadline:
            try:
                at, name, data = self.events.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                break
            if name == "declaration.lodged":
                found.append((at, data))
        return found

    def stop(self) -> None:
        self._stop = True


def _lodge(server: LiveServer, enterprise: Any) -> str:
    response = httpx.post(
        server.url("/api/v1/declarations?submit=true"),
        json=furniture_payload(consignor_uscc=enterprise.uscc),
        headers=server.headers(enterprise.declarant),
    )
    assert response.status_code == 201, response.text
    declaration_id: str = response.json()["id"]
    return declaration_id


def test_a_declarant_hears_only_its_own_lodgements_and_an_officer_hears_all_within_a_second(
    live_server: LiveServer,
) -> None:
    """Delivery latency: from each lodgement's answer (committed) to its event; an event may
    arrive before the answer. The lodgements' own time is not bounded here."""
    mine, other = ENTERPRISES[0], ENTERPRISES[1]
    declarant = Listener(live_server, mine.declarant)
    officer = Listener(live_server, "officer")
    own_id = _lodge(live_server, mine)
    own_lodged = time.perf_counter()  # committed: the event may already be on its way
    other_id = _lodge(live_server, other)
    other_lodged = time.perf_counter()
    officer_saw = officer.lodged(within=2.0)
    declarant_saw = declarant.lodged(within=0.5)
    assert [d["declaration_id"] for _, d in officer_saw] == [own_id, other_id]
    assert [d["declaration_id"] for _, d in declarant_saw] == [own_id]
    # Delivery, not the lodgement's own time: each event within a second of its commit.
    (own_heard, _), (other_heard, _) = officer_saw
    assert own_heard - own_lodged < 1.0 and other_heard - other_lodged < 1.0
    assert declarant_saw[0][0] - own_lodged < 1.0
    declarant.stop()
    officer.stop()


def test_the_stream_needs_a_login(live_server: LiveServer) -> None:
    assert httpx.get(live_server.url("/api/v1/events/stream")).status_code == 401


def test_the_stream_statistics_count_events_and_subscribers(live_server: LiveServer) -> None:
    stats = httpx.get(
        live_server.url("/api/v1/events/stats"), headers=live_server.headers("auditor")
    ).json()
    assert set(stats) == {"published", "subscribers", "dropped"}

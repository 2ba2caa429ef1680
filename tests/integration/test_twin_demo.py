"""The live demo: the twin runs inside the server process and the API shows the port moving."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from landport.demo.live import LiveTwin, live_clock
from landport.simulation.scenario import load_scenario
from world import World

MORNING = datetime(2026, 3, 3, 1, 30, tzinfo=UTC)  # 09:30 Beijing: the lanes are open


@pytest.fixture
def live(sqlite_url: str) -> Iterator[tuple[World, LiveTwin]]:
    env, clock = live_clock(MORNING, speed=1200.0)  # a simulated hour in three seconds
    world = World(sqlite_url, clock=clock)
    twin = LiveTwin(
        world.services, replace(load_scenario(), trucks_per_day=200), env, clock, seed=5
    )
    twin.start()
    yield world, twin
    twin.stop()
    world.close()


def _statuses(world: World) -> dict[str, int]:
    response = world.get("officer", "/api/v1/visits")
    assert response.status_code == 200, response.text
    counts: dict[str, int] = {}
    for item in response.json()["items"]:
        counts[item["status"]] = counts.get(item["status"], 0) + 1
    return counts


def _wait_for(check: Any, timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.5)
    raise AssertionError("the port did not come alive in time")


def test_the_twin_in_the_server_makes_the_api_show_trucks_moving(
    live: tuple[World, LiveTwin],
) -> None:
    world, twin = live
    first = _wait_for(lambda: (s := _statuses(world)) and sum(s.values()) >= 3 and s)
    left = {"parked", "departure_scheduled", "gated_out", "on_trip"}
    later = _wait_for(lambda: (s := _statuses(world)) != first and left & set(s) and s)
    assert sum(later.values()) >= sum(first.values())
    status = twin.status()
    assert status["running"] and status["error"] is None
    assert status["trucks_declared"] >= 3
    assert status["alerts_acknowledged"] >= 0 and status["alerts_resolved"] >= 0
    assert twin.twin.desk is not None  # monitoring officers watch the live alerts
    # The API and the twin read one clock: the server's "now" is the simulated time.
    assert world.services.clock.now() > MORNING


def test_the_api_answers_while_the_twin_runs(live: tuple[World, LiveTwin]) -> None:
    world, _ = live
    _wait_for(lambda: sum(_statuses(world).values()) >= 2)
    slowest = 0.0
    for _ in range(10):
        started = time.perf_counter()
        assert world.get("officer", "/api/v1/visits").status_code == 200
        slowest = max(slowest, time.perf_counter() - started)
    assert slowest < 2.0


def test_a_stopped_twin_stops_its_thread(live: tuple[World, LiveTwin]) -> None:
    _, twin = live
    assert twin.running
    twin.stop()
    assert not twin.running


def test_a_warmed_up_port_opens_full_and_then_keeps_real_time(sqlite_url: str) -> None:
    """The demo simulates the night before at full speed: when the doors open the yard has
    trucks and the corridors e-locks reporting, and from then on the clock is paced again
    (not asleep for the hours already simulated)."""
    start = MORNING - timedelta(hours=20)
    env, clock = live_clock(start, speed=1200.0)
    world = World(sqlite_url, clock=clock)
    twin = LiveTwin(
        world.services, replace(load_scenario(), trucks_per_day=120), env, clock, seed=5
    )
    try:
        ticks: list[float] = []
        twin.warm_up(MORNING, progress=ticks.append)
        assert abs((clock.now() - MORNING).total_seconds()) < 600
        assert ticks[-1] == 1.0 and ticks == sorted(ticks)
        assert sum(_statuses(world).values()) >= 20  # a day's trucks came in
        trips = world.get("officer", "/api/v1/trips").json()["items"]
        assert trips and all(t["seal_id"].startswith("TWIN-") for t in trips)
        twin.start()
        opened = clock.now()
        time.sleep(2.0)
        moved = (clock.now() - opened).total_seconds()
        assert 600 < moved < 4 * 3600  # about 40 simulated minutes in two seconds
        assert twin.status()["error"] is None
    finally:
        twin.stop()
        world.close()

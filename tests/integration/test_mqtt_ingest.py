"""Telemetry through a real Mosquitto (production configuration) into the database.

Nothing accepted is lost: a worker killed mid-stream resumes from the broker's redelivery,
duplicates change nothing, and two workers sharing the subscription keep each trip right.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from broker import INGEST, WEB, publish_all, publisher, subscribe_granted
from builders import declarant
from goods import furniture_payload
from landport.adapters.db import tables as t
from landport.adapters.telemetry.ingest import TelemetryIngestor
from landport.adapters.telemetry.mqtt_worker import ALERT_EVENTS, IngestWorker, WorkerOptions
from landport.declarations.commands import DeclareExport
from landport.enterprises.model import Actor, Role
from landport.seals.commands import ArmSeal, RegisterSeal
from landport.shared.clock import FixedClock
from signed import SECRET, message
from tracks import T0, LockOpen, build_track, shipped_corridors
from world import World

# The worker processes judge silence and lateness by the wall clock: the trucks drove the
# corridor during the last hours and arrive at the border just now.
_DURATION = build_track(shipped_corridors()["shigatse-gyirong"]).end - T0
START = datetime.now(UTC).replace(microsecond=0) - _DURATION - timedelta(minutes=5)

LANDPORT = str(Path(sys.executable).with_name("landport"))
OFFICER = Actor("officer", Role.CUSTOMS_OFFICER)


def arm(world: World, seal_id: str, plate: str) -> str:
    bus = world.services.bus
    bus.handle(RegisterSeal(OFFICER, seal_id, "generic", "json-mqtt", SECRET))
    payload = furniture_payload(vehicle_plate=plate)
    released = bus.handle(DeclareExport(declarant(), payload, submit=True)).result
    return str(bus.handle(ArmSeal(OFFICER, seal_id, released.id, "shigatse-gyirong")).result.id)


@pytest.fixture
def port_world(database_url: str) -> Iterator[World]:
    world = World(database_url, clock=FixedClock(START))
    world.without_random_selection()
    yield world
    world.close()


def count(world: World, table: object = t.positions) -> int:
    with world.services.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def wait_for(
    condition: Callable[[], bool],
    timeout: float = 90.0,
    on_timeout: Callable[[], object] | None = None,
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting: {on_timeout() if on_timeout else ''}")


@contextmanager
def worker_thread(
    world: World, broker_port: int, clock: FixedClock, name: str, protocol: str = "3.1.1"
) -> Iterator[IngestWorker]:
    """An ingest worker in this process, logged in as the workers are, in a group of its own;
    stopped when the block ends."""
    stamp = time.time_ns()
    worker = IngestWorker(
        TelemetryIngestor(world.services.engine, clock),
        WorkerOptions(
            port=broker_port,
            client_id=f"w-{name}-{stamp}",
            group=f"{name}-{os.getpid()}-{stamp}",
            protocol=protocol,
            username=INGEST[0],
            password=INGEST[1],
        ),
    )
    worker.start()
    assert worker.wait_subscribed()
    done = threading.Event()
    runner = threading.Thread(target=worker.run, kwargs={"until": done.is_set}, daemon=True)
    runner.start()
    try:
        yield worker
    finally:
        done.set()
        runner.join(timeout=10)
        worker.stop()


def track_messages(seal_id: str, interval_s: float = 120.0) -> list[tuple[str, bytes]]:
    track = build_track(
        shipped_corridors()["shigatse-gyirong"],
        seal_id=seal_id,
        interval_s=interval_s,
        start=START,
    )
    return [(m.topic, m.payload) for m in (message(f) for f in track.fixes)]


@pytest.mark.parametrize("protocol", ["3.1.1", "5"])
def test_a_worker_ingests_what_devices_publish(
    port_world: World, broker_port: int, protocol: str
) -> None:
    trip_id = arm(port_world, "SEAL-0001", "藏D12345")
    clock = port_world.services.clock
    assert isinstance(clock, FixedClock)
    clock.advance(
        build_track(shipped_corridors()["shigatse-gyirong"], start=START).end - clock.now()
    )
    messages = track_messages("SEAL-0001")
    with worker_thread(port_world, broker_port, clock, "inproc", protocol) as worker:
        device = publisher(broker_port)
        publish_all(device, messages)
        wait_for(lambda: worker.stats.accepted == len(messages), on_timeout=lambda: worker.stats)
    device.loop_stop()
    assert count(port_world) == len(messages)
    with port_world.services.engine.connect() as conn:
        state = conn.execute(select(t.trips.c.state).where(t.trips.c.id == trip_id)).scalar_one()
        alerts = conn.execute(select(func.count()).select_from(t.alerts)).scalar_one()
    assert state == "at_border" and alerts == 0


def _worker(url: str, port: int, client_id: str, group: str) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "LANDPORT_DATABASE__URL": url,
        "LANDPORT_MQTT__PORT": str(port),
        "LANDPORT_MQTT__GROUP": group,
        "LANDPORT_MQTT__USERNAME": INGEST[0],
        "LANDPORT_MQTT__PASSWORD": INGEST[1],
    }
    worker = subprocess.Popen(
        [LANDPORT, "telemetry", "listen", "--client-id", client_id, "--batch", "200"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    subscribed = threading.Event()

    def drain() -> None:  # the log line says the broker granted the subscription
        assert worker.stderr is not None
        for line in worker.stderr:
            if "subscribed to" in line:
                subscribed.set()

    threading.Thread(target=drain, daemon=True).start()
    if not subscribed.wait(60):
        worker.kill()
        raise AssertionError(f"worker {client_id} did not subscribe within 60 s")
    return worker


def test_a_worker_killed_mid_stream_loses_nothing(
    port_world: World, broker_port: int, database_url: str
) -> None:
    port_world.services.bus.handle(
        RegisterSeal(OFFICER, "SEAL-0002", "generic", "json-mqtt", SECRET)
    )
    group = f"kill-{time.time_ns()}"
    messages = track_messages("SEAL-0002", interval_s=20)  # ~2,000 fixes
    worker = _worker(database_url, broker_port, "w-kill", group)  # subscribed before the burst
    try:
        device = publisher(broker_port, "gw-kill")
        sender = threading.Thread(target=publish_all, args=(device, messages))
        sender.start()
        wait_for(lambda: count(port_world) > 200, timeout=60)
        worker.send_signal(signal.SIGKILL)  # no goodbye, mid-batch
        worker.wait(timeout=10)
        stored_at_kill = count(port_world)
        assert stored_at_kill < len(messages)
        sender.join(timeout=60)
        worker = _worker(database_url, broker_port, "w-kill", group)  # same session resumes
        wait_for(lambda: count(port_world) == len(messages), timeout=90)
        device.loop_stop()
    finally:
        worker.terminate()
        worker.wait(timeout=10)
    assert count(port_world) == len(messages)
    assert count(port_world, t.telemetry_rejects) == 0


def test_two_workers_keep_every_trip_right(
    port_world: World, broker_port: int, database_url: str
) -> None:
    trips = [arm(port_world, f"SEAL-10{i}", f"藏D1000{i}") for i in range(2)]
    group = f"two-{time.time_ns()}"
    streams = [track_messages(f"SEAL-10{i}", interval_s=120) for i in range(2)]
    interleaved = [m for pair in zip(*streams, strict=False) for m in pair]
    workers = [_worker(database_url, broker_port, f"w-two-{i}", group) for i in range(2)]
    try:
        device = publisher(broker_port, "gw-two")
        publish_all(device, interleaved)
        wait_for(lambda: count(port_world) == len(interleaved), timeout=120)
        device.loop_stop()
        time.sleep(0.5)
    finally:
        for w in workers:
            w.terminate()
            w.wait(timeout=10)
    with port_world.services.engine.connect() as conn:
        states = [
            conn.execute(select(t.trips.c.state).where(t.trips.c.id == trip)).scalar_one()
            for trip in trips
        ]
        alerts = conn.execute(select(func.count()).select_from(t.alerts)).scalar_one()
    assert states == ["at_border", "at_border"]
    assert alerts == 0


def test_alerts_are_pushed_as_events_after_the_commit(port_world: World, broker_port: int) -> None:
    trip_id = arm(port_world, "SEAL-0003", "藏D23456")
    clock = port_world.services.clock
    assert isinstance(clock, FixedClock)
    track = build_track(
        shipped_corridors()["shigatse-gyirong"],
        seal_id="SEAL-0003",
        start=START,
        interval_s=300,
        lock_opens=[LockOpen(at_km=100.0)],
    )
    clock.advance(track.end - clock.now())
    received: list[dict[str, object]] = []
    listener = publisher(broker_port, f"screen-{time.time_ns()}", WEB)
    listener.on_message = lambda _c, _u, m: received.append(json.loads(m.payload))
    subscribe_granted(listener, ALERT_EVENTS)
    with worker_thread(port_world, broker_port, clock, "ev"):
        device = publisher(broker_port, f"gw-ev-{time.time_ns()}")
        publish_all(device, [(m.topic, m.payload) for m in map(message, track.fixes)])
        wait_for(lambda: any(e.get("kind") == "seal_opened" for e in received), timeout=60)
    for client in (device, listener):
        client.loop_stop()
    opened = next(e for e in received if e.get("kind") == "seal_opened")
    assert opened["action"] == "opened" and opened["trip_id"] == trip_id
    with port_world.services.engine.connect() as conn:  # the event follows the commit
        stored = conn.execute(select(t.alerts.c.kind).where(t.alerts.c.trip_id == trip_id))
        assert "seal_opened" in {r[0] for r in stored}


def test_messages_no_batch_can_store_are_kept_aside_and_the_rest_flow(
    port_world: World, broker_port: int
) -> None:
    """A trip whose sealed route version is missing from the database (restored from an
    incomplete backup) fails every batch holding its lock's messages. The worker splits such a
    batch until each of those messages is alone, keeps them as dead letters, and goes on: the
    other lock's fixes are all stored, nothing is held back for ever."""
    healthy = arm(port_world, "SEAL-0001", "藏D12345")
    broken = arm(port_world, "SEAL-0002", "藏D12346")
    with port_world.services.engine.begin() as conn:
        conn.execute(update(t.trips).where(t.trips.c.id == broken).values(route_version=999))
    clock = port_world.services.clock
    assert isinstance(clock, FixedClock)
    clock.advance(
        build_track(shipped_corridors()["shigatse-gyirong"], start=START).end - clock.now()
    )
    good = track_messages("SEAL-0001")
    bad = track_messages("SEAL-0002")[:6]
    mixed = [*good[:20], *bad[:3], *good[20:40], *bad[3:], *good[40:]]
    with worker_thread(port_world, broker_port, clock, "dl") as worker:
        device = publisher(broker_port, f"dl-dev-{time.time_ns()}")
        publish_all(device, mixed)
        wait_for(
            lambda: worker.stats.accepted == len(good) and worker.stats.rejected == len(bad),
            on_timeout=lambda: worker.stats,
        )
    device.loop_stop()
    assert count(port_world) == len(good)
    r = t.telemetry_rejects.c
    with port_world.services.engine.connect() as conn:
        kept = conn.execute(select(r.seal_id, r.reason, r.payload)).all()
        state = conn.execute(select(t.trips.c.state).where(t.trips.c.id == healthy)).scalar_one()
    assert {(seal, reason) for seal, reason, _ in kept} == {("SEAL-0002", "unstorable:LookupError")}
    assert sorted(p for _, _, p in kept) == sorted(body.decode() for _, body in bad)
    assert state == "at_border"

"""Telemetry through a real Mosquitto (production configuration) into the database.

Nothing accepted is lost: a worker killed mid-stream resumes from the broker's redelivery
(under the client id it had, which its default is), duplicates change nothing, two workers
sharing the subscription keep each trip right, two under one client id do not fight over
its session, and dead letters are replayed once what refused them is put right.
"""

from __future__ import annotations

import json
import os
import signal
import socket
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
from landport.adapters.db.audit import verify_audit
from landport.adapters.telemetry.ingest import TelemetryIngestor
from landport.adapters.telemetry.mqtt_worker import (
    ALERT_EVENTS,
    CLASH_WINDOW_S,
    IngestWorker,
    WorkerOptions,
)
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
    world: World,
    broker_port: int,
    clock: FixedClock,
    name: str,
    protocol: str = "3.1.1",
    *,
    client_id: str | None = None,
    group: str | None = None,
) -> Iterator[IngestWorker]:
    """An ingest worker in this process, logged in as the workers are, in a group and under a
    client id of its own unless told; stopped when the block ends."""
    stamp = time.time_ns()
    worker = IngestWorker(
        TelemetryIngestor(world.services.engine, clock),
        WorkerOptions(
            port=broker_port,
            client_id=client_id or f"w-{name}-{stamp}",
            group=group or f"{name}-{os.getpid()}-{stamp}",
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


def _env(url: str, port: int, group: str) -> dict[str, str]:
    return {
        **os.environ,
        "LANDPORT_DATABASE__URL": url,
        "LANDPORT_MQTT__PORT": str(port),
        "LANDPORT_MQTT__GROUP": group,
        "LANDPORT_MQTT__USERNAME": INGEST[0],
        "LANDPORT_MQTT__PASSWORD": INGEST[1],
        "NO_COLOR": "1",
        "COLUMNS": "2000",
    }


def _listen(client_id: str | None, *args: str) -> list[str]:
    """`landport telemetry listen`, under `client_id` or else its default id."""
    named = ["--client-id", client_id] if client_id else []
    return [LANDPORT, "telemetry", "listen", *named, "--batch", "200", *args]


def _worker(
    url: str, port: int, client_id: str | None, group: str, *args: str
) -> subprocess.Popen[str]:
    worker = subprocess.Popen(
        _listen(client_id, *args),
        env=_env(url, port, group),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    subscribed = threading.Event()
    said: list[str] = []
    worker.said = said  # type: ignore[attr-defined]  # what it wrote on stderr

    def drain() -> None:  # the log line says the broker granted the subscription
        assert worker.stderr is not None
        for line in worker.stderr:
            said.append(line)
            if "subscribed to" in line:
                subscribed.set()

    threading.Thread(target=drain, daemon=True).start()
    if not subscribed.wait(60):
        worker.kill()
        raise AssertionError(f"worker {client_id or args} did not subscribe within 60 s")
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


def test_a_worker_stopped_by_sigterm_finishes_its_batch_and_reports_the_counts(
    port_world: World, broker_port: int, database_url: str
) -> None:
    """A service manager's stop: the worker exits cleanly and says what it received, stored,
    took as duplicates and kept as dead letters, so an operator can check a redelivery."""
    port_world.services.bus.handle(
        RegisterSeal(OFFICER, "SEAL-0003", "generic", "json-mqtt", SECRET)
    )
    messages = track_messages("SEAL-0003", interval_s=600)
    topic, payload = messages[0]
    forged = (topic, payload.replace(b'"sig":"', b'"sig":"0', 1)[:-3] + b'"}')
    sent = [*messages, messages[0], messages[1], forged]  # two repeats, one forgery
    group = f"term-{time.time_ns()}"
    worker = _worker(database_url, broker_port, "w-term", group)
    try:
        device = publisher(broker_port, "gw-term")
        publish_all(device, sent)
        wait_for(lambda: count(port_world, t.telemetry_rejects) == 1, timeout=60)
        wait_for(lambda: count(port_world) == len(messages), timeout=60)
        device.loop_stop()
        time.sleep(0.5)
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=20) == 0
    finally:
        if worker.poll() is None:
            worker.kill()
    time.sleep(0.2)  # the drain thread has read the last line
    last = worker.said[-1]  # type: ignore[attr-defined]
    assert "w-term stopped" in last
    assert f"received {len(sent)}, stored {len(messages)}, duplicates 2, refused 1" in last


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


def test_a_worker_restarted_without_a_client_id_resumes_its_session(
    port_world: World, broker_port: int, database_url: str
) -> None:
    """A worker started as the docs say (no --client-id) is `<group>-<host>-<slot>`, the same
    after a restart: killed mid-stream and started again, it resumes its session, so what the
    broker held for it (unacknowledged when it died, queued while it was away) is read, not
    left in an orphaned session to expire."""
    port_world.services.bus.handle(
        RegisterSeal(OFFICER, "SEAL-0002", "generic", "json-mqtt", SECRET)
    )
    group = f"restart-{time.time_ns()}"
    messages = track_messages("SEAL-0002", interval_s=20)
    worker = _worker(database_url, broker_port, None, group)
    try:
        device = publisher(broker_port, f"gw-restart-{time.time_ns()}")
        sender = threading.Thread(target=publish_all, args=(device, messages))
        sender.start()
        wait_for(lambda: count(port_world) > 200, timeout=60)
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
        assert count(port_world) < len(messages)
        sender.join(timeout=60)
        worker = _worker(database_url, broker_port, None, group)
        wait_for(lambda: count(port_world) == len(messages), timeout=90)
        device.loop_stop()
    finally:
        worker.terminate()
        worker.wait(timeout=10)
    assert count(port_world, t.telemetry_rejects) == 0


def _refused_for_its_client_id(done: tuple[int | None, str], option: str, client_id: str) -> None:
    """Exit 2, no traceback, the English and the Chinese message naming the option and the
    client id."""
    code, stderr = done
    assert code == 2 and "Traceback" not in stderr, (code, stderr)
    line = next((x for x in stderr.splitlines() if x.startswith(f"  - {option}: ")), None)
    assert line is not None, stderr
    en, zh = line.removeprefix(f"  - {option}: ").split(" / ", 1)
    assert en.startswith(f"{option} gives the client id {client_id},"), en
    assert f"give each worker its own {option}" in en, en
    assert zh.startswith(f"{option} ") and client_id in zh and "请为每个进程指定不同的" in zh, zh


def test_a_second_worker_on_the_same_slot_is_refused_and_the_first_keeps_ingesting(
    port_world: World, broker_port: int, database_url: str
) -> None:
    trip_id = arm(port_world, "SEAL-0001", "藏D12345")
    group = f"slot-{time.time_ns()}"
    first = _worker(database_url, broker_port, None, group, "--slot", "3")
    try:
        second = subprocess.run(
            _listen(None, "--slot", "3"),
            env=_env(database_url, broker_port, group),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        _refused_for_its_client_id(
            (second.returncode, second.stderr), "--slot", f"{group}-{socket.gethostname()}-3"
        )
        assert "on this host" in second.stderr
        assert first.poll() is None  # refused before it reached the broker
        messages = track_messages("SEAL-0001", interval_s=600)
        device = publisher(broker_port, f"gw-slot-{time.time_ns()}")
        publish_all(device, messages)
        wait_for(lambda: count(port_world) == len(messages), timeout=60)
        device.loop_stop()
    finally:
        first.terminate()
        first.wait(timeout=10)
    with port_world.services.engine.connect() as conn:
        state = conn.execute(select(t.trips.c.state).where(t.trips.c.id == trip_id)).scalar_one()
    assert state == "at_border"


@pytest.mark.parametrize("protocol", ["3.1.1", "5"])
def test_of_two_live_workers_under_one_client_id_the_newcomer_stops(
    port_world: World, broker_port: int, protocol: str
) -> None:
    """On another host, or under one --client-id: the broker hands the session to whichever
    connected last, and both would reconnect and take it back for ever. The newcomer finds its
    connections closed moments after they are accepted and stops; the worker that was already
    running keeps its session and goes on ingesting."""
    port_world.services.bus.handle(
        RegisterSeal(OFFICER, "SEAL-0002", "generic", "json-mqtt", SECRET)
    )
    clock = port_world.services.clock
    assert isinstance(clock, FixedClock)
    clock.advance(
        build_track(shipped_corridors()["shigatse-gyirong"], start=START).end - clock.now()
    )
    same, group = f"w-clash-{protocol}-{time.time_ns()}", f"clash-{time.time_ns()}"
    twin = {"client_id": same, "group": group}
    with worker_thread(port_world, broker_port, clock, "clash", protocol, **twin) as first:
        time.sleep(CLASH_WINDOW_S + 0.5)  # it has held its session a while
        with worker_thread(port_world, broker_port, clock, "clash", protocol, **twin) as second:
            wait_for(lambda: second.clashed, timeout=60, on_timeout=lambda: "no clash seen")
            assert not first.clashed
            assert first.wait_subscribed(timeout=30)
            messages = track_messages("SEAL-0002", interval_s=600)
            device = publisher(broker_port, f"gw-clash-{time.time_ns()}")
            publish_all(device, messages)
            wait_for(lambda: first.stats.accepted == len(messages), on_timeout=lambda: first.stats)
            device.loop_stop()
            assert second.stats.received == 0 and not first.clashed
    assert count(port_world) == len(messages)


def test_a_listen_that_finds_its_client_id_taken_at_the_broker_stops_and_says_so(
    port_world: World, broker_port: int, database_url: str
) -> None:
    clock = port_world.services.clock
    assert isinstance(clock, FixedClock)
    same = f"w-taken-{time.time_ns()}"
    with worker_thread(port_world, broker_port, clock, "taken", client_id=same) as running:
        time.sleep(CLASH_WINDOW_S + 0.5)
        done = subprocess.run(
            _listen(same),
            env=_env(database_url, broker_port, f"taken-{time.time_ns()}"),
            capture_output=True,
            text=True,
            timeout=90,
            check=False,
        )
        _refused_for_its_client_id((done.returncode, done.stderr), "--client-id", same)
        assert "connected to the broker under it" in done.stderr
        assert not running.clashed and running.wait_subscribed(timeout=30)


def test_dead_letters_are_replayed_once_what_refused_them_is_put_right(
    port_world: World, broker_port: int, database_url: str
) -> None:
    """Messages no batch could store (the trip's sealed route version was missing) are kept
    as dead letters by the worker. Replayed while the trip is still damaged, they stay; once it
    is repaired, each is stored and leaves the store in one transaction, audited, a dry run
    changing nothing before; a forgery is replayed too, and refused again."""
    broken = arm(port_world, "SEAL-0002", "藏D12346")
    with port_world.services.engine.begin() as conn:
        version = conn.execute(
            select(t.trips.c.route_version).where(t.trips.c.id == broken)
        ).scalar_one()
        conn.execute(update(t.trips).where(t.trips.c.id == broken).values(route_version=999))
    clock = port_world.services.clock
    assert isinstance(clock, FixedClock)
    track = build_track(shipped_corridors()["shigatse-gyirong"], seal_id="SEAL-0002", start=START)
    clock.advance(track.end - clock.now())
    bad = [(m.topic, m.payload) for m in map(message, track.fixes[:6])]
    forged = message(track.fixes[6], secret="not-the-lock-secret-0002")
    with worker_thread(port_world, broker_port, clock, "replay") as worker:
        device = publisher(broker_port, f"replay-dev-{time.time_ns()}")
        publish_all(device, [*bad, (forged.topic, forged.payload)])
        wait_for(lambda: worker.stats.rejected == 7, on_timeout=lambda: worker.stats)
    device.loop_stop()
    r = t.telemetry_rejects.c

    def kept() -> list[tuple[int, str]]:
        with port_world.services.engine.connect() as conn:
            return [
                (i, reason) for i, reason in conn.execute(select(r.id, r.reason).order_by(r.id))
            ]

    def replay(*args: str) -> str:
        env = _env(database_url, broker_port, "unused")
        done = subprocess.run(
            [LANDPORT, "telemetry", "replay-rejects", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
        return done.stdout

    letters = kept()
    assert [reason for _, reason in letters] == ["unstorable:LookupError"] * 6 + ["bad_signature"]
    first_id = letters[0][0]

    still = replay()  # the trip is still damaged
    assert kept() == letters and count(port_world) == 0
    assert f"#{first_id} SEAL-0002 kept as unstorable:LookupError: still refused " in still
    assert "7 dead letters replayed: 0 stored, 0 already stored (removed), 7 still refused" in still

    with port_world.services.engine.begin() as conn:
        conn.execute(update(t.trips).where(t.trips.c.id == broken).values(route_version=version))
    dry = replay("--dry-run", "--reason", "unstorable")
    assert "6 dead letters replayed (dry run): 6 would be stored" in dry
    assert kept() == letters and count(port_world) == 0

    some = replay("--seal", "SEAL-0002", "--limit", "4", "--since", "1h")
    assert "4 dead letters replayed: 4 stored" in some
    assert kept() == letters[4:] and count(port_world) == 4

    rest = replay()
    assert "3 dead letters replayed: 2 stored, 0 already stored (removed), 1 still refused" in rest
    assert (
        f"#{letters[-1][0]} SEAL-0002 kept as bad_signature: still refused (bad_signature)" in rest
    )
    assert kept() == letters[-1:] and count(port_world) == 6
    with port_world.services.engine.connect() as conn:
        last_fix = conn.execute(
            select(t.trips.c.last_fix_time).where(t.trips.c.id == broken)
        ).scalar_one()
        audited = conn.execute(
            select(t.audit_log.c.entity_id, t.audit_log.c.actor).where(
                t.audit_log.c.action == "telemetry.reject_replayed"
            )
        ).all()
    assert last_fix == track.fixes[5].fix_time  # the monitor followed the replayed fixes
    assert sorted(int(i) for i, _ in audited) == [i for i, _ in letters[:6]]
    assert all(actor.startswith("cli:") for _, actor in audited)
    assert verify_audit(port_world.services.engine).intact
